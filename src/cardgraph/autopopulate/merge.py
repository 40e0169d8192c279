"""Merging autopopulated content into a card without overwriting what people wrote (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_EMPTY: tuple[Any, ...] = (None, "", [], {})


@dataclass(frozen=True, slots=True)
class Conflict:
    """A field where the card already says something else; the card's value was kept."""

    path: str
    kept: Any
    proposed: Any


def fill_empty(
    current: dict[str, Any], proposed: dict[str, Any], path: str = "$"
) -> tuple[dict[str, Any], list[Conflict]]:
    """Fill empty fields of `current` from `proposed`; report every field that disagrees."""
    merged = dict(current)
    conflicts: list[Conflict] = []
    for key, value in proposed.items():
        here = f"{path}.{key}"
        existing = current.get(key)
        if value in _EMPTY:
            continue
        if existing in _EMPTY:
            merged[key] = value
        elif isinstance(existing, dict) and isinstance(value, dict):
            merged[key], nested = fill_empty(existing, value, here)
            conflicts += nested
        elif existing != value:
            # Lists are whole values: a hand-edited list is never mixed with SageMaker's.
            conflicts.append(Conflict(here, existing, value))
    return merged, conflicts

"""Field-level differences between two versions' content (pure).

Every change is a JSONPath (RFC 9535) to the value that changed, with the value before and
after. Arrays whose items are objects with distinct `name`s (evaluation jobs, metric groups,
metrics, hyperparameters) are matched by name, not by position, so inserting an evaluation
job in front does not show every later job as changed; such an item's path selects it by
name (`$.evaluation_details[?@.name=='nightly']`). Other arrays are matched by position. An
added or removed object is one change carrying the whole object, not one per leaf.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from cardgraph.cards.models import CardVersion

ROOT = "$"
_MEMBER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ChangeKind(Enum):
    """How a value changed."""

    ADDED = "ADDED"
    REMOVED = "REMOVED"
    CHANGED = "CHANGED"
    REORDERED = "REORDERED"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed value: where, how, and its value before and after (None: absent)."""

    path: str
    section: str
    kind: ChangeKind
    before: Any
    after: Any


def diff_content(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    """Every change from `before` to `after`, in the order of the stored JSON."""
    changes: list[FieldChange] = []
    for key in _keys(before, after):
        section_changes = _diff_value(
            key, _member(ROOT, key), before.get(key, _ABSENT), after.get(key, _ABSENT)
        )
        changes.extend(section_changes)
    return changes


def changed_sections(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The top-level sections `diff_content` would report changes in, without building them."""
    return [
        key
        for key in _keys(before, after)
        if not same_json(before.get(key, _ABSENT), after.get(key, _ABSENT))
    ]


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON, types included: 1 and 1.0, or true and 1, differ (Python's == says
    they are equal). Key order does not matter; array order does."""
    if type(a) is not type(b) or a != b:
        return False
    if isinstance(a, dict | list):
        # Equal by ==, but a 1 may be a 1.0 somewhere inside: their JSON texts tell (both
        # comparisons run in C, so an unchanged 100 KB section costs well under a millisecond).
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    return True


class _Absent:
    """A key missing on one side (distinct from a JSON null)."""

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()


def _keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Keys of both, sorted as canonical JSON sorts them."""
    return sorted({*before, *after})


def _member(path: str, key: str) -> str:
    if _MEMBER.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{_quoted(key)}]"


def _quoted(text: str) -> str:
    # A JSON string is an RFC 9535 string literal once its double quotes become single ones.
    body = json.dumps(text, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{body}'"


def _diff_value(section: str, path: str, before: Any, after: Any) -> Iterator[FieldChange]:
    if before is _ABSENT and after is _ABSENT:
        return
    if before is _ABSENT:
        yield FieldChange(path, section, ChangeKind.ADDED, None, after)
    elif after is _ABSENT:
        yield FieldChange(path, section, ChangeKind.REMOVED, before, None)
    elif same_json(before, after):
        return
    elif isinstance(before, dict) and isinstance(after, dict):
        for key in _keys(before, after):
            yield from _diff_value(
                section, _member(path, key), before.get(key, _ABSENT), after.get(key, _ABSENT)
            )
    elif isinstance(before, list) and isinstance(after, list) and not _plain(before, after):
        yield from _diff_array(section, path, before, after)
    else:
        yield FieldChange(path, section, ChangeKind.CHANGED, before, after)


def _plain(*arrays: list[Any]) -> bool:
    """Whether the arrays hold no object: numbers, strings, or arrays of them (a chart's
    points, a matrix) are compared as one value."""
    return not any(isinstance(item, dict) for array in arrays for item in array)


def _diff_array(
    section: str, path: str, before: list[Any], after: list[Any]
) -> Iterator[FieldChange]:
    old_names, new_names = _names(before), _names(after)
    if old_names is None or new_names is None:
        for index in range(max(len(before), len(after))):
            yield from _diff_value(
                section,
                f"{path}[{index}]",
                before[index] if index < len(before) else _ABSENT,
                after[index] if index < len(after) else _ABSENT,
            )
        return
    old_items = dict(zip(old_names, before, strict=True))
    new_items = dict(zip(new_names, after, strict=True))
    for name in [*old_names, *(n for n in new_names if n not in old_items)]:
        item_path = f"{path}[?@.name=={_quoted(name)}]"
        yield from _diff_value(
            section, item_path, old_items.get(name, _ABSENT), new_items.get(name, _ABSENT)
        )
    kept_old = [n for n in old_names if n in new_items]
    kept_new = [n for n in new_names if n in old_items]
    if kept_old != kept_new:
        yield FieldChange(path, section, ChangeKind.REORDERED, kept_old, kept_new)


def _names(items: Sequence[Any]) -> list[str] | None:
    """The items' names if every item is an object with a distinct string `name`."""
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return None
    return names  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """Two versions of one card to compare; what changed is worked out when asked for."""

    before: CardVersion
    after: CardVersion

    @property
    def same(self) -> bool:
        """Whether the contents are equal (their hashes say so without parsing them)."""
        return self.before.content_sha256 == self.after.content_sha256

    def sections(self) -> list[str]:
        """The top-level sections with a change, sorted (cheap: no change is built)."""
        return [] if self.same else changed_sections(self.before.content, self.after.content)

    def changes(self) -> list[FieldChange]:
        """Every change, in the order of the stored JSON."""
        return [] if self.same else diff_content(self.before.content, self.after.content)

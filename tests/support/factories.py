"""Card content several test files build the same way: the full reference card and small pieces."""

from __future__ import annotations

import json
from typing import Any

from tests.support.paths import DATA


def full_card() -> dict[str, Any]:
    """A fresh copy of tests/data/full_card.json, a card with every section filled in."""
    content: dict[str, Any] = json.loads((DATA / "full_card.json").read_text())
    return content


def custom_details(**details: str) -> dict[str, Any]:
    """Content holding only `additional_information.custom_details`."""
    return {"additional_information": {"custom_details": details}}


def risk_rated(rating: str = "Low") -> dict[str, Any]:
    """Content holding only `intended_uses.risk_rating`."""
    return {"intended_uses": {"risk_rating": rating}}

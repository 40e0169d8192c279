"""A card as it stood at an instant, from its versions and their chained status histories (pure).

Versions are numbered in the order the ledger chained them, and each is created after the one
before it, so "the latest version at T" is the highest number created at or before T; a
version's status at T is the last change of its status history made at or before T.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from cardgraph.cards.content import model_package_group_of, risk_rating_of
from cardgraph.cards.models import Card, CardFilter, CardStatus, CardVersion
from cardgraph.clock import utc_instant

# Probes per card in one round of the search for the version at an instant: a card with
# 100,000 versions is searched in six reads.
SEARCH_FAN_OUT = 8


def instant(at: datetime) -> datetime:
    """`at` as an aware UTC instant (a time without a zone is read as UTC), to the millisecond
    the database keeps."""
    aware = utc_instant(at, "asOf")
    return aware.replace(microsecond=aware.microsecond // 1000 * 1000)


def status_at(version: CardVersion, at: datetime) -> CardStatus | None:
    """The status `version` had at `at`; None if it did not exist yet."""
    if version.created_at > at:
        return None
    status = version.status_history[0].to_status if version.status_history else version.status
    for change in version.status_history:
        if change.changed_at > at:
            break
        status = change.to_status
    return status


def version_as_of(version: CardVersion, at: datetime) -> CardVersion:
    """`version` as it stood at `at` (which it existed at): its status then, and the status
    changes made by then."""
    status = status_at(version, at)
    if status is None:
        raise ValueError(f"version {version.number} did not exist at {at.isoformat()}")
    history = tuple(c for c in version.status_history if c.changed_at <= at)
    return dataclasses.replace(version, status=status, status_history=history)


def card_as_of(card: Card, version: CardVersion, at: datetime) -> Card:
    """The summary `card` had at `at`, whose latest version then was `version` (as of then).
    The revision stays the card's own: versions read under it are true (but for their status,
    which `version_as_of` then rewinds)."""
    changed = [version.created_at, *(c.changed_at for c in version.status_history)]
    content = version.content
    return dataclasses.replace(
        card,
        latest_version=version.number,
        status=version.status,
        risk_rating=risk_rating_of(content),
        model_package_group=model_package_group_of(content),
        updated_at=max(changed),
    )


def unchanged_since(card: Card, at: datetime) -> bool:
    """Whether the summary of `card` is still what it was at `at` (nothing changed after)."""
    return card.updated_at <= at


def matches_as_of(card: Card, card_filter: CardFilter) -> bool:
    """Whether an as-of summary meets the filter's conditions that change over time (status,
    risk rating, model package group); the rest are applied by the query."""
    if card_filter.statuses and card.status not in card_filter.statuses:
        return False
    if card_filter.risk_ratings and card.risk_rating not in card_filter.risk_ratings:
        return False
    group = card_filter.model_package_group
    return group is None or card.model_package_group == group


def probes(low: int, high: int) -> list[int]:
    """Version numbers to read between `low` (created by the instant) and `high` (created
    after it, or one past the latest): up to SEARCH_FAN_OUT - 1 points splitting the range."""
    span = high - low
    return sorted({low + span * i // SEARCH_FAN_OUT for i in range(1, SEARCH_FAN_OUT)} - {low})


def narrowed(low: int, high: int, created: dict[int, datetime], at: datetime) -> tuple[int, int]:
    """The range left after reading the creation times of the probes of (`low`, `high`); a
    probe that is missing counts as created after (a hole, which verifyCard reports)."""
    for number in probes(low, high):
        when = created.get(number)
        if when is None or when > at:
            return low, number
        low = number
    return low, high

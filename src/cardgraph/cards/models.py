"""Pure card domain types: statuses and their workflow, cards, versions, filters."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from cardgraph.errors import (
    FieldProblem,
    InvalidTransitionError,
    PolicyViolationError,
    ValidationFailedError,
)

CARD_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class CardStatus(StrEnum):
    """Review status of a card version (SageMaker: Draft, PendingReview, Approved, Archived)."""

    DRAFT = "DRAFT"
    PENDING_REVIEW = "PENDING_REVIEW"
    APPROVED = "APPROVED"
    ARCHIVED = "ARCHIVED"


class VersionSource(StrEnum):
    """What produced a version's content."""

    MANUAL = "manual"
    AUTOPOPULATE = "autopopulate"
    METRICS = "metrics"
    PACKAGE_SYNC = "package-sync"


_TRANSITIONS: dict[CardStatus, frozenset[CardStatus]] = {
    CardStatus.DRAFT: frozenset({CardStatus.PENDING_REVIEW, CardStatus.ARCHIVED}),
    CardStatus.PENDING_REVIEW: frozenset(
        {CardStatus.APPROVED, CardStatus.DRAFT, CardStatus.ARCHIVED}
    ),
    CardStatus.APPROVED: frozenset({CardStatus.ARCHIVED}),
    CardStatus.ARCHIVED: frozenset(),
}


def check_transition(current: CardStatus, target: CardStatus) -> None:
    """Raise INVALID_TRANSITION unless the workflow allows `current` → `target`."""
    if target not in _TRANSITIONS[current]:
        allowed = ", ".join(sorted(_TRANSITIONS[current])) or "none"
        raise InvalidTransitionError(
            f"cannot change status from {current} to {target} (allowed from {current}: {allowed})"
        )


MAX_KMS_KEY_ID = 2048


def check_kms_key_id(kms_key_id: str | None) -> None:
    """Raise VALIDATION_FAILED unless the KMS key id is absent or 1-2048 characters."""
    if kms_key_id is not None and not 0 < len(kms_key_id) <= MAX_KMS_KEY_ID:
        raise ValidationFailedError(
            [FieldProblem("kmsKeyId", f"must have 1 to {MAX_KMS_KEY_ID} characters")]
        )


def check_approval_policy(content: dict[str, Any]) -> None:
    """High-risk cards need evidence before approval: an evaluation and written intended uses."""
    uses = content.get("intended_uses") or {}
    if uses.get("risk_rating") != "High":
        return
    problems = []
    if not content.get("evaluation_details"):
        problems.append(FieldProblem("$.evaluation_details", "at least one evaluation is needed"))
    if not (uses.get("intended_uses") or "").strip():
        problems.append(FieldProblem("$.intended_uses.intended_uses", "intended uses are needed"))
    if problems:
        raise PolicyViolationError(
            "a High risk card cannot be approved without evaluation details and intended uses",
            problems,
        )


def check_card_name(name: str) -> None:
    """Raise VALIDATION_FAILED unless `name` is a valid SageMaker model card name."""
    if not CARD_NAME_PATTERN.fullmatch(name):
        raise ValidationFailedError(
            [
                FieldProblem(
                    "name",
                    "must be 1-63 letters, digits or hyphens, starting and ending with a letter "
                    "or digit",
                )
            ]
        )


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One status change of a version: who moved it from where to where, and when."""

    from_status: CardStatus | None
    to_status: CardStatus
    changed_by: str
    changed_at: datetime
    # The change's ledger hash (the first entry's is the version's chain hash).
    sha256: str = ""
    # Written before the ledger scheme and vouched for by the card's migration record.
    migrated: bool = False


@dataclass(frozen=True, slots=True)
class SectionProvenance:
    """Where one top-level section of a version's content came from: the write that last set
    it (this version or an earlier one), and what that write read."""

    section: str
    # The version whose write set the section as it stands (inherited while unchanged).
    version: int
    source: VersionSource
    actor: str
    at: datetime
    job_id: str | None = None
    # What the write read: sagemakerArn and describedAt (autopopulation, package sync),
    # s3Uri, etag and sha256 (a metrics file), modelPackageArn (package sync).
    details: tuple[tuple[str, str], ...] = ()
    # False for versions written before provenance was recorded: inferred from the version.
    recorded: bool = True


# Per-section details a write's caller knows (`*` for every section it changes).
Origin = dict[str, dict[str, str]]


# A version named without its card document: (card id, card name, version number).
VersionKey = tuple[str, str, int]


@dataclass(frozen=True)
class CardVersion:
    """An immutable version of a card's content; only its status changes, in place."""

    card_id: str
    card_name: str
    number: int
    status: CardStatus
    content_json: str
    content_sha256: str
    chain_sha256: str
    previous_chain_sha256: str | None
    created_at: datetime
    created_by: str
    source: VersionSource
    status_history: tuple[StatusChange, ...] = ()
    job_id: str | None = None
    # The hashing rules it was written under (1: before the ledger; see cardgraph.ledger).
    scheme: int = 2
    # Each top-level section's origin, by section name; empty when written before it was kept.
    provenance: tuple[SectionProvenance, ...] = ()

    @cached_property
    def content(self) -> dict[str, Any]:
        """The content as SageMaker's snake_case JSON object."""
        value: dict[str, Any] = json.loads(self.content_json)
        return value


@dataclass(frozen=True, slots=True)
class Staleness:
    """Why a card's approval no longer matches the model it describes."""

    reason: str
    since: datetime
    model_package_arn: str
    # The approved version the change came after.
    approved_version: int


@dataclass(frozen=True, slots=True)
class Card:
    """A model card: its identity and a summary of its latest version."""

    id: str
    name: str
    arn: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    latest_version: int
    status: CardStatus
    risk_rating: str | None
    model_package_group: str | None
    kms_key_id: str | None = None
    # Changes (to a fresh random value) with every change of the summary, content or status:
    # versions read through a card of one revision can be cached under it.
    revision: int = 0
    # Set when a linked model package changed after the card was approved; cleared when a
    # version is approved again.
    stale: Staleness | None = None


class CardSortField(StrEnum):
    """Orderings for card lists."""

    NAME = "name"
    CREATED = "created_at"
    UPDATED = "updated_at"


@dataclass(frozen=True, slots=True)
class CardSort:
    """A card list ordering."""

    field: CardSortField = CardSortField.NAME
    descending: bool = False


@dataclass(frozen=True, slots=True)
class CardFilter:
    """Conditions a listed card must meet (all of them)."""

    name_contains: str | None = None
    statuses: tuple[CardStatus, ...] = ()
    risk_ratings: tuple[str, ...] = ()
    created_after: datetime | None = None
    created_before: datetime | None = None
    model_package_group: str | None = None
    # True: only stale cards; False: only cards that are not.
    stale: bool | None = None

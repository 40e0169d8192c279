"""Content changes queued for one card, and what each does when applied after the ones before
it: SageMaker's rules (expectedVersion, ARCHIVED, identical content) decided without I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cardgraph.audit.models import AuditEvent, audit_event
from cardgraph.cards.field_diff import changed_sections
from cardgraph.cards.ledger_entries import chained_version
from cardgraph.cards.models import CardStatus, CardVersion, Origin, VersionSource
from cardgraph.cards.provenance import origin_details, with_provenance
from cardgraph.cards.write_queue import Pending
from cardgraph.errors import ArchivedError, ConflictError
from cardgraph.ledger.records import LEDGER_SCHEME
from cardgraph.principals import Principal


@dataclass(frozen=True, slots=True)
class ContentChange:
    """One request for new content, validated, waiting for its card's next write."""

    # The validated content, its canonical JSON and their hash: computed once per request.
    content: dict[str, Any]
    content_json: str
    content_sha256: str
    actor: Principal
    expected_version: int | None
    source: VersionSource
    job_id: str | None
    # The request it came from: the write itself runs outside the request's context.
    request_id: str | None
    # What the writer read, per section it changes (see `cards.provenance`).
    origin: Origin = field(default_factory=dict)


@dataclass(slots=True)
class ContentOutcome:
    """What one change does: a new version, the unchanged latest one, or a refusal."""

    pending: Pending[ContentChange, CardVersion]
    result: CardVersion | Exception
    created: bool = False
    event: AuditEvent | None = None
    # The top-level sections a new version changed (its VERSION_CREATED event names them).
    sections: tuple[str, ...] = ()

    @property
    def version(self) -> CardVersion:
        """The version this change results in (never called for a refusal)."""
        if isinstance(self.result, Exception):
            raise TypeError("a refused change has no version")
        return self.result


def plan_content(
    card_id: str,
    name: str,
    latest: CardVersion,
    pending: Pending[ContentChange, CardVersion],
    now: datetime,
) -> ContentOutcome:
    """The outcome of one change applied on top of `latest`."""
    change = pending.request
    if change.expected_version is not None and latest.number != change.expected_version:
        return ContentOutcome(
            pending,
            ConflictError(
                f"card {name!r} is at version {latest.number}, not {change.expected_version}"
            ),
        )
    if latest.scheme < LEDGER_SCHEME:  # a version chained after it would stop the migration
        return ContentOutcome(
            pending,
            ConflictError(f"card {name!r} is waiting for the ledger migration; try again shortly"),
        )
    if latest.status is CardStatus.ARCHIVED:
        return ContentOutcome(
            pending, ArchivedError(f"card {name!r} is archived; its content cannot change")
        )
    unchanged = latest.content_sha256 == change.content_sha256
    details: dict[str, Any] = {"source": change.source.value, "job": change.job_id}
    details["cardId"] = card_id
    if unchanged:
        details["unchanged"] = True
        version = latest
    else:
        version = chained_version(
            card_id,
            name,
            latest.number + 1,
            change.content_json,
            CardStatus.DRAFT,
            latest.chain_sha256,
            change.actor.actor,
            now,
            change.source,
            change.job_id,
        )
    # Sorted, as the sections of the stored (canonical) JSON are.
    sections = () if unchanged else tuple(sorted(changed_sections(latest.content, change.content)))
    if not unchanged:
        version = with_provenance(version, latest, sections, change.origin)
        # Binds the audit event to the exact version record it created (verifyCard checks).
        details["chainSha256"] = version.chain_sha256
        if change.origin:
            details["origin"] = origin_details(change.origin)
    event = audit_event(
        change.actor,
        "updateCardContent",
        change.request_id,
        card_name=name,
        version=version.number,
        before=latest.content_sha256,
        after=change.content_sha256,
        details=details,
    )
    return ContentOutcome(pending, version, created=not unchanged, event=event, sections=sections)


def split_at_refused_insert(
    name: str, outcomes: list[ContentOutcome], inserted: int
) -> tuple[list[ContentOutcome], list[Pending[ContentChange, CardVersion]]]:
    """After the first `inserted` new versions went in: the outcomes that stand, and the
    changes to plan again on a fresh read (from the first refused version on)."""
    created = [position for position, outcome in enumerate(outcomes) if outcome.created]
    if inserted == len(created):
        return outcomes, []
    position = created[inserted]
    refused = outcomes[position]
    done = outcomes[:position]
    again = [o.pending for o in outcomes[position + 1 :]]
    if refused.pending.request.expected_version is not None:
        # It named the version it expected, and another writer made the next one first.
        error = ConflictError(
            f"another writer created version {refused.version.number} of {name!r} first"
        )
        done.append(ContentOutcome(refused.pending, error))
    else:
        again.insert(0, refused.pending)
    return done, again

"""What a card's versions claim and what its audit events record, matched both ways (pure):
every version and status change has its event, every event its version or change, and status
changes recorded before the ledger are vouched for by one genuine migration record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cardgraph.audit.models import AuditEvent
from cardgraph.hashing import record_sha256

CREATIONS = frozenset({"createCard", "updateCardContent"})
STATUS_CHANGE = "setCardStatus"
MIGRATION = "migrateLedger"
DELETION = "deleteCard"
# The key of an origin (what a write read) that stands for every section it changed.
EVERY_SECTION = "*"
# Who writes migration records (`cardgraph migrate-ledger`); no API key can act as it.
MIGRATOR_ACTOR = "system:ledger-migration"


def migration_digest(vouched: list[list[Any]]) -> str:
    """What a migration record vouches for, as one hash: [version, chain hash, [status change
    hashes]] of every migrated version, in order."""
    return record_sha256({"migrated": vouched})


# Adds a finding: (record, reason, version).
Note = Callable[..., None]


@dataclass(frozen=True, slots=True)
class BoundEvent:
    """What the cross-check needs of an event about this card."""

    sequence: int
    operation: str
    version: int | None
    actor: str
    details: dict[str, Any]

    @classmethod
    def of(cls, event: AuditEvent, details: dict[str, Any]) -> BoundEvent:
        kept = {k: details[k] for k in BOUND_DETAILS if k in details}
        version = event.version if isinstance(event.version, int) else None
        return cls(event.sequence, event.operation, version, event.actor, kept)


BOUND_DETAILS = (
    "cardId",
    "chainSha256",
    "source",
    "statusSha256",
    "from",
    "to",
    "versions",
    "digest",
    "legacyFirstInvalidVersion",
    "origin",
)


@dataclass(slots=True)
class Claims:
    """What the versions claim, to be matched with the audit events that record it."""

    chains: dict[int, str] = field(default_factory=dict)
    creators: dict[int, tuple[str, str]] = field(default_factory=dict)
    # status change hash -> (version, from, to, by), for changes that need an audit event
    statuses: dict[str, tuple[int, str | None, str, str]] = field(default_factory=dict)
    # (version, chain hash, migrated status change hashes), for the migration record's digest
    migrated: list[list[Any]] = field(default_factory=list)
    # version -> {section: what its write read}, for the sections its provenance says it set
    origins: dict[int, dict[str, dict[str, str]]] = field(default_factory=dict)


class BindingCheck:
    """The claims of the versions fed and the events about the card, then `cross_check`."""

    def __init__(self, card_id: str, note: Note) -> None:
        self._card_id = card_id
        self._note = note
        self.claims = Claims()
        self.events: list[BoundEvent] = []

    def cross_check(self) -> None:
        """Match each version and status change with its event, and each event with them."""
        bound = self.claims
        created: set[int] = set()
        approved: set[str] = set()
        migrated_to = self._check_migrations()
        # Only events naming this card: not another card of that name, a denial, or an event
        # from before the ledger (a migration record vouches for those).
        for event in self.events:
            details = event.details
            record = f"audit event {event.sequence}"
            if event.operation in CREATIONS and "chainSha256" in details:
                number = event.version or 0
                created.add(number)
                self._check_creation(record, event, number, details)
            elif event.operation == STATUS_CHANGE:
                sha = str(details.get("statusSha256"))
                approved.add(sha)
                self._check_status_event(record, event, sha, details)
            elif event.operation == DELETION:
                self._note(record, "records that this card was deleted; the card is not")
        for number in bound.chains:
            if number > migrated_to and number not in created:
                self._note(f"version {number}", "no audit event records its creation", number)
        for sha, (number, before, after, _) in bound.statuses.items():
            if sha not in approved:
                self._note(
                    f"version {number}",
                    f"its status change {before} → {after} has no audit event",
                    number,
                )

    def _check_migrations(self) -> int:
        """The versions a migration record vouches for (0 without a valid one); status
        changes marked migrated with no record to vouch for them are findings."""
        migrations = [e for e in self.events if e.operation == MIGRATION]
        for extra in migrations[1:]:
            self._note(f"audit event {extra.sequence}", "is a second migration record of this card")
        vouched = 0
        if migrations:
            first = migrations[0]
            record = f"audit event {first.sequence}"
            if first.actor != MIGRATOR_ACTOR:
                self._note(record, f"is a migration record written by {first.actor}")
            elif self.events[0] is not first:
                self._note(record, "is a migration record after the card's ledger began")
            else:
                vouched = self._check_migration(record, first.details)
        migrated = self.claims.migrated
        if migrated and not vouched:
            number = int(migrated[0][0])
            self._note(
                f"version {number}",
                "has status changes marked migrated, but no migration record vouches for them",
                number,
            )
        return vouched

    def _check_creation(
        self, record: str, event: BoundEvent, number: int, details: dict[str, Any]
    ) -> None:
        bound = self.claims
        chain = bound.chains.get(number)
        if chain is None:
            self._note(record, f"records version {number}, which does not exist", number)
        elif chain != details["chainSha256"]:
            self._note(f"version {number}", "differs from what its audit event recorded", number)
        elif bound.creators[number] != (event.actor, details.get("source")):
            self._note(
                f"version {number}", "its author or source differs from its audit event", number
            )
        elif number in bound.origins and not _same_origin(
            bound.origins[number], details.get("origin")
        ):
            self._note(
                f"version {number}",
                "its provenance (what its write read) differs from what its audit event recorded",
                number,
            )

    def _check_status_event(
        self, record: str, event: BoundEvent, sha: str, details: dict[str, Any]
    ) -> None:
        claimed = self.claims.statuses.get(sha)
        number = event.version
        if claimed is None:
            self._note(
                record,
                f"records a status change of version {number} to {details.get('to')} "
                "that the version does not have",
                number,
            )
        elif claimed != (number, details.get("from"), details.get("to"), event.actor):
            self._note(record, "differs from the status change it records", number)

    def _check_migration(self, record: str, details: dict[str, Any]) -> int:
        migrated = self.claims.migrated
        numbers = [row[0] for row in migrated]
        if numbers != list(range(1, len(numbers) + 1)) or details.get("versions") != len(numbers):
            self._note(
                record,
                f"vouches for {details.get('versions')!r} version(s); versions "
                f"{', '.join(map(str, numbers)) or 'none'} are marked migrated",
            )
            return 0
        if migration_digest(migrated) != details.get("digest"):
            self._note(record, "the versions and status changes it vouches for have changed")
            return 0
        broken = details.get("legacyFirstInvalidVersion")
        if broken is not None:
            self._note(
                record,
                f"says the history before the ledger was already broken at version {broken}",
            )
        return len(numbers)


def section_origin(origin: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    """What a write read for `section`: the section's own entry of its origin, else the entry
    for every section (`*`), else nothing."""
    found = origin.get(section) or origin.get(EVERY_SECTION) or {}
    return found if isinstance(found, Mapping) else {}


def _same_origin(claimed: dict[str, dict[str, str]], recorded: Any) -> bool:
    """Whether the sections a version says it set name what its audit event recorded the
    write read."""
    origin = recorded if isinstance(recorded, dict) else {}
    return all(details == section_origin(origin, s) for s, details in claimed.items())

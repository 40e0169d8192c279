"""A card's whole history checked as an auditor would (pure): every version and status
change re-hashed, each bound to its audit event and each audit event to what it records, the
audit chain re-hashed, and the history compared with signed checkpoints of its head.

The same code runs in `verifyCard` (fed from the database) and in `cardgraph verify` (fed
from an exported bundle, with no server at all).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cardgraph.audit.models import AuditEvent, event_hash
from cardgraph.hashing import GENESIS_SHA256, record_sha256
from cardgraph.ledger.facts import Finding, VersionFacts
from cardgraph.ledger.signing import Checkpoint, PublicKey
from cardgraph.ledger.version_check import version_findings

CREATIONS = frozenset({"createCard", "updateCardContent"})
STATUS_CHANGE = "setCardStatus"
MIGRATION = "migrateLedger"
MAX_FINDINGS = 50


@dataclass(frozen=True, slots=True)
class LedgerResult:
    """What the check found; `findings[0]` is the first bad record."""

    versions: int
    events: int
    version_sha256: str | None
    event_sha256: str | None
    findings: tuple[Finding, ...]
    checkpoints_checked: int

    @property
    def valid(self) -> bool:
        """Whether nothing at all was found."""
        return not self.findings


@dataclass(slots=True)
class _Bound:
    """What the versions claim, to be matched with the audit events that record it."""

    chains: dict[int, str] = field(default_factory=dict)
    creators: dict[int, tuple[str, str]] = field(default_factory=dict)
    # status change hash -> (version, from, to, by), for changes that need an audit event
    statuses: dict[str, tuple[int, str | None, str, str]] = field(default_factory=dict)
    # (version, chain hash, migrated status change hashes), for the migration record's digest
    migrated: list[list[Any]] = field(default_factory=list)


class LedgerCheck:
    """Feed the versions in order and the audit chain, then `finish`."""

    def __init__(self, card_id: str, card_name: str) -> None:
        self._card_id = card_id
        self._card_name = card_name
        self._findings: list[Finding] = []
        self._bound = _Bound()
        self._count = 0
        self._previous: str | None = None
        self._broken_sequence = False
        self._events: list[AuditEvent] = []
        self._event_hashes: dict[int, str] = {}

    def add_version(self, version: VersionFacts) -> None:
        """The next version (in number order)."""
        if self._broken_sequence:
            return
        expected = self._count + 1
        found = version_findings(self._card_id, version, expected, self._previous)
        self._findings += found
        if any(f.reason.endswith("is missing") or "before the ledger" in f.reason for f in found):
            self._broken_sequence = True  # the numbers after a gap cannot be matched
            return
        self._count, self._previous = expected, version.chain_sha256
        bound = self._bound
        bound.chains[version.number] = version.chain_sha256
        bound.creators[version.number] = (version.created_by, version.source)
        migrated = [c.sha256 for c in version.status_history if c.migrated]
        if migrated:
            bound.migrated.append([version.number, version.chain_sha256, migrated])
        for change in version.status_history[1:]:
            if not change.migrated:
                bound.statuses[change.sha256] = (
                    version.number,
                    change.from_status,
                    change.to_status,
                    change.changed_by,
                )

    def add_events(self, events: Iterable[AuditEvent]) -> None:
        """The card's audit chain, in sequence order."""
        previous = GENESIS_SHA256
        for expected, event in enumerate(events, 1):
            self._events.append(event)
            record = f"audit event {expected}"
            if event.sequence != expected:
                self.note(record, f"is missing (found event {event.sequence} in its place)")
                break
            if event.previous_sha256 != previous or event_hash(event) != event.event_sha256:
                self.note(record, f"({event.operation}) does not match its hash or link")
            previous = event.event_sha256
            self._event_hashes[event.sequence] = event.event_sha256

    def finish(
        self,
        *,
        latest_version: int | None = None,
        checkpoints: Iterable[tuple[str, Checkpoint]] = (),
        key: PublicKey | None = None,
    ) -> LedgerResult:
        """Cross-check what was fed; `latest_version` is the card summary's (None offline),
        each checkpoint comes with a name for the findings."""
        if not self._broken_sequence:
            self._cross_check()
        if latest_version is not None and latest_version > self._count:
            self.note(
                "card",
                f"its summary says version {latest_version} is latest; "
                f"{self._count} version(s) were found",
            )
        checked = 0
        for name, checkpoint in checkpoints:
            checked += 1
            self._check_checkpoint(name, checkpoint, key)
        last = self._events[-1] if self._events else None
        return LedgerResult(
            versions=self._count,
            events=len(self._events),
            version_sha256=self._previous,
            event_sha256=last.event_sha256 if last else None,
            findings=tuple(sorted(self._findings, key=_order)[:MAX_FINDINGS]),
            checkpoints_checked=checked,
        )

    def note(self, record: str, reason: str, version: int | None = None) -> None:
        """Add a finding of the caller's (a malformed checkpoint, say)."""
        self._findings.append(Finding(record, reason, version))

    def _cross_check(self) -> None:
        bound = self._bound
        created: set[int] = set()
        approved: set[str] = set()
        migrated_to = 0
        for event in self._events:
            details = event.details or {}
            if details.get("cardId") != self._card_id:
                continue  # another card of that name, a denial, or an event before the ledger
            record = f"audit event {event.sequence}"
            if event.operation == MIGRATION:
                migrated_to = self._check_migration(record, details)
            elif event.operation in CREATIONS and "chainSha256" in details:
                number = event.version or 0
                created.add(number)
                self._check_creation(record, event, number, details)
            elif event.operation == STATUS_CHANGE:
                sha = str(details.get("statusSha256"))
                approved.add(sha)
                self._check_status_event(record, event, sha, details)
        for number in bound.chains:
            if number > migrated_to and number not in created:
                self.note(f"version {number}", "no audit event records its creation", number)
        for sha, (number, before, after, _) in bound.statuses.items():
            if sha not in approved:
                self.note(
                    f"version {number}",
                    f"its status change {before} → {after} has no audit event",
                    number,
                )

    def _check_creation(
        self, record: str, event: AuditEvent, number: int, details: dict[str, Any]
    ) -> None:
        bound = self._bound
        chain = bound.chains.get(number)
        if chain is None:
            self.note(record, f"records version {number}, which does not exist", number)
        elif chain != details["chainSha256"]:
            self.note(f"version {number}", "differs from what its audit event recorded", number)
        elif bound.creators[number] != (event.actor, details.get("source")):
            self.note(
                f"version {number}", "its author or source differs from its audit event", number
            )

    def _check_status_event(
        self, record: str, event: AuditEvent, sha: str, details: dict[str, Any]
    ) -> None:
        claimed = self._bound.statuses.get(sha)
        number = event.version
        if claimed is None:
            self.note(
                record,
                f"records a status change of version {number} to {details.get('to')} "
                "that the version does not have",
                number,
            )
        elif claimed != (number, details.get("from"), details.get("to"), event.actor):
            self.note(record, "differs from the status change it records", number)

    def _check_migration(self, record: str, details: dict[str, Any]) -> int:
        migrated = self._bound.migrated
        versions = int(details.get("versions") or 0)
        if record_sha256({"migrated": migrated}) != details.get("digest"):
            self.note(record, "the versions and status changes it vouches for have changed")
        return versions

    def _check_checkpoint(self, name: str, checkpoint: Checkpoint, key: PublicKey | None) -> None:
        if key is None or not checkpoint.signed_by(key):
            self.note(name, "its signature does not verify with the service's public key")
            return
        if checkpoint.card_id != self._card_id:
            self.note(name, "is a checkpoint of another card")
            return
        chain = self._bound.chains.get(checkpoint.versions)
        if checkpoint.versions > self._count:
            self.note(
                name,
                f"signed {checkpoint.versions} version(s) at {checkpoint.signed_at}; "
                f"only {self._count} exist: versions were deleted",
            )
        elif chain != checkpoint.version_sha256:
            self.note(
                name,
                f"version {checkpoint.versions} was rewritten after {checkpoint.signed_at} "
                "(its chain hash is not the one signed)",
                checkpoint.versions,
            )
        event = self._event_hashes.get(checkpoint.events)
        if checkpoint.events > len(self._events):
            self.note(
                name,
                f"signed {checkpoint.events} audit event(s); only {len(self._events)} exist: "
                "events were deleted",
            )
        elif event != checkpoint.event_sha256:
            self.note(
                name, f"audit event {checkpoint.events} was rewritten after {checkpoint.signed_at}"
            )


def _order(finding: Finding) -> tuple[int, int]:
    # Versions first, by number; then audit events; then the card and its checkpoints.
    if finding.record.startswith("version"):
        return (0, finding.version or 0)
    if finding.record.startswith("audit event"):
        return (1, int(finding.record.split()[2]))
    return (2, 0)

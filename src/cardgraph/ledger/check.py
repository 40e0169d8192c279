"""A card's whole history checked as an auditor would (pure): every version and status
change re-hashed, each bound to its audit event and each audit event to what it records, the
audit chain re-hashed, and the history compared with signed checkpoints of its head.

The same code runs in `verifyCard` (fed from the database) and in `cardgraph verify` (fed
from an exported bundle, with no server at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cardgraph.audit.models import AuditEvent, event_hash
from cardgraph.hashing import GENESIS_SHA256
from cardgraph.ledger.bindings import BindingCheck, BoundEvent
from cardgraph.ledger.facts import Finding, VersionFacts
from cardgraph.ledger.signing import Checkpoint, PublicKey
from cardgraph.ledger.version_check import version_findings

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


class LedgerCheck:
    """Feed the versions in order and the audit chain, then `finish`."""

    def __init__(self, card_id: str, card_name: str) -> None:
        self._card_id = card_id
        self._card_name = card_name
        self._findings: list[Finding] = []
        self._bindings = BindingCheck(card_id, self.note)
        self._count = 0
        self._previous: str | None = None
        self._broken_sequence = False
        # The audit chain as fed so far: how many events, the last hash, the hash of each (for
        # checkpoints), and the events about this card, kept small.
        self._event_count = 0
        self._event_last: str | None = None
        self._events_broken = False
        self._event_hashes: dict[int, str] = {}
        self._last_status: str | None = None

    def add_version(self, version: VersionFacts) -> None:
        """The next version (in number order)."""
        if self._broken_sequence:
            return
        expected = self._count + 1
        try:
            found = version_findings(self._card_id, version, expected, self._previous)
        except (TypeError, ValueError, AttributeError) as error:  # a field of the wrong type
            found = [Finding(f"version {expected}", f"is malformed ({error})", expected)]
            self._broken_sequence = True
        self._findings += found
        if any(f.reason.endswith("is missing") or "before the ledger" in f.reason for f in found):
            self._broken_sequence = True  # the numbers after a gap cannot be matched
            return
        self._count, self._previous = expected, version.chain_sha256
        self._last_status = version.status
        bound = self._bindings.claims
        bound.chains[version.number] = version.chain_sha256
        bound.creators[version.number] = (version.created_by, version.source)
        if version.origins is not None:
            bound.origins[version.number] = {
                section: dict(details) for section, details in version.origins
            }
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
        """The next events of the card's audit chain, in sequence order (in one call or
        several: a long chain is read in pages)."""
        for event in events:
            if self._events_broken:
                return
            expected = self._event_count + 1
            record = f"audit event {expected}"
            if event.sequence != expected:
                self.note(record, f"is missing (found event {event.sequence} in its place)")
                self._events_broken = True
                return
            previous = self._event_last or GENESIS_SHA256
            try:
                matches = (
                    event.previous_sha256 == previous and event_hash(event) == event.event_sha256
                )
            except (TypeError, ValueError, AttributeError):  # a field of the wrong type
                matches = False
            if not matches:
                self.note(record, f"({event.operation}) does not match its hash or link")
            self._event_count, self._event_last = expected, event.event_sha256
            self._event_hashes[expected] = event.event_sha256
            details = event.details if isinstance(event.details, dict) else {}
            if details.get("cardId") == self._card_id:
                self._bindings.events.append(BoundEvent.of(event, details))

    def finish(
        self,
        *,
        summary: tuple[int, str] | None = None,
        head: tuple[str, Checkpoint] | None = None,
        kept: Iterable[tuple[str, Checkpoint]] = (),
        keys: Sequence[PublicKey] = (),
        also: Iterable[Finding] = (),
    ) -> LedgerResult:
        """Cross-check what was fed: with the card summary's (latest version, status) if
        given (None offline), with `head` — the card's own signed checkpoint, which must cover
        every version and every event about the card — and with checkpoints kept earlier,
        each named for the findings. `also` holds the caller's own findings about the
        versions (provenance), placed after what the ledger found of the same version."""
        if not self._broken_sequence:
            self._bindings.cross_check()
        self._findings += also
        if summary is not None and not self._broken_sequence:
            latest, status = summary
            if (latest, status) != (self._count, self._last_status):
                self.note(
                    "card",
                    f"its summary shows version {latest} as latest, {status}; the versions "
                    f"say version {self._count}, {self._last_status}",
                )
        checked = 0
        if head is not None:
            checked += 1
            name, checkpoint = head
            if self._check_checkpoint(name, checkpoint, keys):
                self._check_head(name, checkpoint)
        for name, checkpoint in kept:
            checked += 1
            self._check_checkpoint(name, checkpoint, keys)
        return LedgerResult(
            versions=self._count,
            events=self._event_count,
            version_sha256=self._previous,
            event_sha256=self._event_last,
            findings=tuple(sorted(self._findings, key=_order)[:MAX_FINDINGS]),
            checkpoints_checked=checked,
        )

    def note(self, record: str, reason: str, version: int | None = None) -> None:
        """Add a finding of the caller's (a malformed checkpoint, say)."""
        self._findings.append(Finding(record, reason, version))

    def _check_checkpoint(
        self, name: str, checkpoint: Checkpoint, keys: Sequence[PublicKey]
    ) -> bool:
        """Whether the checkpoint is this card's, signed by one of `keys` (then its claims
        are compared with the history)."""
        if not any(checkpoint.signed_by(key) for key in keys):
            self.note(name, "its signature does not verify with the service's public key")
            return False
        if checkpoint.card_id != self._card_id:
            self.note(name, "is a checkpoint of another card")
            return False
        chain = self._bindings.claims.chains.get(checkpoint.versions)
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
        if checkpoint.events > self._event_count:
            self.note(
                name,
                f"signed {checkpoint.events} audit event(s); only {self._event_count} exist: "
                "events were deleted",
            )
        elif event != checkpoint.event_sha256:
            self.note(
                name, f"audit event {checkpoint.events} was rewritten after {checkpoint.signed_at}"
            )
        return True

    def _check_head(self, name: str, checkpoint: Checkpoint) -> None:
        """The card's own checkpoint is signed after every write: nothing about the card may
        come after it (an event that is not about the card — a denial, a job — may)."""
        if checkpoint.versions < self._count:
            self.note(
                name,
                f"covers {checkpoint.versions} version(s); versions {checkpoint.versions + 1} "
                f"to {self._count} came after it, and nothing signed covers them",
            )
        later = [e for e in self._bindings.events if e.sequence > checkpoint.events]
        if later:
            self.note(
                name,
                f"covers {checkpoint.events} audit event(s); event {later[0].sequence} "
                f"({later[0].operation}) about this card came after it, unsigned",
            )


def _order(finding: Finding) -> tuple[int, int]:
    # Versions first, by number; then audit events; then the card and its checkpoints.
    if finding.record.startswith("version"):
        return (0, finding.version or 0)
    if finding.audit_event is not None:
        return (1, finding.audit_event)
    return (2, 0)

"""One version re-hashed on its own and against the one before it (pure)."""

from __future__ import annotations

import itertools

from cardgraph.ledger.facts import Finding, VersionFacts
from cardgraph.ledger.records import LEDGER_SCHEME, status_sha256, version_sha256


def version_findings(
    card_id: str, version: VersionFacts, expected_number: int, previous: str | None
) -> list[Finding]:
    """What is wrong with `version`, which should be number `expected_number`, chained after
    `previous` (None for the first)."""
    where = f"version {expected_number}"
    if version.number != expected_number:
        return [Finding(where, f"{where} is missing", expected_number)]
    if version.scheme != LEDGER_SCHEME:
        return [
            Finding(
                where,
                "was written before the ledger scheme (run `cardgraph migrate-ledger`)",
                expected_number,
            )
        ]
    found: list[Finding] = []

    def problem(reason: str, record: str = where) -> None:
        found.append(Finding(record, reason, expected_number))

    if version.computed_content_sha256 != version.content_sha256:
        problem("the content does not match its SHA-256")
    if version.previous_chain_sha256 != previous:
        problem("the link to the previous version does not match")
    history = version.status_history
    if not history or history[0].from_status is not None:
        problem("its status history does not start with its creation")
        return found
    first = history[0]
    chain = version_sha256(
        card_id=card_id,
        number=version.number,
        previous_chain_sha256=version.previous_chain_sha256,
        content_sha256=version.content_sha256,
        created_at=version.created_at,
        created_by=version.created_by,
        source=version.source,
        job_id=version.job_id,
        status=first.to_status,
    )
    if chain != version.chain_sha256:
        problem("the chain hash does not match its record (content, who, when, source, status)")
    if (first.changed_by, first.changed_at, first.sha256) != (
        version.created_by,
        version.created_at,
        version.chain_sha256,
    ):
        problem("its first status entry is not its creation")
    for position, (before, change) in enumerate(itertools.pairwise(history), 2):
        record = f"{where}, status change {position}"
        if change.from_status != before.to_status:
            problem(
                f"changes from {change.from_status}, but the status was {before.to_status}", record
            )
        expected = status_sha256(
            card_id=card_id,
            number=version.number,
            content_sha256=version.content_sha256,
            previous_sha256=before.sha256,
            from_status=change.from_status,
            to_status=change.to_status,
            changed_by=change.changed_by,
            changed_at=change.changed_at,
        )
        if expected != change.sha256:
            problem("the status change does not match its hash", record)
    if version.status != history[-1].to_status:
        problem(
            f"its status is {version.status}, but its last status change is to "
            f"{history[-1].to_status}"
        )
    return found

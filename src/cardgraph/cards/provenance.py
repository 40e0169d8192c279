"""Where each top-level section of a version came from (pure): a section a write changed is
that write's; a section it left alone keeps the provenance it had in the version before."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from cardgraph.cards.models import CardVersion, Origin, SectionProvenance
from cardgraph.ledger.bindings import section_origin


def with_provenance(
    version: CardVersion, previous: CardVersion | None, changed: Iterable[str], origin: Origin
) -> CardVersion:
    """`version` (new, of content that changed `changed` sections from `previous`) with the
    provenance of every section it holds."""
    written = set(changed)
    before = {p.section: p for p in shown_provenance(previous)} if previous else {}
    entries = []
    for section in sorted(version.content):
        kept = before.get(section)
        if kept is not None and section not in written:
            entries.append(kept)
        else:
            read = section_origin(origin, section)
            details = tuple(sorted((str(k), str(v)) for k, v in read.items()))
            entries.append(written_entry(version, section, details))
    return dataclasses.replace(version, provenance=tuple(entries))


def shown_provenance(version: CardVersion) -> tuple[SectionProvenance, ...]:
    """The provenance of each section of `version`: as recorded, or (for a version written
    before provenance was kept) inferred from the version itself and marked so."""
    if version.provenance or not version.content:
        return version.provenance
    return tuple(
        written_entry(version, section, recorded=False) for section in sorted(version.content)
    )


def written_entry(
    version: CardVersion,
    section: str,
    details: tuple[tuple[str, str], ...] = (),
    recorded: bool = True,
) -> SectionProvenance:
    """The provenance of a section that `version`'s own write set: its chained author, time,
    source and job, and what it read."""
    return SectionProvenance(
        section=section,
        version=version.number,
        source=version.source,
        actor=version.created_by,
        at=version.created_at,
        job_id=version.job_id,
        details=details,
        recorded=recorded,
    )


def origin_details(origin: Origin) -> dict[str, Any]:
    """The origin a write's audit event records (hashed into the audit chain)."""
    return {section: dict(sorted(details.items())) for section, details in sorted(origin.items())}

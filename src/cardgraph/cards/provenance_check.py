"""Each version's stored provenance against the hashed facts it follows from (pure): a section
a version's write changed is that write's (its chained author, time, source and job), and a
section it left alone keeps the provenance it had one version before. What the write read is
checked against its audit event by the ledger (`VersionFacts.origins`)."""

from __future__ import annotations

from cardgraph.cards.field_diff import changed_sections
from cardgraph.cards.models import CardVersion, SectionProvenance
from cardgraph.cards.provenance import shown_provenance, written_entry
from cardgraph.ledger.facts import Finding


class ProvenanceCheck:
    """Feed the versions in number order; findings come back for each."""

    def __init__(self) -> None:
        self._previous: CardVersion | None = None

    def add(self, version: CardVersion) -> list[Finding]:
        """What is wrong with `version`'s provenance, given the version fed before it."""
        previous, self._previous = self._previous, version
        if not version.provenance:  # written before provenance was kept
            return []
        where = f"version {version.number}"
        try:
            return _findings(version, previous, where)
        except (ValueError, TypeError, AttributeError) as error:  # content that is not JSON
            return [Finding(where, f"its provenance cannot be checked ({error})", version.number)]


def origins(version: CardVersion) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...] | None:
    """The sections `version`'s provenance says its own write set, with what the write read."""
    if not version.provenance:
        return None
    return tuple(
        (p.section, p.details)
        for p in version.provenance
        if p.version == version.number and p.recorded
    )


def _findings(version: CardVersion, previous: CardVersion | None, where: str) -> list[Finding]:
    number = version.number
    found: list[Finding] = []
    sections = [p.section for p in version.provenance]
    if sections != sorted(version.content):
        found.append(Finding(where, "its provenance does not name exactly its sections", number))
    before = {p.section: p for p in shown_provenance(previous)} if previous else {}
    changed = (
        set(changed_sections(previous.content, version.content))
        if previous is not None
        else set(version.content)
    )
    for entry in version.provenance:
        if entry.version == number:
            if entry.section not in changed or not _written_by(entry, version):
                found.append(
                    Finding(
                        where,
                        f"the provenance of {entry.section} is not the write of this version",
                        number,
                    )
                )
        elif entry.section in changed or before.get(entry.section) != entry:
            found.append(
                Finding(
                    where,
                    f"the provenance of {entry.section} is not the one it had in version "
                    f"{number - 1}",
                    number,
                )
            )
    return found


def _written_by(entry: SectionProvenance, version: CardVersion) -> bool:
    return entry == written_entry(version, entry.section, entry.details)

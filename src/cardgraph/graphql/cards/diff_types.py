"""GraphQL types of field-level differences between versions."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from cardgraph.cards import field_diff
from cardgraph.cards.field_diff import ChangeKind
from cardgraph.graphql.context import Info

strawberry.enum(
    ChangeKind,
    description="How a value changed: ADDED, REMOVED, CHANGED, or REORDERED (named items "
    "that kept their names but changed places; `before` and `after` list the names).",
)


@strawberry.type(name="FieldChange", description="One value that differs between two versions.")
class FieldChangeType:
    """A changed value, where it is, and what it was and became."""

    path: str = strawberry.field(
        description="RFC 9535 JSONPath of the value in the content JSON. Named items "
        "(evaluation jobs, metric groups, metrics) are selected by name, "
        "`$.evaluation_details[?@.name=='nightly']`, other array items by position."
    )
    section: str = strawberry.field(description="The top-level section the value is in.")
    kind: ChangeKind = strawberry.field(description="How it changed.")
    before: JSON | None = strawberry.field(description="The value before; null when ADDED.")
    after: JSON | None = strawberry.field(description="The value after; null when REMOVED.")

    @classmethod
    def from_domain(cls, change: field_diff.FieldChange) -> FieldChangeType:
        return cls(
            path=change.path,
            section=change.section,
            kind=change.kind,
            before=cast("JSON", change.before),
            after=cast("JSON", change.after),
        )


@strawberry.type(name="VersionDiff", description="What changed from one version to another.")
class VersionDiffType:
    """The changes between two versions of a card, worked out only when asked for."""

    diff: strawberry.Private[field_diff.VersionDiff]

    async def _sections_changed(self, info: Info) -> list[str]:
        return await info.context.services.cards.reads.sections(self.diff)

    async def _changes(self, info: Info) -> list[FieldChangeType]:
        changes = await info.context.services.cards.reads.changes(self.diff)
        return [FieldChangeType.from_domain(change) for change in changes]

    card_name: str = strawberry.field(description="The card.")
    from_version: int = strawberry.field(description="The version compared from.")
    to_version: int = strawberry.field(description="The version compared to.")
    sections_changed: list[str] = strawberry.field(
        resolver=_sections_changed,
        description="The top-level sections with a change, sorted as in the stored JSON "
        "(cheaper than `changes`: no change is built).",
    )
    changes: list[FieldChangeType] = strawberry.field(
        resolver=_changes,
        description="Every changed value, in the order of the stored JSON; empty when the "
        "content is equal. Arrays holding no object (a chart's numbers, a matrix) change as "
        "one value.",
    )

    @classmethod
    def from_domain(cls, diff: field_diff.VersionDiff) -> VersionDiffType:
        return cls(
            diff=diff,
            card_name=diff.after.card_name,
            from_version=diff.before.number,
            to_version=diff.after.number,
        )

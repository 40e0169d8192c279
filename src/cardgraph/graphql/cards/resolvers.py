"""Card queries and mutations: thin calls into `CardService`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from cardgraph.cards.as_of import instant
from cardgraph.graphql.cards.diff_types import VersionDiffType
from cardgraph.graphql.cards.inputs import (
    CardFilter,
    CardSort,
    CreateCardInput,
    SetCardStatusInput,
    UpdateCardContentInput,
    UpdateCardInput,
)
from cardgraph.graphql.cards.types import CardType, CardVersionType
from cardgraph.graphql.context import Info
from cardgraph.graphql.jobs.autopopulate import start_autopopulation
from cardgraph.graphql.pagination import Connection, page_request, to_connection

AS_OF = strawberry.argument(
    description="Answer as of this instant (ISO 8601; without a zone, UTC): status, risk "
    "rating and versions as they stood then, from the chained status history. Deleted cards "
    "that stood then are included."
)


@strawberry.type
class CardQuery:
    """Card queries."""

    @strawberry.field(
        description="A card by name; null if there is none. With `asOf`, the card that bore "
        "the name at that instant, as it stood then (null if none did)."
    )
    async def card(
        self, info: Info, name: str, as_of: Annotated[datetime | None, AS_OF] = None
    ) -> CardType | None:
        cards = info.context.services.cards
        if as_of is not None:
            at = instant(as_of)
            then = await cards.as_of.card(name, at)
            return CardType.from_domain(then, as_of=at) if then else None
        found = await cards.find_card(name)
        return CardType.from_domain(found) if found else None

    @strawberry.field(description="Cards matching a filter, in a chosen order (≤ 100 a page).")
    async def cards(
        self,
        info: Info,
        filter: CardFilter | None = None,
        sort: CardSort | None = None,
        first: int | None = None,
        after: str | None = None,
        as_of: Annotated[datetime | None, AS_OF] = None,
    ) -> Connection[CardType]:
        cards = info.context.services.cards
        card_sort = (sort or CardSort()).to_domain()
        card_filter = (filter or CardFilter()).to_domain()
        request = await page_request(info, cards.cursor_kind(card_sort), first, after)
        if as_of is None:
            page = await cards.cards(card_filter, card_sort, request)
            return await to_connection(info, page, CardType.from_domain)
        at = instant(as_of)
        then = await cards.as_of.cards(card_filter, card_sort, request, at)
        return await to_connection(info, then, lambda c: CardType.from_domain(c, as_of=at))

    @strawberry.field(
        description="Every field that changed from one version of a card to another (either "
        "order): JSONPaths with the values before and after."
    )
    async def version_diff(
        self,
        info: Info,
        name: str,
        from_: Annotated[int, strawberry.argument(name="from", description="Version from.")],
        to: Annotated[int, strawberry.argument(description="Version to.")],
    ) -> VersionDiffType:
        diff = await info.context.services.cards.version_diff(name, from_, to)
        return VersionDiffType.from_domain(diff)


@strawberry.type
class CardMutation:
    """Card mutations."""

    @strawberry.mutation(description="Create a card; returns version 1. Needs editor.")
    async def create_card(self, info: Info, input: CreateCardInput) -> CardVersionType:
        if input.autopopulate is not None:
            input.autopopulate.job_input()  # refuse an empty source list before creating
        version = await info.context.services.cards.create_card(
            input.name,
            input.resolved_content(),
            info.context.actor,
            status=input.status,
            kms_key_id=input.kms_key_id,
        )
        if input.autopopulate is not None:
            await start_autopopulation(info, input.name, input.autopopulate)
        return CardVersionType.from_domain(version)

    @strawberry.mutation(
        description="Change a card's content: a new DRAFT version, or the latest version "
        "unchanged when the content is identical. Needs editor."
    )
    async def update_card_content(
        self,
        info: Info,
        input: UpdateCardContentInput,
    ) -> CardVersionType:
        version = await info.context.services.cards.update_content(
            input.name,
            input.resolved_content(),
            info.context.actor,
            expected_version=input.expected_version,
        )
        return CardVersionType.from_domain(version)

    @strawberry.mutation(
        description="Change the latest version's status in place. Needs editor; APPROVED "
        "needs approver."
    )
    async def set_card_status(
        self,
        info: Info,
        input: SetCardStatusInput,
    ) -> CardVersionType:
        version = await info.context.services.cards.set_status(
            input.name, input.status, info.context.actor
        )
        return CardVersionType.from_domain(version)

    @strawberry.mutation(
        description="SageMaker UpdateModelCard: change content or status (not both)."
    )
    async def update_card(self, info: Info, input: UpdateCardInput) -> CardVersionType:
        version = await info.context.services.cards.update_card(
            input.name,
            info.context.actor,
            content=input.given_content(),
            status=input.status,
            expected_version=input.expected_version,
        )
        return CardVersionType.from_domain(version)

    @strawberry.mutation(description="Delete a card; its history is kept. Needs admin.")
    async def delete_card(self, info: Info, name: str) -> bool:
        return await info.context.services.cards.delete_card(name, info.context.actor)

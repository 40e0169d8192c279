"""Seeding a cardgraph database for the benchmarks: cards through the card service (as an API
would make them), long histories in bulk (as an import would)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import redis.asyncio as aioredis

from cardgraph.audit.models import audit_event
from cardgraph.cards.field_diff import changed_sections
from cardgraph.cards.ledger_entries import chained_version
from cardgraph.cards.models import CardStatus, CardVersion, VersionSource
from cardgraph.cards.provenance import with_provenance
from cardgraph.cards.repository import CardRepository, summary_change
from cardgraph.clock import utc_now_ms
from cardgraph.hashing import canonical_json
from cardgraph.principals import Principal, Role
from cardgraph.services import Services, build_services
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client

SEEDER = Principal(key_id="bench", name="bench-seeder", role=Role.ADMIN)
HISTORY_BATCH = 5000


@asynccontextmanager
async def seeding(settings: Settings) -> AsyncIterator[tuple[Services, CardRepository]]:
    """Services and the card repository on their own clients (events reach the API)."""
    mongo = create_async_client(settings)
    redis = aioredis.from_url(settings.redis_url or "")
    try:
        yield (
            build_services(settings, mongo, redis),
            CardRepository(mongo[settings.mongodb_database]),
        )
    finally:
        await redis.aclose()
        await mongo.close()


async def create_cards(
    services: Services,
    names: list[str],
    content_of: Callable[[int], dict[str, Any]],
    concurrency: int = 16,
) -> None:
    """Create cards (each with version 1), `concurrency` at a time."""
    queue = list(enumerate(names))

    async def creator() -> None:
        while queue:
            index, name = queue.pop()
            await services.cards.create_card(name, content_of(index), SEEDER)

    await asyncio.gather(*(creator() for _ in range(concurrency)))


async def grow_history(
    services: Services,
    repository: CardRepository,
    name: str,
    total: int,
    content_of: Callable[[int], dict[str, Any]] | None = None,
    step: timedelta = timedelta(0),
) -> None:
    """Give a card `total` versions, inserting the missing ones in bulk with valid chains
    (version N's content is `content_of(N)`, by default a one-field overview), each created
    `step` after the one before (from now on: as-of searches then have instants to find)."""
    card = await services.cards.require_card(name)
    latest = await services.cards.latest_version(card)
    previous, now = latest.chain_sha256, utc_now_ms()
    batch: list[CardVersion] = []
    last = latest
    for number in range(latest.number + 1, total + 1):
        before = last
        last = chained_version(
            card.id,
            name,
            number,
            canonical_json(
                content_of(number) if content_of else {"model_overview": {"model_version": number}}
            ),
            CardStatus.DRAFT,
            previous,
            SEEDER.actor,
            now + step * (number - latest.number),
            VersionSource.MANUAL,
        )
        # Each section's provenance, as the content writer records it.
        changed = changed_sections(before.content, last.content)
        last = with_provenance(last, before, changed, {})
        previous = last.chain_sha256
        batch.append(last)
        if len(batch) == HISTORY_BATCH:
            await _insert_history(services, repository, batch)
            batch = []
    await _insert_history(services, repository, batch)
    await repository.apply_summary(summary_change(card, last, None, None, last.created_at))
    await services.cards.checkpoints.sign_head(card)


async def _insert_history(
    services: Services, repository: CardRepository, versions: list[CardVersion]
) -> None:
    """Bulk-insert consecutive versions of one card and the audit events recording them (as
    the content writer does); a number that exists already is an error."""
    if not versions:
        return
    if await repository.insert_versions(versions) != len(versions):
        raise RuntimeError(f"{versions[0].card_id}: a seeded version exists already")
    await services.audit.record_all(
        [
            audit_event(
                SEEDER,
                "updateCardContent",
                None,
                card_name=v.card_name,
                version=v.number,
                after=v.content_sha256,
                details={
                    "source": v.source.value,
                    "job": None,
                    "cardId": v.card_id,
                    "chainSha256": v.chain_sha256,
                },
            )
            for v in versions
        ]
    )

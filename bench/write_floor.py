"""The storage floor of a version write: the one bulkWrite cardgraph sends for it (a 10 KB
version, the card summary, the audit event), built by cardgraph's own repositories and sent
back to back from one client, with no HTTP, GraphQL or service work around it."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from bench.seeding import SEEDER
from cardgraph.audit.models import audit_event
from cardgraph.audit.repository import AuditRepository
from cardgraph.audit.service import AuditLog
from cardgraph.cards.ledger_entries import chained_version
from cardgraph.cards.models import CardStatus, VersionSource
from cardgraph.cards.repository import CardRepository, summary_change
from cardgraph.clock import utc_now_ms
from cardgraph.hashing import canonical_json
from cardgraph.services import build_services
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client, ensure_indexes
from cardgraph.storage.ordered_writes import OrderedWrites

WRITES = 1000


def rate(settings: Settings, content: dict[str, Any], writes: int = WRITES) -> float:
    """Version writes per second that the storage server alone allows, from one client."""
    return asyncio.run(
        _rate(settings.model_copy(update={"mongodb_database": "write_floor"}), content, writes)
    )


async def _rate(settings: Settings, content: dict[str, Any], writes: int) -> float:
    mongo = create_async_client(settings)
    try:
        db = mongo[settings.mongodb_database]
        await ensure_indexes(db)
        services = build_services(settings, mongo, None)
        name = f"floor-{uuid.uuid4().hex[:8]}"
        latest = await services.cards.create_card(name, content, SEEDER)
        card = await services.cards.require_card(name)
        repository, audit, ordered = (
            CardRepository(db),
            AuditLog(AuditRepository(db)),
            OrderedWrites(mongo),
        )
        started = time.perf_counter()
        for i in range(writes):
            marked = {**content, "business_details": {"business_problem": f"floor {i}"}}
            now = utc_now_ms()
            version = chained_version(
                card.id,
                name,
                latest.number + 1,
                canonical_json(marked),
                CardStatus.DRAFT,
                latest.chain_sha256,
                SEEDER.actor,
                now,
                VersionSource.MANUAL,
            )
            event = audit_event(
                SEEDER,
                "updateCardContent",
                None,
                card_name=name,
                version=version.number,
                before=latest.content_sha256,
                after=version.content_sha256,
            )
            change = summary_change(card, version, card.risk_rating, None, now)
            prepared = await audit.prepare_all([event])
            written = await ordered.write(
                [
                    *repository.version_operations([version]),
                    repository.summary_operation(change),
                    *prepared.operations,
                ]
            )
            await audit.settle(prepared, written.applied - 2)
            latest, card = version, change.card
        return writes / (time.perf_counter() - started)
    finally:
        await mongo.close()

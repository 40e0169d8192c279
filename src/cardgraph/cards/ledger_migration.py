"""Bringing versions written before the ledger scheme into it, once per card.

Each version's content is re-serialised as RFC 8785 JSON and every record re-hashed under the
ledger rules; its old hashes stay beside it (`legacy`). The old chain is checked first, and a
`migrateLedger` audit event records the old head, whether the old chain was intact, and a
digest of everything the migration vouches for — the events written before the ledger bound
no hashes, so this record stands for them — and the card's new head is signed.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cardgraph.audit.service import AuditLog
from cardgraph.cards.card_documents import card_from_document
from cardgraph.cards.checkpoints import CardCheckpoints
from cardgraph.cards.ledger_entries import chained_version, status_head
from cardgraph.cards.models import CardVersion, StatusChange
from cardgraph.cards.version_documents import (
    status_change_documents,
    version_from_document,
    version_id,
)
from cardgraph.clock import utc_now_ms
from cardgraph.hashing import (
    canonical_json,
    legacy_chain_sha256,
    sha256_hex,
)
from cardgraph.ledger.bindings import MIGRATOR_ACTOR, migration_digest
from cardgraph.ledger.records import LEDGER_SCHEME, status_sha256
from cardgraph.principals import Principal, Role
from cardgraph.storage.mongo import (
    AUDIT_EVENTS,
    CARD_VERSIONS,
    CARDS,
    DEPLOYMENT_SECRETS,
    Document,
)

MIGRATOR = Principal(
    key_id="system:migration", name="ledger-migration", role=Role.ADMIN, acting_as=MIGRATOR_ACTOR
)
BATCH = 500
# Versions written before the ledger scheme.
OLD_SCHEME: Document = {"$or": [{"scheme": {"$exists": False}}, {"scheme": {"$lt": 2}}]}
LOCK_ID = "ledger_migration"


@dataclass(frozen=True, slots=True)
class MigratedCard:
    """What migrating one card did."""

    card_name: str
    versions: int
    legacy_head: str | None
    # The first version whose old hashes did not match, if any (the migration goes on: the
    # record says so, and the versions are vouched for as found).
    legacy_first_invalid: int | None
    # Why the card was left alone, if it was.
    refused: str | None = None


class LedgerMigration:
    """Finds cards with versions from before the ledger scheme and migrates them."""

    def __init__(
        self, db: AsyncDatabase[Document], audit: AuditLog, checkpoints: CardCheckpoints
    ) -> None:
        self._cards = db[CARDS]
        self._versions = db[CARD_VERSIONS]
        self._audits = db[AUDIT_EVENTS]
        self._locks = db[DEPLOYMENT_SECRETS]
        self._audit = audit
        self._checkpoints = checkpoints

    async def run_exclusively(self) -> list[MigratedCard] | None:
        """`run`, unless nothing needs it ([]) or another process holds the migration's lock
        (None): every API replica starts it, one does it."""
        stopped = await self._cards.find_one({"ledger_migrating": True}, {"_id": 1})
        if stopped is None and await self._versions.find_one(OLD_SCHEME, {"_id": 1}) is None:
            return []
        try:
            await self._locks.insert_one({"_id": LOCK_ID, "at": utc_now_ms()})
        except DuplicateKeyError:
            return None
        try:
            return await self.run()
        finally:
            await self._locks.delete_one({"_id": LOCK_ID})

    async def run(self) -> list[MigratedCard]:
        """Migrate every card that needs it (live or deleted); a second run does nothing."""
        wanted = set(await self._versions.distinct("card_id", OLD_SCHEME))
        # ...and cards a migration stopped in (their versions rewritten, no record yet).
        wanted |= set(await self._cards.distinct("_id", {"ledger_migrating": True}))
        done = []
        for card_id in sorted(wanted):
            doc = await self._cards.find_one({"_id": card_id})
            if doc is None:
                continue
            refused = await self._ledger_began(doc)
            if refused is not None:
                done.append(MigratedCard(doc["name"], 0, None, None, refused))
            else:
                done.append(await self._migrate(doc))
        return done

    async def _ledger_began(self, card_doc: Document) -> str | None:
        """Why a card with old versions is not one written before the ledger, if it is not: a
        version of the new scheme that no migration left, an audit event naming the card, or a
        signed checkpoint mean its ledger began, and an old version now is tampering, which
        migrating would launder (verifyCard reports it)."""
        card_id = card_doc["_id"]
        if card_doc.get("checkpoint") is not None:
            return "it has a signed checkpoint"
        if await self._audits.find_one({"chain": card_doc["name"], "details.cardId": card_id}):
            return "audit events name it"
        started = {"card_id": card_id, "scheme": LEDGER_SCHEME, "legacy": {"$exists": False}}
        if await self._versions.find_one(started):
            return "it has versions written under the ledger scheme"
        return None

    async def _migrate(self, card_doc: Document) -> MigratedCard:
        card = card_from_document(card_doc)
        await self._cards.update_one({"_id": card.id}, {"$set": {"ledger_migrating": True}})
        previous: CardVersion | None = None
        legacy_previous: str | None = None
        legacy_first_invalid: int | None = None
        vouched: list[list[Any]] = []
        after = 0
        while True:
            cursor = (
                self._versions.find({"card_id": card.id, "number": {"$gt": after}})
                .sort("number", ASCENDING)
                .limit(BATCH)
            )
            docs = [doc async for doc in cursor]
            updates = []
            for doc in docs:
                old = version_from_document(doc, card.name)
                legacy = doc.get("legacy") or {
                    "content_sha256": old.content_sha256,
                    "chain_sha256": old.chain_sha256,
                    "prev_sha256": old.previous_chain_sha256,
                    "content_json_sha256": sha256_hex(old.content_json),
                }
                expected_chain = legacy_chain_sha256(legacy_previous, legacy["content_sha256"])
                intact = (
                    legacy["content_json_sha256"] == legacy["content_sha256"]
                    and legacy["prev_sha256"] == legacy_previous
                    and legacy["chain_sha256"] == expected_chain
                )
                if not intact and legacy_first_invalid is None and old.scheme < LEDGER_SCHEME:
                    legacy_first_invalid = old.number
                legacy_previous = legacy["chain_sha256"]
                migrated = _rehashed(old, previous)
                vouched.append(
                    [
                        migrated.number,
                        migrated.chain_sha256,
                        [c.sha256 for c in migrated.status_history],
                    ]
                )
                updates.append(_update(migrated, legacy))
                previous = migrated
            if updates:
                await self._versions.bulk_write(updates, ordered=True)
            if len(docs) < BATCH:
                break
            after = docs[-1]["number"]
        await self._audit.record(
            MIGRATOR,
            "migrateLedger",
            card_name=card.name,
            version=previous.number if previous else None,
            details={
                "cardId": card.id,
                "versions": len(vouched),
                "legacyHead": legacy_previous,
                "legacyFirstInvalidVersion": legacy_first_invalid,
                "digest": migration_digest(vouched),
            },
        )
        # A new revision: readers drop versions cached with their old hashes.
        await self._cards.update_one(
            {"_id": card.id},
            {"$set": {"revision": secrets.randbits(62)}, "$unset": {"ledger_migrating": ""}},
        )
        if previous is not None and not card_doc.get("deleted"):
            await self._checkpoints.sign_head(card)
        return MigratedCard(card.name, len(vouched), legacy_previous, legacy_first_invalid)


def _rehashed(old: CardVersion, previous: CardVersion | None) -> CardVersion:
    """The version under the ledger rules, its content as RFC 8785 JSON, every status change
    marked as vouched for by the migration record."""
    content_json = canonical_json(json.loads(old.content_json))
    history = old.status_history or (
        StatusChange(None, old.status, old.created_by, old.created_at),
    )
    fresh = chained_version(
        old.card_id,
        old.card_name,
        old.number,
        content_json,
        history[0].to_status,
        previous.chain_sha256 if previous else None,
        old.created_by,
        old.created_at,
        old.source,
        old.job_id,
    )
    changes = [dataclasses.replace(fresh.status_history[0], migrated=True)]
    for change in history[1:]:
        sha = status_sha256(
            card_id=old.card_id,
            number=old.number,
            content_sha256=fresh.content_sha256,
            previous_sha256=changes[-1].sha256,
            from_status=change.from_status.value if change.from_status else None,
            to_status=change.to_status.value,
            changed_by=change.changed_by,
            changed_at=change.changed_at,
        )
        changes.append(dataclasses.replace(change, sha256=sha, migrated=True))
    return dataclasses.replace(fresh, status=old.status, status_history=tuple(changes))


def _update(version: CardVersion, legacy: dict[str, Any]) -> UpdateOne:
    return UpdateOne(
        {"_id": version_id(version.card_id, version.number)},
        {
            "$set": {
                "content_json": version.content_json,
                "content_sha256": version.content_sha256,
                "chain_sha256": version.chain_sha256,
                "prev_sha256": version.previous_chain_sha256,
                "status_history": status_change_documents(version),
                "status_sha256": status_head(version),
                "scheme": LEDGER_SCHEME,
                "legacy": legacy,
            }
        },
    )

"""`model_packages`: the registry mirror; a package's `card_id` is the one-to-one link."""

from __future__ import annotations

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cardgraph.packages.models import ModelPackage
from cardgraph.storage.mongo import MODEL_PACKAGES, Document


class ModelPackageRepository:
    """Reads and writes `model_packages`."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._packages = db[MODEL_PACKAGES]

    async def upsert(self, package: ModelPackage) -> ModelPackage | None:
        """Store what the registry says; return the previous state (None if new)."""
        doc = await self._packages.find_one_and_update(
            {"_id": package.arn},
            {
                "$set": {
                    "group_name": package.group_name,
                    "version": package.version,
                    "details": package.details,
                    "details_sha256": package.details_sha256,
                    "synced_at": package.synced_at,
                }
            },
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        return _package(doc) if doc else None

    async def get(self, arn: str) -> ModelPackage | None:
        """A package by ARN."""
        doc = await self._packages.find_one({"_id": arn})
        return _package(doc) if doc else None

    async def of_card(self, card_id: str) -> ModelPackage | None:
        """The package linked to a card."""
        doc = await self._packages.find_one({"card_id": card_id})
        return _package(doc) if doc else None

    async def link(self, arn: str, card_id: str, card_name: str) -> bool:
        """Link a package to a card unless another card holds it (the unique index decides)."""
        try:
            result = await self._packages.update_one(
                {"_id": arn, "$or": [{"card_id": {"$exists": False}}, {"card_id": card_id}]},
                {"$set": {"card_id": card_id, "card_name": card_name}},
            )
        except DuplicateKeyError:
            return False
        return result.matched_count == 1

    async def unlink_others(self, card_id: str, keep_arn: str) -> None:
        """Free every other package this card was linked to."""
        await self._packages.update_many(
            {"card_id": card_id, "_id": {"$ne": keep_arn}},
            {"$unset": {"card_id": "", "card_name": ""}},
        )

    async def in_group(
        self, group: str | None, after_arn: str | None, limit: int
    ) -> list[ModelPackage]:
        """Packages (of one group, or all) in ARN order after `after_arn`."""
        query: Document = {}
        if group is not None:
            query["group_name"] = group
        if after_arn is not None:
            query["_id"] = {"$gt": after_arn}
        cursor = self._packages.find(query).sort("_id", ASCENDING).limit(limit)
        return [_package(doc) async for doc in cursor]

    async def count(self, group: str | None) -> int:
        """How many packages (of one group, or all) are mirrored."""
        return await self._packages.count_documents({} if group is None else {"group_name": group})

    async def groups(self) -> list[str]:
        """Every group the mirror knows."""
        names = await self._packages.distinct("group_name")
        return sorted(n for n in names if isinstance(n, str))

    async def newest_linked_in_group(self, group: str) -> ModelPackage | None:
        """The highest package version of a group that has a card."""
        doc = await self._packages.find_one(
            {"group_name": group, "card_id": {"$exists": True}}, sort=[("version", -1)]
        )
        return _package(doc) if doc else None


def _package(doc: Document) -> ModelPackage:
    return ModelPackage(
        arn=doc["_id"],
        group_name=doc.get("group_name"),
        version=doc.get("version"),
        details=doc.get("details") or {},
        details_sha256=doc.get("details_sha256", ""),
        synced_at=doc["synced_at"],
        card_id=doc.get("card_id"),
        card_name=doc.get("card_name"),
    )

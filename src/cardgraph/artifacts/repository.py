"""Artifact documents; the unique `key` makes storing the same render twice impossible."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cardgraph.artifacts.models import Artifact
from cardgraph.storage.mongo import ARTIFACTS, Document


class ArtifactRepository:
    """Reads and writes `artifacts`."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._artifacts = db[ARTIFACTS]

    async def insert(self, artifact: Artifact) -> Artifact:
        """Store an artifact; if its key exists already, return the stored one instead."""
        try:
            await self._artifacts.insert_one(
                {
                    "_id": artifact.id,
                    "key": artifact.key,
                    "filename": artifact.filename,
                    "content_type": artifact.content_type,
                    "size": artifact.size,
                    "sha256": artifact.sha256,
                    "created_at": artifact.created_at,
                    "job_id": artifact.job_id,
                    "card_name": artifact.card_name,
                }
            )
        except DuplicateKeyError:
            existing = await self.find_by_key(artifact.key)
            assert existing is not None
            return existing
        return artifact

    async def find_by_key(self, key: str) -> Artifact | None:
        """The artifact rendering `key`, if any."""
        doc = await self._artifacts.find_one({"key": key})
        return _artifact(doc) if doc else None

    async def get(self, artifact_id: str) -> Artifact | None:
        """An artifact by id."""
        doc = await self._artifacts.find_one({"_id": artifact_id})
        return _artifact(doc) if doc else None


def _artifact(doc: Document) -> Artifact:
    return Artifact(
        id=doc["_id"],
        key=doc["key"],
        filename=doc["filename"],
        content_type=doc["content_type"],
        size=doc["size"],
        sha256=doc["sha256"],
        created_at=doc["created_at"],
        job_id=doc["job_id"],
        card_name=doc.get("card_name"),
    )

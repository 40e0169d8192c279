"""API key documents: id, name, role, SHA-256 of the secret, creation and revocation."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from cardgraph.access.models import ApiKey
from cardgraph.principals import Role
from cardgraph.storage.mongo import API_KEYS, Document
from cardgraph.storage.stored_values import stored_enum_name


class ApiKeyRepository:
    """Stores API keys; secrets are never stored, only their hashes."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._keys = db[API_KEYS]

    async def insert(self, key: ApiKey, secret_sha256: str) -> None:
        """Store a new key with the hash of its secret."""
        await self._keys.insert_one(
            {
                "_id": key.id,
                "name": key.name,
                "role": key.role.name,
                "secret_sha256": secret_sha256,
                "created_at": key.created_at,
                "created_by": key.created_by,
                "revoked_at": None,
            }
        )

    async def find_with_hash(self, key_id: str) -> tuple[ApiKey, str] | None:
        """A key and the hash of its secret, by id."""
        doc = await self._keys.find_one({"_id": key_id})
        return (_api_key(doc), doc["secret_sha256"]) if doc else None

    async def get(self, key_id: str) -> ApiKey | None:
        """A key by id."""
        found = await self.find_with_hash(key_id)
        return found[0] if found else None

    async def revoke(self, key_id: str, revoked_at: datetime) -> bool:
        """Mark a key revoked; False when it does not exist or already was."""
        result = await self._keys.update_one(
            {"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": revoked_at}}
        )
        return result.modified_count == 1

    async def list_all(self) -> list[ApiKey]:
        """Every key, oldest first."""
        return [_api_key(doc) async for doc in self._keys.find().sort("created_at", 1)]


def _api_key(doc: Document) -> ApiKey:
    return ApiKey(
        id=doc["_id"],
        name=doc["name"],
        role=stored_enum_name(
            Role, doc["role"], record="API key", record_id=doc["_id"], field="role"
        ),
        created_at=doc["created_at"],
        created_by=doc["created_by"],
        revoked_at=doc.get("revoked_at"),
    )

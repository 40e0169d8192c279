"""The secret that signs cursors: configured, or created once in MongoDB for the deployment.

Every API process must sign with the same secret (a cursor from one replica is read by the
next), so an unconfigured deployment keeps one random secret in the database they already
share: the first process to start inserts it, every later one reads the same document.
"""

from __future__ import annotations

import asyncio
import secrets

from pydantic import SecretStr
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from cardgraph.clock import utc_now_ms
from cardgraph.pagination import SECRET_MIN_BYTES, CursorCodec
from cardgraph.storage.mongo import Document

SIGNING_DOCUMENT_ID = "cursor_signing"
INSERT_ATTEMPTS = 5


class CursorSigning:
    """The deployment's cursor codec, loaded on first use and kept for the process's life."""

    def __init__(self, configured: SecretStr | None, stored: AsyncCollection[Document]) -> None:
        self._configured = configured
        self._stored = stored
        self._codec: CursorCodec | None = None

    async def codec(self) -> CursorCodec:
        """The codec signing with this deployment's secret (read from MongoDB once if unset)."""
        if self._codec is None:
            # Concurrent first calls each read the same stored secret: no lock is needed.
            self._codec = CursorCodec(await self._secret())
        return self._codec

    async def _secret(self) -> bytes:
        if self._configured is not None:
            return self._configured.get_secret_value().encode()
        query = {"_id": SIGNING_DOCUMENT_ID}
        candidate = {"secret": secrets.token_bytes(SECRET_MIN_BYTES), "created_at": utc_now_ms()}
        found: Document | None = None
        for attempt in range(INSERT_ATTEMPTS):
            try:
                found = await self._stored.find_one_and_update(
                    query,
                    {"$setOnInsert": candidate},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                found = None
            if found is not None:
                break
            # Another process's insert won the race but is not visible yet: read it again.
            await asyncio.sleep(0.01 * (attempt + 1))
        stored = found.get("secret") if found else None
        if not isinstance(stored, bytes) or len(stored) < SECRET_MIN_BYTES:
            raise RuntimeError(f"no well-formed cursor secret stored under {query}")
        return stored

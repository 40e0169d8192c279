"""Rendered files kept as artifacts: stored once per key, found again, handed out to readers."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

from cardgraph.artifacts.models import Artifact
from cardgraph.artifacts.repository import ArtifactRepository
from cardgraph.artifacts.store import ArtifactStore
from cardgraph.clock import utc_now_ms
from cardgraph.principals import Principal


class ArtifactWriter:
    """Stores rendered files as artifacts, keyed so that equal renders are stored once."""

    def __init__(self, repository: ArtifactRepository, store: ArtifactStore, base_url: str) -> None:
        self._repository = repository
        self._store = store
        self._base_url = base_url

    async def existing(self, key: str) -> Artifact | None:
        """A stored artifact for `key` whose bytes are present."""
        found = await self._repository.find_by_key(key)
        return found if found is not None and await self._store.exists(found.id) else None

    async def save(
        self,
        key: str,
        filename: str,
        content_type: str,
        data: bytes,
        job_id: str,
        card_name: str | None,
        kms_key_id: str | None = None,
    ) -> Artifact:
        """Write bytes, then record them; a concurrent equal render wins and is returned."""
        artifact = Artifact(
            id=uuid.uuid4().hex,
            key=key,
            filename=filename,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=utc_now_ms(),
            job_id=job_id,
            card_name=card_name,
        )
        await self._store.write(artifact.id, data, content_type, kms_key_id)
        # A concurrent equal render may have been recorded first; its copy wins, and ours
        # stays unreferenced (harmless: the bytes are identical).
        return await self._repository.insert(artifact)

    def describe(self, artifact: Artifact) -> dict[str, Any]:
        """The artifact as it appears in a job result."""
        return {
            "artifactId": artifact.id,
            "filename": artifact.filename,
            "size": artifact.size,
            "sha256": artifact.sha256,
            "contentType": artifact.content_type,
            "downloadUrl": self._store.download_url(artifact, self._base_url),
        }

    async def readable(self, artifact_id: str, reader: Principal) -> Artifact | None:
        """The artifact `reader` may download, with its bytes present; None otherwise (an
        artifact the reader may not see is reported as missing: its existence is not theirs)."""
        found = await self._repository.get(artifact_id)
        if found is None or not found.readable_by(reader):
            return None
        return found if await self._store.exists(found.id) else None

    def local_path(self, artifact: Artifact) -> Path | None:
        """Where the bytes are on this machine; None when they are in S3."""
        return self._store.local_path(artifact.id)

    def download_url(self, artifact: Artifact) -> str:
        """A URL the artifact can be downloaded from (presigned when it is in S3)."""
        return self._store.download_url(artifact, self._base_url)

    async def find(self, artifact_id: str) -> Artifact | None:
        """The artifact record with this id (for the service that made or received it)."""
        return await self._repository.get(artifact_id)

    async def read(self, artifact_id: str) -> bytes:
        """The stored bytes of an artifact."""
        return await self._store.read(artifact_id)

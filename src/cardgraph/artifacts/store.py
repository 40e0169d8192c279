"""Where artifact bytes live: a local directory (default) or an S3 bucket (SSE-KMS per card)."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Protocol

from cardgraph.artifacts.models import Artifact
from cardgraph.aws.s3 import S3, S3Location

_SAFE_ID = re.compile(r"^[0-9a-f]{32}$")


def _checked(artifact_id: str) -> str:
    # Ids become file names and keys: only our own hex ids are accepted.
    if not _SAFE_ID.fullmatch(artifact_id):
        raise ValueError("invalid artifact id")
    return artifact_id


class ArtifactStore(Protocol):
    """Storage of artifact bytes."""

    async def write(
        self, artifact_id: str, data: bytes, content_type: str, kms_key_id: str | None
    ) -> None:
        """Store bytes under an id."""

    async def read(self, artifact_id: str) -> bytes:
        """The bytes of an artifact."""

    async def exists(self, artifact_id: str) -> bool:
        """Whether the bytes are present."""

    def download_url(self, artifact: Artifact, api_base_url: str) -> str:
        """Where a client downloads the artifact."""

    def local_path(self, artifact_id: str) -> Path | None:
        """The file, when the store is local (the API then serves it itself)."""


class LocalArtifactStore:
    """Files named by artifact id under one directory; writes are atomic (temp + rename)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def local_path(self, artifact_id: str) -> Path:
        """Where an artifact's bytes live."""
        checked = _checked(artifact_id)
        return self._root / checked[:2] / checked

    def _write(self, artifact_id: str, data: bytes) -> None:
        target = self.local_path(artifact_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".partial")
        temporary.write_bytes(data)
        os.replace(temporary, target)

    async def write(
        self, artifact_id: str, data: bytes, content_type: str, kms_key_id: str | None
    ) -> None:
        """Store bytes under an id (KMS does not apply to local files)."""
        await asyncio.to_thread(self._write, artifact_id, data)

    async def read(self, artifact_id: str) -> bytes:
        """The bytes of an artifact."""
        return await asyncio.to_thread(self.local_path(artifact_id).read_bytes)

    async def exists(self, artifact_id: str) -> bool:
        """Whether the bytes are present."""
        return self.local_path(artifact_id).is_file()

    def download_url(self, artifact: Artifact, api_base_url: str) -> str:
        """The API's authenticated download route."""
        return f"{api_base_url}/artifacts/{artifact.id}"


class S3ArtifactStore:
    """Objects under a prefix of one bucket; downloads through presigned URLs."""

    def __init__(self, s3: S3, bucket: str, prefix: str, url_expiry_s: int) -> None:
        self._s3 = s3
        self._root = S3Location(bucket, prefix)
        self._expiry = url_expiry_s

    def location(self, artifact_id: str) -> S3Location:
        """Where an artifact's object lives."""
        return self._root.child(_checked(artifact_id))

    async def write(
        self, artifact_id: str, data: bytes, content_type: str, kms_key_id: str | None
    ) -> None:
        """Store bytes, encrypted with the card's KMS key when it has one."""
        await self._s3.put(self.location(artifact_id), data, content_type, kms_key_id)

    async def read(self, artifact_id: str) -> bytes:
        """The bytes of an artifact."""
        return await self._s3.get(self.location(artifact_id))

    async def exists(self, artifact_id: str) -> bool:
        """Whether the object is present."""
        return await self._s3.exists(self.location(artifact_id))

    def download_url(self, artifact: Artifact, api_base_url: str) -> str:
        """A presigned URL (valid for the configured time)."""
        return self._s3.presigned_get(self.location(artifact.id), self._expiry, artifact.filename)

    def local_path(self, artifact_id: str) -> Path | None:
        """Never local."""
        return None

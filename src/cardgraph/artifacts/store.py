"""Artifact bytes in a local directory (the default store)."""

from __future__ import annotations

import os
import re
from pathlib import Path

_SAFE_ID = re.compile(r"^[0-9a-f]{32}$")


class LocalArtifactStore:
    """Files named by artifact id under one directory; writes are atomic (temp + rename)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def path(self, artifact_id: str) -> Path:
        """Where an artifact's bytes live; ids are validated so no path can escape the root."""
        if not _SAFE_ID.fullmatch(artifact_id):
            raise ValueError("invalid artifact id")
        return self._root / artifact_id[:2] / artifact_id

    def write(self, artifact_id: str, data: bytes) -> None:
        """Store bytes under an id."""
        target = self.path(artifact_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".partial")
        temporary.write_bytes(data)
        os.replace(temporary, target)

    def exists(self, artifact_id: str) -> bool:
        """Whether the bytes of an artifact are present."""
        return self.path(artifact_id).is_file()

"""Canonical JSON and the hashes cards and the audit log chain with (pure, a leaf: imports
nothing of cardgraph, so every package may use it)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_SHA256 = "0" * 64


def canonical_json(content: dict[str, Any]) -> str:
    """Serialise content canonically: sorted keys, no insignificant whitespace, UTF-8 text."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 bytes of `text`, as lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_sha256(previous_chain: str | None, content_sha256: str) -> str:
    """Chain hash of a version: SHA-256(previous chain hash ‖ this content hash)."""
    return sha256_hex((previous_chain or GENESIS_SHA256) + content_sha256)

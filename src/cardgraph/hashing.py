"""Canonical JSON and the hashes cards and the audit log chain with (pure, a leaf: imports
nothing of cardgraph, so every package may use it).

Canonical JSON is RFC 8785 (the JSON Canonicalization Scheme): anyone can recompute a
`contentSha256` with an off-the-shelf JCS library, in any language.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

GENESIS_SHA256 = "0" * 64

# What RFC 8785 cannot encode (integers past 2^53, lone surrogates, NaN and infinities).
CanonicalisationError = rfc8785.CanonicalizationError


def canonical_json(value: Any) -> str:
    """RFC 8785 canonical JSON of `value`, as text (its UTF-8 bytes are what is hashed)."""
    return rfc8785.dumps(value).decode("utf-8")


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 bytes of `text`, as lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_sha256(record: dict[str, Any]) -> str:
    """SHA-256 of a record's canonical JSON: every ledger record is hashed this way."""
    return sha256_hex(canonical_json(record))


def legacy_canonical_json(content: dict[str, Any]) -> str:
    """The canonical form before RFC 8785 (sorted keys, Python's number format), kept so the
    ledger migration can check versions written by cardgraph 0.1 against their hashes."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def legacy_chain_sha256(previous_chain: str | None, content_sha256: str) -> str:
    """The chain hash before the ledger scheme: SHA-256(previous chain hash ‖ content hash)."""
    return sha256_hex((previous_chain or GENESIS_SHA256) + content_sha256)

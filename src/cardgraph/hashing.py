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


# Integers RFC 8785 writes as written (it formats numbers as IEEE doubles).
_EXACT_INTEGERS = 2**53


def canonical_json(value: Any) -> str:
    """RFC 8785 canonical JSON of `value`, as text (its UTF-8 bytes are what is hashed)."""
    if plain_json(value):
        # For strings, booleans, null, exact integers and ASCII keys, RFC 8785 is exactly
        # sorted-key JSON with Python's escapes (tests/ledger compares the two on random
        # values): the C encoder is ~20 times faster than rfc8785's pure Python, which
        # matters for the ledger records verifyCard re-hashes by the hundred thousand.
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise CanonicalisationError("input contains non-UTF-8 codepoints") from None
        return text
    return rfc8785.dumps(value).decode("utf-8")


def plain_json(value: Any) -> bool:
    """Whether `value` holds nothing whose RFC 8785 form differs from sorted-key JSON: no
    float (numbers are formatted differently), no integer past 2^53, no non-ASCII key (keys
    sort by UTF-16 code units, not code points)."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -_EXACT_INTEGERS < item < _EXACT_INTEGERS:
                continue
            return False
        if kind is dict:
            for key, member in item.items():
                if type(key) is not str or not key.isascii():
                    return False
                pending.append(member)
        elif kind is list:
            pending.extend(item)
        else:
            return False
    return True


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

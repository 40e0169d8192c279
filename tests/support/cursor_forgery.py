"""Cursors as an attacker builds them: the wire format (`base64url(HMAC-SHA256 || JSON)`,
which a leaked secret would give away), operator objects and wrong types in each key part,
foreign, re-signed, random and truncated cursors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any


def b64(raw: bytes) -> str:
    """Unpadded URL-safe base64, as cursors are written."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def payload(cursor: str) -> Any:
    """The JSON after a cursor's 32-byte signature."""
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))[32:])


def signed(secret: bytes, content: Any) -> str:
    """A cursor holding `content`, signed with `secret` as the API signs."""
    data = json.dumps(content, separators=(",", ":")).encode()
    return b64(hmac.new(secret, data, hashlib.sha256).digest() + data)


def wrong_values(value: Any) -> dict[str, Any]:
    """Values of the wrong type for a key part holding `value`, operators first."""
    wrong: dict[str, Any] = {
        "a $regex object": {"$regex": "^(a+)+$"},
        "a $in object": {"$in": [value, "x"]},
        "a $gt object": {"$gt": ""},
        "a $where object": {"$where": "sleep(100)"},
        "a list": [value],
        "null": None,
        "true": True,
        "a float": 1.5,
    }
    if isinstance(value, int):
        wrong |= {"a string in an int slot": str(value), "a 65-bit int": 2**64}
    elif is_date(value):
        wrong |= {"an int in a date slot": 0, "a non-date": "soon", "a naive date": value[:19]}
    else:
        wrong |= {"an int in a string slot": 1}
    return wrong


def is_date(value: Any) -> bool:
    """Whether a key part holds a date."""
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def parts(cursor: str, legacy: tuple[str, ...]) -> list[Any]:
    """A cursor's kind and key; read as the unsigned cursors of old were, if it is one."""
    try:
        return list(payload(cursor))
    except ValueError:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return ["an unsigned cursor", *json.loads(raw)[len(legacy) :]]


def forgeries(real: str, foreign: str, secret: bytes, legacy: tuple[str, ...]) -> dict[str, str]:
    """Every forgery of `real` (and `foreign`, a real cursor of another list), by label."""
    kind, *key = parts(real, legacy)
    forged: dict[str, str] = {}
    for slot, value in enumerate(key):
        for label, wrong in wrong_values(value).items():
            changed = [*key[:slot], wrong, *key[slot + 1 :]]
            forged[f"signed, {label} in part {slot}"] = signed(secret, [kind, *changed])
            forged[f"unsigned, {label} in part {slot}"] = b64(
                json.dumps([*legacy, *changed]).encode()
            )
    other_kind = parts(foreign, ())[0]
    tag_flipped = ("B" if real[0] == "A" else "A") + real[1:]
    return forged | {
        "signed, the cursor of an empty list": signed(secret, [kind]),
        "unsigned, the cursor of an empty list": b64(b"[]"),
        "signed, one part too many": signed(secret, [kind, *key, "x"]),
        "signed, not a list": signed(secret, {"kind": kind, "key": key}),
        "signed, a kind that is no string": signed(secret, [{"$ne": ""}, *key]),
        "a real cursor of another list": foreign,
        "signed, another list's kind": signed(secret, [other_kind, *key]),
        "re-signed with a wrong key": signed(secrets.token_bytes(32), [kind, *key]),
        "random base64": b64(secrets.token_bytes(48)),
        "random base64 as long as a real cursor": b64(secrets.token_bytes(len(real) * 3 // 4)),
        "not base64": "!!not-a-cursor",
        "empty": "",
        "padding only": "====",
        "one character": "A",
        "too long": "A" * 5000,
        "truncated by one character": real[:-1],
        "truncated to half": real[: len(real) // 2],
        "only the signature": real[:43],
        "signature changed": tag_flipped,
        "signed payload unreadable": b64(
            hmac.new(secret, b"\xff{", hashlib.sha256).digest() + b"\xff{"
        ),
    }

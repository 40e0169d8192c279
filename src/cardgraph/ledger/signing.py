"""Ed25519 keys and signed checkpoints of a card's history (pure).

A checkpoint is a signed statement of a card's head, like Certificate Transparency's signed
tree heads: "card C had N versions, version N's chain hash was V, and event S of its audit
chain had hash A". Whoever keeps one detects any later rewrite of the history it covers, as long as
the signing key is not in the database a writer could reach.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cardgraph.hashing import canonical_json
from cardgraph.ledger.records import instant

ALGORITHM = "Ed25519"
CHECKPOINT_SCHEME = "cardgraph-checkpoint/1"
_RAW_KEY_BYTES = 32


class KeyFormatError(ValueError):
    """A key that is neither base64 of 32 raw bytes nor PEM."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key: what a verifier needs, and all it needs."""

    raw: bytes

    @classmethod
    def from_text(cls, text: str) -> PublicKey:
        """A key given as base64 of its 32 bytes, or as a PEM `PUBLIC KEY`."""
        text = text.strip()
        if text.startswith("-----BEGIN"):
            try:
                loaded = serialization.load_pem_public_key(text.encode())
            except ValueError as error:
                raise KeyFormatError(f"not a PEM public key: {error}") from None
            if not isinstance(loaded, Ed25519PublicKey):
                raise KeyFormatError("the PEM key is not an Ed25519 key")
            return cls(loaded.public_bytes_raw())
        return cls(_raw_bytes(text))

    @property
    def key_id(self) -> str:
        """The key's fingerprint: the first 16 hex digits of SHA-256 of its raw bytes."""
        return hashlib.sha256(self.raw).hexdigest()[:16]

    @property
    def base64(self) -> str:
        """The 32 raw bytes in base64."""
        return base64.b64encode(self.raw).decode()

    @property
    def pem(self) -> str:
        """The key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo)."""
        key = Ed25519PublicKey.from_public_bytes(self.raw)
        return key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def verifies(self, message: bytes, signature: str) -> bool:
        """Whether `signature` (base64) is this key's signature of `message`."""
        try:
            raw_signature = base64.b64decode(signature, validate=True)
            Ed25519PublicKey.from_public_bytes(self.raw).verify(raw_signature, message)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An Ed25519 private key, from `Settings.signing_key` or the local key file."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        """A new random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_text(cls, text: str) -> SigningKey:
        """A key given as base64 of its 32-byte seed, or as a PEM `PRIVATE KEY` (PKCS#8)."""
        text = text.strip()
        if text.startswith("-----BEGIN"):
            try:
                loaded = serialization.load_pem_private_key(text.encode(), password=None)
            except (ValueError, TypeError) as error:
                raise KeyFormatError(f"not an unencrypted PEM private key: {error}") from None
            if not isinstance(loaded, Ed25519PrivateKey):
                raise KeyFormatError("the PEM key is not an Ed25519 key")
            return cls(loaded)
        return cls(Ed25519PrivateKey.from_private_bytes(_raw_bytes(text)))

    def seed_base64(self) -> str:
        """The 32-byte seed in base64 (what `CARDGRAPH_SIGNING_KEY` takes)."""
        raw = self.private.private_bytes_raw()
        return base64.b64encode(raw).decode()

    @property
    def public_key(self) -> PublicKey:
        """The matching public key."""
        return PublicKey(self.private.public_key().public_bytes_raw())

    def sign(self, message: bytes) -> str:
        """The signature of `message`, in base64."""
        return base64.b64encode(self.private.sign(message)).decode()


def _raw_bytes(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise KeyFormatError("not base64 (nor PEM)") from None
    if len(raw) != _RAW_KEY_BYTES:
        raise KeyFormatError(f"a raw Ed25519 key has {_RAW_KEY_BYTES} bytes, not {len(raw)}")
    return raw


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed head of one card's history."""

    card_id: str
    card_name: str
    versions: int
    version_sha256: str
    events: int
    event_sha256: str
    signed_at: str
    key_id: str
    signature: str = ""

    def body(self) -> dict[str, Any]:
        """What is signed: the RFC 8785 canonical JSON of this object."""
        return {
            "scheme": CHECKPOINT_SCHEME,
            "card": self.card_id,
            "name": self.card_name,
            "versions": self.versions,
            "versionSha256": self.version_sha256,
            "events": self.events,
            "eventSha256": self.event_sha256,
            "signedAt": self.signed_at,
            "keyId": self.key_id,
        }

    def to_json(self) -> dict[str, Any]:
        """The checkpoint as published: its body, the algorithm and the signature."""
        return {**self.body(), "algorithm": ALGORITHM, "signature": self.signature}

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        """A checkpoint as published (ValueError naming what is missing or malformed)."""
        if not isinstance(data, dict):
            raise ValueError("a checkpoint is a JSON object")
        if data.get("scheme") != CHECKPOINT_SCHEME:
            raise ValueError(f"checkpoint scheme must be {CHECKPOINT_SCHEME!r}")
        fields = {
            "card_id": ("card", str),
            "card_name": ("name", str),
            "versions": ("versions", int),
            "version_sha256": ("versionSha256", str),
            "events": ("events", int),
            "event_sha256": ("eventSha256", str),
            "signed_at": ("signedAt", str),
            "key_id": ("keyId", str),
            "signature": ("signature", str),
        }
        values: dict[str, Any] = {}
        for name, (key, kind) in fields.items():
            value = data.get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"checkpoint.{key} must be a {kind.__name__}")
            values[name] = value
        return cls(**values)

    def signed_by(self, key: PublicKey) -> bool:
        """Whether `key` signed exactly this body."""
        return key.key_id == self.key_id and key.verifies(self.message(), self.signature)

    def message(self) -> bytes:
        """The bytes signed."""
        return canonical_json(self.body()).encode("utf-8")


def sign_checkpoint(
    key: SigningKey,
    *,
    card_id: str,
    card_name: str,
    versions: int,
    version_sha256: str,
    events: int,
    event_sha256: str,
    at: datetime,
) -> Checkpoint:
    """A checkpoint of these head facts, signed with `key`."""
    unsigned = Checkpoint(
        card_id=card_id,
        card_name=card_name,
        versions=versions,
        version_sha256=version_sha256,
        events=events,
        event_sha256=event_sha256,
        signed_at=instant(at),
        key_id=key.public_key.key_id,
    )
    return dataclasses.replace(unsigned, signature=key.sign(unsigned.message()))

"""GraphQL types of signed checkpoints and the key they verify with."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from cardgraph.ledger.signing import ALGORITHM, Checkpoint, PublicKey


@strawberry.type(
    name="Checkpoint",
    description="A signed head of a card's history: keep one, and any later rewrite of what it "
    "covers is evident (verifyCard with `checkpoint`, or `cardgraph verify`).",
)
class CheckpointType:
    """A checkpoint, as signed."""

    card_id: str = strawberry.field(description="The card's id.")
    card_name: str = strawberry.field(description="The card's name when it was signed.")
    versions: int = strawberry.field(description="Versions the card had.")
    version_sha256: str = strawberry.field(description="The chain hash of its last version.")
    events: int = strawberry.field(description="Events of the card's audit chain.")
    event_sha256: str = strawberry.field(description="The hash of the last of those events.")
    signed_at: str = strawberry.field(description="When it was signed (UTC, RFC 3339).")
    key_id: str = strawberry.field(description="Fingerprint of the signing key.")
    algorithm: str = strawberry.field(description="The signature algorithm: Ed25519.")
    signature: str = strawberry.field(
        description="Base64 Ed25519 signature of the RFC 8785 canonical JSON of `body`."
    )
    body: JSON = strawberry.field(description="Exactly what was signed.")
    document: JSON = strawberry.field(
        description="The checkpoint as published (`body` with algorithm and signature): what "
        "verifyCard's `checkpoint` argument and `cardgraph verify --checkpoint` take."
    )

    @classmethod
    def from_domain(cls, checkpoint: Checkpoint) -> CheckpointType:
        return cls(
            card_id=checkpoint.card_id,
            card_name=checkpoint.card_name,
            versions=checkpoint.versions,
            version_sha256=checkpoint.version_sha256,
            events=checkpoint.events,
            event_sha256=checkpoint.event_sha256,
            signed_at=checkpoint.signed_at,
            key_id=checkpoint.key_id,
            algorithm=ALGORITHM,
            signature=checkpoint.signature,
            body=cast("JSON", checkpoint.body()),
            document=cast("JSON", checkpoint.to_json()),
        )


@strawberry.type(
    name="SigningKey", description="The public key every checkpoint of this service verifies with."
)
class SigningKeyType:
    """The service's public signing key."""

    algorithm: str = strawberry.field(description="Ed25519.")
    key_id: str = strawberry.field(
        description="Fingerprint: the first 16 hex digits of SHA-256 of the raw key."
    )
    public_key: str = strawberry.field(description="The 32 raw key bytes, base64.")
    pem: str = strawberry.field(description="The key as a PEM `PUBLIC KEY`.")

    @classmethod
    def from_domain(cls, key: PublicKey) -> SigningKeyType:
        return cls(algorithm=ALGORITHM, key_id=key.key_id, public_key=key.base64, pem=key.pem)

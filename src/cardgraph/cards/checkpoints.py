"""Signing each card's head after every write, and keeping the checkpoint where readers and
auditors find it: on the card, and optionally as an S3 object a database writer cannot reach."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from cardgraph.audit.service import AuditLog
from cardgraph.aws.s3 import S3, S3Location
from cardgraph.cards.models import Card, CardVersion
from cardgraph.cards.repository import CardRepository
from cardgraph.ledger.signing import Checkpoint, PublicKey, SigningKey, sign_checkpoint

log = logging.getLogger(__name__)

# Where a checkpoint is also published (an S3 object, say); failures are logged, not raised.
Publisher = Callable[[Checkpoint], Awaitable[None]]


def s3_publisher(s3: S3, bucket: str, prefix: str) -> Publisher:
    """Writes each checkpoint to `s3://bucket/prefix{card id}/{events, 12 digits}.json`: with
    S3 Object Lock on the bucket, a database writer cannot rewrite what was published."""
    base = S3Location(bucket, prefix)

    async def publish(checkpoint: Checkpoint) -> None:
        document = json.dumps(checkpoint.to_json(), indent=2).encode()
        target = base.child(checkpoint.card_id, f"{checkpoint.events:012d}.json")
        await s3.put(target, document, "application/json")

    return publish


class CardCheckpoints:
    """Signs a card's head (its latest version and its audit chain's last event)."""

    def __init__(
        self,
        repository: CardRepository,
        audit: AuditLog,
        key: SigningKey,
        clock: Callable[[], datetime],
        publish: Publisher | None = None,
        retired: tuple[PublicKey, ...] = (),
    ) -> None:
        self._repository = repository
        self._audit = audit
        self._key = key
        self._clock = clock
        self._publish = publish
        self._retired = retired

    @property
    def public_key(self) -> PublicKey:
        """The key new checkpoints verify with."""
        return self._key.public_key

    @property
    def retired_keys(self) -> tuple[PublicKey, ...]:
        """Keys that signed earlier checkpoints (before a rotation); they sign nothing now."""
        return self._retired

    @property
    def verifying_keys(self) -> tuple[PublicKey, ...]:
        """Every key a stored checkpoint may be signed with."""
        return (self.public_key, *self._retired)

    def sign(self, card: Card, latest: CardVersion, head: tuple[int, str]) -> Checkpoint:
        """A checkpoint of `latest` and the audit chain's `head` (sequence, hash); no I/O."""
        events, event_sha = head
        return sign_checkpoint(
            self._key,
            card_id=card.id,
            card_name=card.name,
            versions=latest.number,
            version_sha256=latest.chain_sha256,
            events=events,
            event_sha256=event_sha,
            at=self._clock(),
        )

    async def sign_head(self, card: Card, known: CardVersion | None = None) -> Checkpoint | None:
        """Sign and keep the card's head as the database now holds it: its audit chain's last
        event (read first), then its latest version (a version goes in before its event, so
        the version an event records is never missed), looked for from `known` on. Kept
        unless a later one is there."""
        head = await self._audit.head(card.name)
        start = card if known is None else dataclasses.replace(card, latest_version=known.number)
        latest = await self._repository.latest_version(start)
        if latest is None:
            return None
        checkpoint = self.sign(card, latest, head)
        await self._repository.store_checkpoint(card.id, checkpoint.to_json(), checkpoint.events)
        await self.published(checkpoint)
        return checkpoint

    async def published(self, checkpoint: Checkpoint) -> None:
        """Publish a stored checkpoint where a database writer cannot reach, if configured."""
        if self._publish is None:
            return
        try:
            await self._publish(checkpoint)
        except Exception:  # the database copy stands; the anchor is best effort
            log.exception("publishing the checkpoint of %s failed", checkpoint.card_name)

    async def stored(self, card: Card) -> Checkpoint | None:
        """The card's head checkpoint as stored (None if absent or malformed)."""
        doc = await self._repository.stored_checkpoint(card.id)
        if doc is None:
            return None
        try:
            return Checkpoint.from_json(doc)
        except ValueError:
            return None  # verifyCard reports a tampered checkpoint by its signature

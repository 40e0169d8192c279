"""Re-computing a card's hashes from what is stored: tampering shows at the first bad version."""

from __future__ import annotations

from cardgraph.cards.models import Card, CardVersion, Verification
from cardgraph.cards.repository import CardRepository
from cardgraph.hashing import chain_sha256, sha256_hex

BATCH = 500


def _problem(version: CardVersion, expected_number: int, previous: str | None) -> str | None:
    if version.number != expected_number:
        return f"version {expected_number} is missing"
    if sha256_hex(version.content_json) != version.content_sha256:
        return "the content does not match its SHA-256"
    if version.previous_chain_sha256 != previous:
        return "the link to the previous version does not match"
    if chain_sha256(previous, version.content_sha256) != version.chain_sha256:
        return "the chain hash does not match"
    return None


async def verify_versions(repository: CardRepository, card: Card) -> Verification:
    """Walk every version in order and re-hash it."""
    previous: str | None = None
    expected, checked, after = 1, 0, None
    while True:
        batch = await repository.list_versions(card, after, BATCH)
        for version in batch:
            checked += 1
            reason = _problem(version, expected, previous)
            if reason is not None:
                return Verification(card.name, checked, expected, reason, None)
            previous, expected = version.chain_sha256, expected + 1
        if len(batch) < BATCH:
            return Verification(card.name, checked, None, None, previous)
        after = batch[-1].number

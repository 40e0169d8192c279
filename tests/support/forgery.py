"""A forger with write access to the database and no signing key: edits stored history
directly, and when asked, recomputes every hash it can (the algorithms are public)."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from cardgraph.audit.models import AuditEvent, event_hash
from cardgraph.hashing import canonical_json, sha256_hex
from cardgraph.ledger.records import status_sha256, version_sha256


class Forger:
    """Edits one card's versions, audit events and checkpoint in place."""

    def __init__(self, db: Any, card_name: str) -> None:
        self.db = db
        self.name = card_name
        self.card = db.cards.find_one({"live_name": card_name})
        self.card_id: str = self.card["_id"]

    def version(self, number: int) -> dict[str, Any]:
        """The stored version document."""
        found: dict[str, Any] = self.db.card_versions.find_one({"_id": f"{self.card_id}:{number}"})
        return found

    def numbers(self) -> list[int]:
        """The card's version numbers, in order."""
        docs = self.db.card_versions.find({"card_id": self.card_id}, {"number": 1})
        return sorted(doc["number"] for doc in docs)

    def set_version(self, number: int, **fields: Any) -> None:
        """Overwrite fields of a version as stored."""
        self.db.card_versions.update_one({"_id": f"{self.card_id}:{number}"}, {"$set": fields})

    def rehash_versions_from(self, number: int) -> None:
        """Recompute content, chain and status hashes from version `number` to the head, so
        every version is consistent with its (edited) neighbours."""
        previous = self.version(number - 1)["chain_sha256"] if number > 1 else None
        for current in [n for n in self.numbers() if n >= number]:
            doc = self.version(current)
            content_sha = sha256_hex(doc["content_json"])
            history = doc["status_history"]
            chain = version_sha256(
                card_id=self.card_id,
                number=current,
                previous_chain_sha256=previous,
                content_sha256=content_sha,
                created_at=doc["created_at"],
                created_by=doc["created_by"],
                source=doc["source"],
                job_id=doc.get("job_id"),
                status=history[0]["to"],
            )
            history[0]["sha256"] = chain
            for before, change in itertools.pairwise(history):
                change["sha256"] = status_sha256(
                    card_id=self.card_id,
                    number=current,
                    content_sha256=content_sha,
                    previous_sha256=before["sha256"],
                    from_status=change["from"],
                    to_status=change["to"],
                    changed_by=change["by"],
                    changed_at=change["at"],
                )
            self.set_version(
                current,
                content_sha256=content_sha,
                chain_sha256=chain,
                prev_sha256=previous,
                status_history=history,
                status_sha256=history[-1]["sha256"],
                status=history[-1]["to"],
            )
            previous = chain

    def rewrite_content(self, number: int, content: dict[str, Any]) -> None:
        """Replace a version's content, hashes and all the chain after it recomputed."""
        self.set_version(number, content_json=canonical_json(content))
        self.rehash_versions_from(number)

    def events(self) -> list[dict[str, Any]]:
        """The card's audit chain as stored, in order."""
        return list(self.db.audit_events.find({"chain": self.name}).sort("sequence", 1))

    def rebind_events(self) -> None:
        """Make every audit event agree with the versions as they now are, then recompute the
        audit chain's hashes: a rewrite consistent everywhere in the database."""
        by_number = {n: self.version(n) for n in self.numbers()}
        statuses = {}
        for number, doc in by_number.items():
            for position, change in enumerate(doc["status_history"][1:], 1):
                statuses[(number, position)] = change
        seen: dict[int, int] = {}
        for event in self.events():
            details = event["details"]
            number = event.get("version")
            if "chainSha256" in details and number in by_number:
                details["chainSha256"] = by_number[number]["chain_sha256"]
                event["after_sha256"] = by_number[number]["content_sha256"]
            if event["operation"] == "setCardStatus" and number in by_number:
                seen[number] = seen.get(number, 0) + 1
                change = statuses.get((number, seen[number]))
                if change is not None:
                    details["statusSha256"] = change["sha256"]
                    event["before_sha256"] = event["after_sha256"] = by_number[number][
                        "content_sha256"
                    ]
            self.db.audit_events.update_one(
                {"_id": event["_id"]},
                {
                    "$set": {
                        "details": details,
                        "after_sha256": event["after_sha256"],
                        "before_sha256": event["before_sha256"],
                    }
                },
            )
        self.rehash_events()

    def rehash_events(self) -> None:
        """Recompute the audit chain's links and hashes from its first event."""
        previous = "0" * 64
        fields = {f.name for f in dataclasses.fields(AuditEvent)}
        for doc in self.events():
            event = AuditEvent(**{"scheme": 1, **{k: v for k, v in doc.items() if k in fields}})
            event = dataclasses.replace(event, previous_sha256=previous)
            sha = event_hash(event)
            self.db.audit_events.update_one(
                {"_id": doc["_id"]}, {"$set": {"previous_sha256": previous, "event_sha256": sha}}
            )
            previous = sha

    def delete_last_event(self) -> dict[str, Any]:
        """Remove the newest audit event of the card's chain."""
        last = self.events()[-1]
        self.db.audit_events.delete_one({"_id": last["_id"]})
        return last

    def card_doc_checkpoint(self) -> dict[str, Any]:
        """The card's stored checkpoint."""
        found: dict[str, Any] = self.db.cards.find_one({"_id": self.card_id})["checkpoint"]
        return found

    def set_checkpoint(self, checkpoint: dict[str, Any] | None) -> None:
        """Replace (or, with None, remove) the card's stored checkpoint."""
        if checkpoint is None:
            self.db.cards.update_one({"_id": self.card_id}, {"$unset": {"checkpoint": ""}})
        else:
            self.db.cards.update_one({"_id": self.card_id}, {"$set": {"checkpoint": checkpoint}})

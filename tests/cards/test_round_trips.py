"""What reads and writes cost in database round trips, counted by PyMongo's command monitoring
on services wired exactly as in the API (with a live event hub keeping the caches fresh)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from cardgraph.audit import context as audit_context
from cardgraph.audit.models import audit_event
from cardgraph.cards.ledger_entries import chained_version
from cardgraph.cards.models import Card, CardStatus, CardVersion, VersionSource
from cardgraph.cards.repository import CardRepository, summary_change
from cardgraph.errors import CardgraphError
from cardgraph.hashing import canonical_json
from cardgraph.ledger.facts import Finding
from cardgraph.principals import Principal, Role
from cardgraph.services import Services
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client
from tests.support.monitoring import services_with_log
from tests.support.servers import run_async

EDITOR = Principal(key_id="round-trips", name="round-trips", role=Role.EDITOR)
CONTENT: dict[str, Any] = {
    "intended_uses": {"risk_rating": "Low"},
    "additional_information": {"custom_details": {f"k{i}": "v" * 900 for i in range(10)}},
}


ONE_WRITE = ("bulkWrite", "insert card_versions, update cards, insert audit_events")
# The audit events go before the summary there, which carries the head they end in, signed.
ONE_PER_COLLECTION = [("insert", "card_versions"), ("insert", "audit_events"), ("update", "cards")]


@pytest.mark.parametrize(
    ("bulk_write", "expected"),
    [(True, [ONE_WRITE]), (False, ONE_PER_COLLECTION)],
    ids=["one bulkWrite", "one command per collection"],
)
def test_a_version_write_costs_one_round_trip_and_a_warm_read_none(
    settings: Settings,
    keys: dict[Role, str],
    card_name: str,
    bulk_write: bool,
    expected: list[tuple[str, str]],
) -> None:
    """With bulkWrite (MongoDB 8.0+) a version write is one round trip; without, three."""
    settings = settings.model_copy(update={"mongodb_bulk_write": bulk_write})

    async def scenario() -> dict[str, list[tuple[str, str]]]:
        costs: dict[str, list[tuple[str, str]]] = {}
        async with services_with_log(settings) as (services, log):

            async def measure(label: str, action: Any) -> Any:
                del log.commands[:]
                result = await action
                costs[label] = list(log.commands)
                await asyncio.sleep(0.05)  # this write's own event comes back through the hub
                return result

            editor = await services.authenticator.authenticate(keys[Role.EDITOR])
            await measure(
                "authenticate again", services.authenticator.authenticate(keys[Role.EDITOR])
            )
            await services.cards.create_card(card_name, CONTENT, editor)
            for number in range(2, 5):
                content = {**CONTENT, "business_details": {"business_problem": f"p{number}"}}
                written = await measure(
                    f"write {number}", services.cards.update_content(card_name, content, editor)
                )
                assert written.number == number
            card = await measure("find card", services.cards.require_card(card_name))
            latest = await measure("read latest", services.cards.latest_version(card))
            assert latest.number == 4
        return costs

    costs = run_async(scenario())
    assert costs["authenticate again"] == []
    assert costs["find card"] == []
    assert costs["read latest"] == []
    # The first bulkWrite of a process asks the server whether it takes one.
    assert costs["write 2"] == ([("hello", "")] if bulk_write else []) + expected, costs
    assert costs["write 3"] == costs["write 4"] == expected, costs


def test_latest_versions_of_a_listed_page_take_one_query(
    settings: Settings, keys: dict[Role, str], card_name: str
) -> None:
    async def scenario() -> list[tuple[str, str]]:
        async with services_with_log(settings) as (services, log):
            editor = await services.authenticator.authenticate(keys[Role.EDITOR])
            names = [f"{card_name}-{i:02d}" for i in range(12)]
            for i, name in enumerate(names):
                await services.cards.create_card(
                    name, {"model_overview": {"model_version": i + 1}}, editor
                )
        async with services_with_log(settings) as (services, log):  # a process with cold caches
            cards = [await services.cards.require_card(name) for name in names]
            del log.commands[:]
            latest = await services.cards.latest_versions(cards)
            assert [v.content["model_overview"]["model_version"] for v in latest] == list(
                range(1, 13)
            )
            return list(log.commands)

    assert run_async(scenario()) == [("find", "card_versions")]


def _content(marker: str) -> dict[str, Any]:
    return {**CONTENT, "business_details": {"business_problem": marker}}


async def _write_as(
    services: Services, request_id: str, name: str, content: dict[str, Any], **options: Any
) -> CardVersion | str:
    """One request's write, in its own context: the version, or the error's code."""
    audit_context.request_id.set(request_id)
    try:
        return await services.cards.update_content(name, content, EDITOR, **options)
    except CardgraphError as error:
        return error.code


def _audited(db: Any, name: str) -> dict[int, list[str | None]]:
    """Request ids of the card's updateCardContent events, per version number."""
    found: dict[int, list[str | None]] = {}
    events = db.audit_events.find({"chain": name, "operation": "updateCardContent"})
    for event in events.sort("sequence", 1):
        found.setdefault(event["version"], []).append(event["request_id"])
    return found


def test_concurrent_writes_of_one_card_share_one_round_trip(
    settings: Settings, db: Any, card_name: str
) -> None:
    async def scenario() -> tuple[list[CardVersion | str], list[tuple[str, str]], bool]:
        async with services_with_log(settings) as (services, log):
            await services.cards.create_card(card_name, CONTENT, EDITOR)
            del log.commands[:]
            written = await asyncio.gather(
                *(_write_as(services, f"req-{i}", card_name, _content(f"c{i}")) for i in range(8))
            )
            commands = list(log.commands)
            verified = await services.cards.verify(card_name)
            return written, commands, verified.valid

    written, commands, valid = run_async(scenario())
    assert [v.number for v in written if isinstance(v, CardVersion)] == list(range(2, 10))
    assert [v.content for v in written if isinstance(v, CardVersion)] == [
        _content(f"c{i}") for i in range(8)
    ]
    eight_versions_then_the_summary_then_eight_events = ", ".join(
        ["insert card_versions"] * 8 + ["update cards"] + ["insert audit_events"] * 8
    )
    assert commands == [
        ("hello", ""),
        ("bulkWrite", eight_versions_then_the_summary_then_eight_events),
    ]
    assert valid
    # Each event names the request that asked for it, not the one whose task wrote the batch.
    assert _audited(db, card_name) == {n: [f"req-{n - 2}"] for n in range(2, 10)}


def test_a_batch_applies_the_rules_in_arrival_order(
    settings: Settings, db: Any, card_name: str
) -> None:
    async def scenario() -> list[CardVersion | str]:
        async with services_with_log(settings) as (services, _):
            await services.cards.create_card(card_name, CONTENT, EDITOR)
            return list(
                await asyncio.gather(
                    _write_as(services, "a", card_name, _content("a")),
                    # Expected version 1, but "a" made version 2 before it: a conflict.
                    _write_as(services, "b", card_name, _content("b"), expected_version=1),
                    # The same content as "a": no version, version 2 returned.
                    _write_as(services, "c", card_name, _content("a")),
                    _write_as(services, "d", card_name, _content("d"), expected_version=2),
                )
            )

    outcomes = run_async(scenario())
    assert [o if isinstance(o, str) else o.number for o in outcomes] == [2, "CONFLICT", 2, 3]
    assert _audited(db, card_name) == {2: ["a", "c"], 3: ["d"]}


def test_a_batch_refused_midway_keeps_what_went_in_and_replans_the_rest(
    settings: Settings, db: Any, card_name: str
) -> None:
    """Another process's version 3 exists (its summary not yet written): of a batch planned as
    2, 3, 4, version 2 goes in; the rest are planned again after the real version 3."""

    async def scenario() -> tuple[list[CardVersion | str], tuple[Finding, ...], int]:
        async with services_with_log(settings) as (services, _):
            first = await services.cards.create_card(card_name, CONTENT, EDITOR)
            card = await services.cards.require_card(card_name)
            ours = chained_version(
                card.id,
                card_name,
                2,
                canonical_json(_content("x")),
                CardStatus.DRAFT,
                first.chain_sha256,
                EDITOR.actor,
                first.created_at,
                VersionSource.MANUAL,
            )
            theirs = chained_version(
                card.id,
                card_name,
                3,
                canonical_json(_content("theirs")),
                CardStatus.DRAFT,
                ours.chain_sha256,
                EDITOR.actor,
                first.created_at,
                VersionSource.MANUAL,
            )
            mongo = create_async_client(settings)
            await CardRepository(mongo[settings.mongodb_database]).insert_versions([theirs])
            await mongo.close()
            # ...and its audit event, as that process writes it with the version.
            details = {"source": "manual", "cardId": card.id, "chainSha256": theirs.chain_sha256}
            await services.audit.record_all(
                [
                    audit_event(
                        EDITOR,
                        "updateCardContent",
                        None,
                        card_name=card_name,
                        version=3,
                        after=theirs.content_sha256,
                        details=details,
                    )
                ]
            )
            outcomes = await asyncio.gather(
                _write_as(services, "x", card_name, _content("x"), expected_version=1),
                _write_as(services, "y", card_name, _content("y")),
                _write_as(services, "z", card_name, _content("z"), expected_version=3),
            )
            verified = await services.cards.verify(card_name)
            latest = await services.cards.latest_version(
                await services.cards.require_card(card_name)
            )
            return list(outcomes), verified.result.findings, latest.number

    outcomes, findings, latest = run_async(scenario())
    # y was planned as 3 and refused, then written as 4 after theirs; z expected 3 and was
    # planned as 4 after y, so it no longer holds once y moved: a conflict.
    assert [o if isinstance(o, str) else o.number for o in outcomes] == [2, 4, "CONFLICT"]
    # Theirs was chained after a version 2 made up here; the real one was written at another
    # instant (the chain covers when), so the link breaks there, and nowhere else.
    link = "the link to the previous version does not match"
    assert findings == (Finding("version 3", link, 3),)
    assert latest == 4
    # Version 3's event is the other process's (no request of ours).
    assert _audited(db, card_name) == {2: ["x"], 3: [None], 4: ["y"]}


def test_the_summary_never_goes_back_to_an_older_version_nor_revives_a_deleted_card(
    settings: Settings, db: Any, card_name: str
) -> None:
    """A writer whose summary update arrives after a newer one (another process) loses."""

    async def scenario() -> tuple[dict[str, Any], Card | None, Card | None]:
        async with services_with_log(settings) as (services, _):
            await services.cards.create_card(card_name, CONTENT, EDITOR)
            second = await services.cards.update_content(card_name, _content("2"), EDITOR)
            await services.cards.update_content(card_name, _content("3"), EDITOR)
            card = await services.cards.require_card(card_name)
        before = db.cards.find_one({"_id": card.id})
        mongo = create_async_client(settings)
        repository = CardRepository(mongo[settings.mongodb_database])
        try:
            late = await repository.apply_summary(
                summary_change(card, second, "High", None, card.updated_at)
            )
            db.cards.update_one({"_id": card.id}, {"$set": {"deleted": True}})
            newer = dataclasses.replace(second, number=9)
            on_deleted = await repository.apply_summary(
                summary_change(card, newer, "High", None, card.updated_at)
            )
        finally:
            await mongo.close()
        return before, late, on_deleted

    before, late, on_deleted = run_async(scenario())
    after = db.cards.find_one({"_id": before["_id"]})
    assert late is None and on_deleted is None
    assert after["latest_version"] == 3 and after["risk_rating"] == before["risk_rating"]
    assert after["revision"] != before["revision"]  # readers re-read after a lost race


def test_readers_of_a_card_nobody_holds_share_one_read(settings: Settings, card_name: str) -> None:
    """What a cache entry expiring under load costs: one read, not one per request."""

    async def scenario() -> list[tuple[str, str]]:
        async with services_with_log(settings) as (services, _):
            await services.cards.create_card(card_name, CONTENT, EDITOR)
        async with services_with_log(settings) as (services, log):  # cold caches

            async def read() -> int:
                card = await services.cards.require_card(card_name)
                return (await services.cards.latest_version(card)).number

            assert await asyncio.gather(*(read() for _ in range(16))) == [1] * 16
            return list(log.commands)

    assert run_async(scenario()) == [("find", "cards"), ("find", "card_versions")]


def test_a_stale_audit_head_costs_a_write_its_audit_insert_alone(
    settings: Settings, db: Any, card_name: str
) -> None:
    """Another process appended to the card's audit chain since this one last did: the
    versions and summary of the bulkWrite stand, and the event goes after the real head."""

    async def scenario() -> tuple[list[tuple[str, str]], int, tuple[Finding, ...]]:
        async with (
            services_with_log(settings) as (ours, log),
            services_with_log(settings) as (theirs, _),
        ):
            await ours.cards.create_card(card_name, CONTENT, EDITOR)
            await ours.cards.update_content(card_name, _content("ours"), EDITOR)
            await theirs.cards.update_content(card_name, _content("theirs"), EDITOR)
            await asyncio.sleep(0.05)  # their event reaches our hub
            del log.commands[:]
            written = await ours.cards.update_content(card_name, _content("ours again"), EDITOR)
            commands = list(log.commands)
            verified = await ours.cards.verify(card_name)
            return commands, written.number, verified.result.findings

    commands, number, findings = run_async(scenario())
    assert number == 4
    assert commands == [
        ("find", "cards"),  # their event emptied our cached summary
        ("find", "card_versions"),
        ONE_WRITE,
        ("find", "audit_events"),
        ("insert", "audit_events"),
        # The checkpoint that went with the summary named the stale head: signed again, with
        # the latest version as stored.
        ("find", "card_versions"),
        ("update", "cards"),
    ]
    assert findings == ()
    assert db.cards.find_one({"live_name": card_name})["latest_version"] == 4
    events = db.audit_events.find({"chain": card_name}).sort("sequence", 1)
    assert [(e["sequence"], e["version"]) for e in events] == [(1, 1), (2, 2), (3, 3), (4, 4)]

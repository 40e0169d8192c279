"""As-of queries over GraphQL: a card and the inventory as they stood at an instant, with
answers computed here from the times the API reported for each write."""

from __future__ import annotations

import bisect
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from cardgraph.cards.ledger_entries import chained_version
from cardgraph.cards.models import CardStatus, VersionSource
from cardgraph.cards.repository import CardRepository, summary_change
from cardgraph.hashing import canonical_json
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client
from tests.support.cards_api import DELETE, create_card, set_status, update_content
from tests.support.servers import GraphQLClient, run_async

AS_OF = """
query($name: String!, $at: DateTime) {
  card(name: $name, asOf: $at) {
    name asOf status riskRating updatedAt
    latestVersion { number cardId status statusHistory { toStatus changedBy changedAt } }
    approvedVersion { number status statusHistory { toStatus changedBy changedAt } }
    v2: version(number: 2) { number status }
    versions(first: 10) { totalCount edges { node { number status } } }
  }
}
"""
LIST = """
query($at: DateTime, $filter: CardFilter, $sort: CardSort, $after: String, $first: Int) {
  cards(asOf: $at, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { name status riskRating latestVersion { number cardId } } }
  }
}
"""
LOW = {"intended_uses": {"risk_rating": "Low", "intended_uses": "Scoring"}}
MEDIUM = {"intended_uses": {"risk_rating": "Medium", "intended_uses": "Scoring, wider"}}


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _iso(at: datetime) -> str:
    return at.isoformat()


def _between(earlier: str, later: str) -> str:
    """An instant strictly between two reported times (they are a millisecond apart or more)."""
    start, end = _instant(earlier), _instant(later)
    assert end - start >= timedelta(milliseconds=1), (earlier, later)
    return _iso(start + (end - start) / 2)


def _pause() -> None:
    # Successive writes get distinct millisecond timestamps, so "between" them exists.
    time.sleep(0.003)


def _history(editor: GraphQLClient, approver: GraphQLClient, name: str) -> dict[str, str]:
    """v1 (Low) DRAFT → PENDING_REVIEW → APPROVED, then v2 (Medium) DRAFT → PENDING_REVIEW:
    the time of each step, as the API reported it."""
    times = {"v1": create_card(editor, name, LOW)["createdAt"]}
    _pause()
    times["review1"] = set_status(editor, name, "PENDING_REVIEW")["statusHistory"][-1]["changedAt"]
    _pause()
    times["approve1"] = set_status(approver, name, "APPROVED")["statusHistory"][-1]["changedAt"]
    _pause()
    times["v2"] = update_content(editor, name, MEDIUM)["createdAt"]
    _pause()
    times["review2"] = set_status(editor, name, "PENDING_REVIEW")["statusHistory"][-1]["changedAt"]
    return times


def _card_at(client: GraphQLClient, name: str, at: str | None) -> dict[str, Any] | None:
    card: dict[str, Any] | None = client.data(AS_OF, {"name": name, "at": at})["card"]
    return card


def test_a_card_answers_as_it_stood_at_each_instant(
    editor: GraphQLClient, approver: GraphQLClient, reader: GraphQLClient, card_name: str
) -> None:
    times = _history(editor, approver, card_name)
    before = _iso(_instant(times["v1"]) - timedelta(milliseconds=1))
    assert _card_at(reader, card_name, before) is None  # no card bore the name yet

    created = _card_at(reader, card_name, times["v1"])
    assert created is not None
    assert created["asOf"] == times["v1"]
    assert (created["status"], created["riskRating"]) == ("DRAFT", "LOW")
    assert created["latestVersion"]["number"] == 1
    assert [c["toStatus"] for c in created["latestVersion"]["statusHistory"]] == ["DRAFT"]
    assert created["approvedVersion"] is None
    assert created["v2"] is None  # it did not exist yet
    assert created["versions"]["totalCount"] == 1
    assert created["updatedAt"] == times["v1"]

    in_review = _card_at(reader, card_name, _between(times["review1"], times["approve1"]))
    assert in_review is not None
    assert in_review["status"] == "PENDING_REVIEW"
    assert in_review["latestVersion"]["status"] == "PENDING_REVIEW"
    assert in_review["updatedAt"] == times["review1"]
    assert in_review["approvedVersion"] is None

    # "Which version was APPROVED then, and who approved it?" is one query.
    approved = _card_at(reader, card_name, _between(times["approve1"], times["v2"]))
    assert approved is not None
    assert approved["status"] == "APPROVED"
    assert approved["approvedVersion"]["number"] == 1
    approval = approved["approvedVersion"]["statusHistory"][-1]
    assert approval == {
        "toStatus": "APPROVED",
        "changedBy": "apikey:test-approver",
        "changedAt": times["approve1"],
    }

    drafted = _card_at(reader, card_name, _between(times["v2"], times["review2"]))
    assert drafted is not None
    assert (drafted["status"], drafted["riskRating"]) == ("DRAFT", "MEDIUM")
    assert drafted["latestVersion"]["number"] == 2
    assert drafted["v2"] == {"number": 2, "status": "DRAFT"}
    assert [e["node"] for e in drafted["versions"]["edges"]] == [
        {"number": 1, "status": "APPROVED"},
        {"number": 2, "status": "DRAFT"},
    ]
    assert drafted["approvedVersion"]["number"] == 1  # still the approved one

    now = _card_at(reader, card_name, None)
    assert now is not None
    assert now["asOf"] is None
    assert (now["status"], now["v2"]) == (
        "PENDING_REVIEW",
        {"number": 2, "status": "PENDING_REVIEW"},
    )
    assert now["approvedVersion"]["number"] == 1


def test_an_instant_without_a_zone_is_utc(
    editor: GraphQLClient, reader: GraphQLClient, card_name: str
) -> None:
    created = create_card(editor, card_name, LOW)["createdAt"]
    naive = _instant(created).astimezone(UTC).replace(tzinfo=None).isoformat()
    card = _card_at(reader, card_name, naive)
    assert card is not None and card["latestVersion"]["number"] == 1
    earlier = (_instant(created) - timedelta(milliseconds=1)).astimezone(UTC).replace(tzinfo=None)
    assert _card_at(reader, card_name, earlier.isoformat()) is None


def test_a_deleted_card_stood_until_its_deletion_and_its_name_went_on(
    editor: GraphQLClient, admin: GraphQLClient, reader: GraphQLClient, db: Any, card_name: str
) -> None:
    first = create_card(editor, card_name, LOW)
    _pause()
    assert admin.data(DELETE, {"name": card_name})["deleteCard"] is True
    _pause()
    second = create_card(editor, card_name, MEDIUM)
    assert first["cardId"] != second["cardId"]
    deleted_at: datetime = db.cards.find_one({"_id": first["cardId"]})["deleted_at"]

    just_before = _iso(deleted_at - timedelta(milliseconds=1))
    then = _card_at(reader, card_name, just_before)
    assert then is not None and then["latestVersion"]["cardId"] == first["cardId"]
    assert _card_at(reader, card_name, _iso(deleted_at)) is None  # deleted, not yet reused
    later = _card_at(reader, card_name, second["createdAt"])
    assert later is not None and later["latestVersion"]["cardId"] == second["cardId"]

    listed = reader.data(
        LIST, {"at": just_before, "filter": {"nameContains": card_name}, "first": 10}
    )["cards"]
    assert [e["node"]["latestVersion"]["cardId"] for e in listed["edges"]] == [first["cardId"]]
    now = reader.data(LIST, {"filter": {"nameContains": card_name}, "first": 10})["cards"]
    assert [e["node"]["latestVersion"]["cardId"] for e in now["edges"]] == [second["cardId"]]


def test_the_inventory_as_it_stood_filters_and_pages_by_the_state_then(
    editor: GraphQLClient, approver: GraphQLClient, reader: GraphQLClient, card_name: str
) -> None:
    names = [f"{card_name}-{i}" for i in range(5)]
    times = [_history(editor, approver, name) for name in names]
    _pause()
    late = create_card(editor, f"{card_name}-late", LOW)
    # After every card's history (they ran one by one), before the late card.
    at = _between(times[-1]["review2"], late["createdAt"])
    approved_then = _between(times[0]["approve1"], times[0]["v2"])
    prefix = {"nameContains": card_name}

    # At `approved_then` card 0 was approved and cards 1-4 did not exist yet.
    page = reader.data(LIST, {"at": approved_then, "filter": prefix, "first": 10})["cards"]
    assert [(e["node"]["name"], e["node"]["status"]) for e in page["edges"]] == [
        (names[0], "APPROVED")
    ]

    # At `at`: every card of the five at v2 in review, the late one not yet created.
    everything = reader.data(LIST, {"at": at, "filter": prefix, "first": 10})["cards"]
    assert [e["node"]["name"] for e in everything["edges"]] == names
    assert everything["totalCount"] == 5
    assert {e["node"]["status"] for e in everything["edges"]} == {"PENDING_REVIEW"}
    assert {e["node"]["riskRating"] for e in everything["edges"]} == {"MEDIUM"}

    # Filters apply to the state then: now and then differ for the Low risk rating.
    low_then = {**prefix, "riskRating": ["LOW"]}
    assert reader.data(LIST, {"at": approved_then, "filter": low_then})["cards"]["totalCount"] == 1
    assert reader.data(LIST, {"at": at, "filter": low_then})["cards"]["totalCount"] == 0
    approved = {**prefix, "status": ["APPROVED"]}
    page = reader.data(LIST, {"at": approved_then, "filter": approved})["cards"]
    assert [e["node"]["name"] for e in page["edges"]] == [names[0]]
    assert reader.data(LIST, {"at": at, "filter": approved})["cards"]["totalCount"] == 0
    now_low = reader.data(LIST, {"at": None, "filter": low_then})["cards"]
    assert [e["node"]["name"] for e in now_low["edges"]] == [f"{card_name}-late"]

    # Pages of two, newest first, follow the keyset to the end.
    seen: list[str] = []
    after = None
    sort = {"field": "CREATED", "direction": "DESC"}
    while True:
        variables = {"at": at, "filter": prefix, "sort": sort, "first": 2, "after": after}
        page = reader.data(LIST, variables)["cards"]
        seen += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == names[::-1]


def test_an_as_of_list_cannot_order_by_the_time_of_last_change(reader: GraphQLClient) -> None:
    error = reader.error(LIST, {"at": datetime.now(UTC).isoformat(), "sort": {"field": "UPDATED"}})
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["extensions"]["fields"] == [
        {"path": "sort.field", "reason": "UPDATED cannot order a list as of an instant"}
    ]


def test_the_version_at_an_instant_is_found_in_a_long_history(
    settings: Settings, editor: GraphQLClient, reader: GraphQLClient, card_name: str
) -> None:
    """1,000 versions a second apart (written as an import would): the version at random
    instants is the one the list of creation times says, including at exact creation times."""
    first = create_card(editor, card_name, LOW)
    start = _instant(first["createdAt"])
    created = [start + timedelta(seconds=n) for n in range(1000)]  # created[n - 1]: version n
    run_async(_write_history(settings, card_name, created))
    rng = random.Random(7)
    instants = [
        created[0],
        created[-1],
        created[-1] + timedelta(days=1),
        *rng.sample(created, 10),
        *(start + timedelta(milliseconds=rng.randrange(1000 * 1000)) for _ in range(10)),
    ]
    for at in instants:
        expected = bisect.bisect_right(created, at)
        card = _card_at(reader, card_name, _iso(at))
        assert card is not None
        assert card["latestVersion"]["number"] == expected, at


async def _write_history(settings: Settings, name: str, created: list[datetime]) -> None:
    client = create_async_client(settings)
    try:
        repository = CardRepository(client[settings.mongodb_database])
        card = await repository.find_card(name)
        assert card is not None
        latest = await repository.latest_version(card)
        assert latest is not None
        versions = []
        for number in range(2, len(created) + 1):
            latest = chained_version(
                card.id,
                name,
                number,
                canonical_json({"model_overview": {"model_version": number}}),
                CardStatus.DRAFT,
                latest.chain_sha256,
                "apikey:importer",
                created[number - 1],
                VersionSource.MANUAL,
            )
            versions.append(latest)
        assert await repository.insert_versions(versions) == len(versions)
        await repository.apply_summary(summary_change(card, latest, None, None, created[-1]))
    finally:
        await client.close()


def test_instants_at_the_ends_of_the_calendar(
    editor: GraphQLClient, reader: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, LOW)
    assert _card_at(reader, card_name, "0001-01-01T00:00:00Z") is None
    far = _card_at(reader, card_name, "9999-12-31T23:59:59.999Z")
    assert far is not None and far["latestVersion"]["number"] == 1
    for outside in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        error = reader.error(AS_OF, {"name": card_name, "at": outside})
        assert error["extensions"]["code"] == "BAD_REQUEST", error
        assert error["extensions"]["fields"][0]["path"] == "asOf"
    error = reader.error(AS_OF, {"name": card_name, "at": "yesterday"})
    assert error["extensions"]["code"] == "BAD_REQUEST"


def test_a_created_bound_outside_the_calendar_is_a_bad_argument(reader: GraphQLClient) -> None:
    for field in ("createdAfter", "createdBefore"):
        variables = {"filter": {field: "0001-01-01T00:00:00+00:01"}}
        error = reader.error(LIST, variables)
        assert error["extensions"]["code"] == "BAD_REQUEST", error
        assert error["extensions"]["fields"][0]["path"] == f"filter.{field}"


def test_an_empty_page_of_versions_says_whether_more_stood_then(
    editor: GraphQLClient, reader: GraphQLClient, card_name: str
) -> None:
    first = create_card(editor, card_name, LOW)
    _pause()
    update_content(editor, card_name, MEDIUM)
    query = """query($n: String!, $at: DateTime) { card(name: $n, asOf: $at) {
      versions(first: 0) { totalCount pageInfo { hasNextPage } } } }"""
    for at, expected in ((None, 2), (first["createdAt"], 1)):
        versions = reader.data(query, {"n": card_name, "at": at})["card"]["versions"]
        assert versions == {"totalCount": expected, "pageInfo": {"hasNextPage": True}}

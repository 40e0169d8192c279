"""SageMaker's versioning rules, over GraphQL against the real database (design §3)."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cardgraph.cards.repository import CardRepository
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client
from tests.support.cards_api import (
    DELETE,
    SET_STATUS,
    UPDATE_CARD,
    UPDATE_CONTENT,
    canonical_sha256,
    create_card,
    expected_chain,
    get_card,
    set_status,
    update_content,
)
from tests.support.factories import custom_details
from tests.support.servers import GraphQLClient, run_async

CONTENT = {
    "model_overview": {"model_description": "Fraud scoring", "model_version": 1},
    "intended_uses": {"risk_rating": "Medium", "intended_uses": "Card payments"},
}


def test_create_makes_version_one(editor: GraphQLClient, card_name: str) -> None:
    version = create_card(editor, card_name, CONTENT)
    assert version["number"] == 1
    assert version["status"] == "DRAFT"
    assert version["contentJson"] == CONTENT
    assert version["contentSha256"] == canonical_sha256(CONTENT)
    assert version["previousSha256"] is None
    assert version["chainSha256"] == expected_chain([version])[0]
    assert version["createdBy"] == "apikey:test-editor"
    assert version["statusHistory"] == [
        {
            "fromStatus": None,
            "toStatus": "DRAFT",
            "changedBy": "apikey:test-editor",
            "changedAt": version["createdAt"],
            "sha256": version["chainSha256"],
        }
    ]
    card = get_card(editor, card_name)
    assert card is not None
    assert card["riskRating"] == "MEDIUM"
    assert card["arn"].endswith(f":model-card/{card_name}")
    assert card["versions"]["totalCount"] == 1


def test_content_change_makes_new_immutable_version(editor: GraphQLClient, card_name: str) -> None:
    create_card(editor, card_name, CONTENT)
    changed = {**CONTENT, "business_details": {"business_problem": "Chargebacks"}}
    v2 = update_content(editor, card_name, changed)
    assert v2["number"] == 2
    assert v2["contentJson"] == changed
    assert v2["previousSha256"] is not None
    card = get_card(editor, card_name)
    assert card is not None
    versions = [edge["node"] for edge in card["versions"]["edges"]]
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[0]["contentJson"] == CONTENT  # version 1 is untouched
    assert [v["chainSha256"] for v in versions] == expected_chain(versions)
    assert versions[1]["previousSha256"] == versions[0]["chainSha256"]
    assert card["latestVersion"]["number"] == 2


def test_identical_content_makes_no_new_version(editor: GraphQLClient, card_name: str) -> None:
    create_card(editor, card_name, CONTENT)
    # Same content, different key order and 1 written as 1.0: canonically identical.
    reordered = {
        "intended_uses": {"intended_uses": "Card payments", "risk_rating": "Medium"},
        "model_overview": {"model_version": 1.0, "model_description": "Fraud scoring"},
    }
    again = update_content(editor, card_name, reordered)
    assert again["number"] == 1
    card = get_card(editor, card_name)
    assert card is not None and card["versions"]["totalCount"] == 1


def test_status_change_is_in_place_with_history(
    editor: GraphQLClient, approver: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, CONTENT)
    set_status(editor, card_name, "PENDING_REVIEW")
    approved = set_status(approver, card_name, "APPROVED")
    assert approved["number"] == 1
    assert approved["status"] == "APPROVED"
    history = [(h["fromStatus"], h["toStatus"], h["changedBy"]) for h in approved["statusHistory"]]
    assert history == [
        (None, "DRAFT", "apikey:test-editor"),
        ("DRAFT", "PENDING_REVIEW", "apikey:test-editor"),
        ("PENDING_REVIEW", "APPROVED", "apikey:test-approver"),
    ]
    card = get_card(editor, card_name)
    assert card is not None
    assert card["versions"]["totalCount"] == 1
    assert card["status"] == "APPROVED"
    assert card["latestVersion"]["contentSha256"] == canonical_sha256(CONTENT)


def test_new_content_after_approval_starts_as_draft(
    editor: GraphQLClient, approver: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, CONTENT)
    set_status(editor, card_name, "PENDING_REVIEW")
    set_status(approver, card_name, "APPROVED")
    v2 = update_content(editor, card_name, {**CONTENT, "business_details": {}})
    assert (v2["number"], v2["status"]) == (2, "DRAFT")
    card = get_card(editor, card_name)
    assert card is not None
    statuses = [e["node"]["status"] for e in card["versions"]["edges"]]
    assert statuses == ["APPROVED", "DRAFT"]  # the approval stays bound to version 1


def test_content_and_status_never_in_one_call(editor: GraphQLClient, card_name: str) -> None:
    create_card(editor, card_name, CONTENT)
    error = editor.error(
        UPDATE_CARD,
        {
            "input": {
                "name": card_name,
                "contentJson": {"business_details": {}},
                "status": "PENDING_REVIEW",
            }
        },
    )
    assert error["extensions"]["code"] == "BAD_REQUEST"
    card = get_card(editor, card_name)
    assert card is not None
    assert (card["versions"]["totalCount"], card["status"]) == (1, "DRAFT")
    # Each alone works through the same SageMaker-style mutation.
    changed = editor.data(UPDATE_CARD, {"input": {"name": card_name, "contentJson": {}}})
    assert changed["updateCard"]["number"] == 2
    moved = editor.data(UPDATE_CARD, {"input": {"name": card_name, "status": "PENDING_REVIEW"}})
    assert (moved["updateCard"]["number"], moved["updateCard"]["status"]) == (2, "PENDING_REVIEW")


def test_archived_card_rejects_content_but_stays_readable(
    editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, CONTENT)
    set_status(editor, card_name, "ARCHIVED")
    error = editor.error(UPDATE_CONTENT, {"input": {"name": card_name, "contentJson": {}}})
    assert error["extensions"]["code"] == "ARCHIVED"
    card = get_card(editor, card_name)
    assert card is not None
    assert card["versions"]["totalCount"] == 1
    assert card["latestVersion"]["contentJson"] == CONTENT


TRANSITIONS = {
    "DRAFT": {"PENDING_REVIEW", "ARCHIVED"},
    "PENDING_REVIEW": {"APPROVED", "DRAFT", "ARCHIVED"},
    "APPROVED": {"ARCHIVED"},
    "ARCHIVED": set(),
}
PATH_TO = {
    "DRAFT": [],
    "PENDING_REVIEW": ["PENDING_REVIEW"],
    "APPROVED": ["PENDING_REVIEW", "APPROVED"],
    "ARCHIVED": ["ARCHIVED"],
}


@pytest.mark.parametrize("start", list(TRANSITIONS))
def test_status_workflow(approver: GraphQLClient, card_name: str, start: str) -> None:
    for target in TRANSITIONS:
        name = f"{card_name}-{target.lower().replace('_', '-')}"
        create_card(approver, name, CONTENT)
        for step in PATH_TO[start]:
            set_status(approver, name, step)
        body = approver.execute(SET_STATUS, {"input": {"name": name, "status": target}})
        if target in TRANSITIONS[start]:
            assert "errors" not in body, (start, target, body)
            assert body["data"]["setCardStatus"]["status"] == target
        else:
            assert body["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION", (start, target)
            card = get_card(approver, name)
            assert card is not None and card["status"] == start


def test_expected_version_conflict(editor: GraphQLClient, card_name: str) -> None:
    create_card(editor, card_name, CONTENT)
    update_content(editor, card_name, {"business_details": {}}, expected=1)
    error = editor.error(
        UPDATE_CONTENT,
        {
            "input": {
                "name": card_name,
                "contentJson": {"additional_information": {}},
                "expectedVersion": 1,
            }
        },
    )
    assert error["extensions"]["code"] == "CONFLICT"
    assert "version 2" in error["message"]
    card = get_card(editor, card_name)
    assert card is not None and card["versions"]["totalCount"] == 2


def _writer(client: GraphQLClient, name: str, writer: int, count: int, expected: bool) -> list[str]:
    outcomes = []
    for i in range(count):
        content = custom_details(writer=str(writer), i=str(i))
        variables: dict[str, Any] = {"input": {"name": name, "contentJson": content}}
        if expected:
            card = get_card(client, name)
            assert card is not None
            variables["input"]["expectedVersion"] = card["latestVersion"]["number"]
        body = client.execute(UPDATE_CONTENT, variables)
        outcomes.append(body["errors"][0]["extensions"]["code"] if "errors" in body else "OK")
    return outcomes


def test_concurrent_writers_never_lose_or_duplicate_versions(
    editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, CONTENT)
    with ThreadPoolExecutor(max_workers=6) as pool:
        blind = [pool.submit(_writer, editor, card_name, w, 8, False) for w in range(3)]
        careful = [pool.submit(_writer, editor, card_name, w + 3, 8, True) for w in range(3)]
        blind_outcomes = [o for f in blind for o in f.result()]
        careful_outcomes = [o for f in careful for o in f.result()]
    # Writers without expectedVersion always succeed; careful ones only ever lose with CONFLICT.
    assert set(blind_outcomes) == {"OK"}
    assert set(careful_outcomes) <= {"OK", "CONFLICT"}
    card = get_card(editor, card_name)
    assert card is not None
    versions = [e["node"] for e in card["versions"]["edges"]]
    expected_count = 1 + len(blind_outcomes) + careful_outcomes.count("OK")
    assert [v["number"] for v in versions] == list(range(1, expected_count + 1))
    assert [v["chainSha256"] for v in versions] == expected_chain(versions)


def test_unique_card_version_is_the_commit_point(
    db: Any, editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, CONTENT)
    card_doc = db.cards.find_one({"live_name": card_name})
    indexes = db.card_versions.index_information()
    unique = [
        i
        for i in indexes.values()
        if i.get("unique") and [k for k, _ in i["key"]] == ["card_id", "number"]
    ]
    assert unique, indexes
    from pymongo.errors import DuplicateKeyError

    with pytest.raises(DuplicateKeyError):
        db.card_versions.insert_one({"_id": "other", "card_id": card_doc["_id"], "number": 1})


def test_duplicate_name_is_a_conflict_and_delete_frees_it(
    editor: GraphQLClient, admin: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, CONTENT)
    error = editor.error(
        "mutation($n: String!) { createCard(input: {name: $n}) { number } }", {"n": card_name}
    )
    assert error["extensions"]["code"] == "CONFLICT"
    assert admin.data(DELETE, {"name": card_name}) == {"deleteCard": True}
    assert get_card(editor, card_name) is None
    assert admin.error(DELETE, {"name": card_name})["extensions"]["code"] == "NOT_FOUND"
    again = create_card(editor, card_name, {})
    assert again["number"] == 1


@pytest.mark.parametrize("name", ["", "-lead", "trail-", "under_score", "a" * 64, "spa ce"])
def test_invalid_card_names(editor: GraphQLClient, name: str) -> None:
    error = editor.error(
        "mutation($n: String!) { createCard(input: {name: $n}) { number } }", {"n": name}
    )
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    assert error["extensions"]["fields"][0]["path"] == "name"


def test_not_found(editor: GraphQLClient) -> None:
    error = editor.error(UPDATE_CONTENT, {"input": {"name": "no-such-card", "contentJson": {}}})
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert editor.data('{ card(name: "no-such-card") { name } }') == {"card": None}


VERSION_PAGE = """query($n: String!, $after: String) { card(name: $n) {
  versions(first: 2, after: $after) { edges { node { number } } pageInfo { hasNextPage endCursor } }
} }"""
VERIFY = "query($n: String!) { verifyCard(name: $n) { valid firstInvalidVersion reason } }"


def _numbers_by_page(client: GraphQLClient, name: str) -> list[list[int]]:
    pages, after = [], None
    while True:
        versions = client.data(VERSION_PAGE, {"n": name, "after": after})["card"]["versions"]
        pages.append([edge["node"]["number"] for edge in versions["edges"]])
        if not versions["pageInfo"]["hasNextPage"]:
            return pages
        after = versions["pageInfo"]["endCursor"]


async def _listed_with_summary_at(settings: Settings, name: str, latest: int) -> list[list[int]]:
    """Pages of three read by the repository for a card whose summary says `latest`."""
    client = create_async_client(settings)
    try:
        repository = CardRepository(client[settings.mongodb_database])
        card = await repository.find_card(name)
        assert card is not None
        stale = dataclasses.replace(card, latest_version=latest)
        first = await repository.list_versions(stale, None, 3)
        second = await repository.list_versions(stale, first[1].number, 3)
        return [[v.number for v in first[:2]], [v.number for v in second]]
    finally:
        await client.close()


def test_version_pages_are_ranges_and_a_gap_in_the_history_still_lists_the_rest(
    editor: GraphQLClient, db: Any, settings: Settings, card_name: str
) -> None:
    """Pages read a closed range of numbers; a missing version (damage) makes a page read the
    open range instead, so nothing after the gap disappears, and verifyCard names it."""
    create_card(editor, card_name, {"model_overview": {"model_version": 1}})
    for number in range(2, 8):
        update_content(editor, card_name, {"model_overview": {"model_version": number}})
    assert _numbers_by_page(editor, card_name) == [[1, 2], [3, 4], [5, 6], [7]]
    card_id = db.cards.find_one({"name": card_name, "deleted_at": None})["_id"]
    gap = {"card_id": card_id, "number": {"$in": [3, 4]}}
    assert db.card_versions.delete_many(gap).deleted_count == 2
    # The range after 2 holds only version 5: without the open range, 6 and 7 would vanish.
    assert _numbers_by_page(editor, card_name) == [[1, 2], [5, 6], [7]]
    # Nor when the card's summary is behind the history: the summary is not trusted.
    assert run_async(_listed_with_summary_at(settings, card_name, 2)) == [[1, 2], [5, 6, 7]]
    verified = editor.data(VERIFY, {"n": card_name})["verifyCard"]
    assert verified == {"valid": False, "firstInvalidVersion": 3, "reason": "version 3 is missing"}

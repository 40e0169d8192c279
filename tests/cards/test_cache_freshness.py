"""Version reads are cached per card revision; writes through one API process are visible
through another at once, and writers in two processes never lose or duplicate a version."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import (
    DELETE,
    check_concurrent_writes,
    create_card,
    set_status,
    update_content,
    write_concurrently,
)
from tests.support.servers import GraphQLClient, running_api

READ = """query($n: String!) { card(name: $n) {
  latestVersion { number status contentJson }
  version(number: 1) { number status } } }"""


@pytest.fixture(scope="module")
def second_api(settings: Settings) -> Iterator[str]:
    """Another API process on the same database (its own caches)."""
    with running_api(settings.model_copy(update={"port": 0})) as url:
        yield url


@pytest.fixture
def through(second_api: str, api_url: str) -> Iterator[Callable[[str, str], GraphQLClient]]:
    """Clients by (process, key): "second" reaches the other process; closed afterwards."""
    made: list[GraphQLClient] = []

    def client(process: str, key: str) -> GraphQLClient:
        made.append(GraphQLClient(second_api if process == "second" else api_url, key))
        return made[-1]

    yield client
    for each in made:
        each.close()


def test_writes_through_one_process_are_read_at_once_through_another(
    editor: GraphQLClient,
    approver: GraphQLClient,
    through: Callable[[str, str], GraphQLClient],
    keys: dict[Role, str],
    card_name: str,
) -> None:
    other = through("second", keys[Role.READER])
    create_card(editor, card_name, {"business_details": {"business_problem": "one"}})
    for _ in range(3):  # warm the other process's cache
        first = other.data(READ, {"n": card_name})["card"]
    assert first["latestVersion"]["number"] == 1
    update_content(editor, card_name, {"business_details": {"business_problem": "two"}})
    after_write = other.data(READ, {"n": card_name})["card"]
    assert after_write["latestVersion"]["number"] == 2
    assert after_write["latestVersion"]["contentJson"]["business_details"] == {
        "business_problem": "two"
    }
    set_status(editor, card_name, "PENDING_REVIEW")
    after_status = other.data(READ, {"n": card_name})["card"]
    assert after_status["latestVersion"]["status"] == "PENDING_REVIEW"
    assert after_status["version"] == {"number": 1, "status": "DRAFT"}
    set_status(approver, card_name, "DRAFT")
    assert other.data(READ, {"n": card_name})["card"]["latestVersion"]["status"] == "DRAFT"


def test_writes_through_the_other_process_are_read_at_once_through_the_first(
    editor: GraphQLClient,
    through: Callable[[str, str], GraphQLClient],
    keys: dict[Role, str],
    card_name: str,
) -> None:
    other = through("second", keys[Role.EDITOR])
    create_card(editor, card_name, {})
    for number in range(2, 12):  # each read is warm, each write is elsewhere
        assert editor.data(READ, {"n": card_name})["card"]["latestVersion"]["number"] == (
            number - 1
        )
        update_content(other, card_name, {"business_details": {"business_problem": f"{number}"}})
    assert editor.data(READ, {"n": card_name})["card"]["latestVersion"]["number"] == 11


def test_a_deleted_card_is_gone_at_once_from_another_process(
    editor: GraphQLClient,
    admin: GraphQLClient,
    through: Callable[[str, str], GraphQLClient],
    keys: dict[Role, str],
    card_name: str,
) -> None:
    other = through("second", keys[Role.READER])
    create_card(editor, card_name, {})
    assert other.data(READ, {"n": card_name})["card"] is not None
    assert admin.data(DELETE, {"name": card_name}) == {"deleteCard": True}
    assert other.data(READ, {"n": card_name}) == {"card": None}
    create_card(editor, card_name, {"business_details": {"business_problem": "again"}})
    again = other.data(READ, {"n": card_name})["card"]["latestVersion"]
    assert again["contentJson"] == {"business_details": {"business_problem": "again"}}


def test_a_revoked_key_stops_working_at_once_in_every_process(
    admin: GraphQLClient, through: Callable[[str, str], GraphQLClient]
) -> None:
    created = admin.data(
        'mutation { createApiKey(name: "short-lived", role: READER) { secret apiKey { id } } }'
    )["createApiKey"]
    other = through("second", created["secret"])
    here = through("first", created["secret"])
    for client in (other, here):  # both processes now hold the key in memory
        assert client.data("{ viewer { name } }") == {"viewer": {"name": "short-lived"}}
    admin.data(
        "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
        {"id": created["apiKey"]["id"]},
    )
    for client in (other, here):
        response = client.post("{ viewer { name } }")
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_listed_pages_follow_changes_made_through_another_process(
    editor: GraphQLClient,
    admin: GraphQLClient,
    through: Callable[[str, str], GraphQLClient],
    keys: dict[Role, str],
    card_name: str,
) -> None:
    other = through("second", keys[Role.READER])
    listing = """query($n: String!) { cards(first: 10, filter: {nameContains: $n}) {
      totalCount edges { node { name status } } } }"""
    create_card(editor, f"{card_name}-a", {})
    for _ in range(2):  # the second answer comes from the other process's memory
        page = other.data(listing, {"n": card_name})["cards"]
    assert page["totalCount"] == 1
    create_card(editor, f"{card_name}-b", {})
    page = other.data(listing, {"n": card_name})["cards"]
    assert [e["node"]["name"] for e in page["edges"]] == [f"{card_name}-a", f"{card_name}-b"]
    assert page["totalCount"] == 2
    set_status(editor, f"{card_name}-a", "PENDING_REVIEW")
    page = other.data(listing, {"n": card_name})["cards"]
    assert page["edges"][0]["node"]["status"] == "PENDING_REVIEW"
    admin.data(DELETE, {"name": f"{card_name}-b"})
    assert other.data(listing, {"n": card_name})["cards"]["totalCount"] == 1


def test_writers_in_two_processes_never_lose_or_duplicate_a_version(
    api_url: str,
    second_api: str,
    keys: dict[Role, str],
    editor: GraphQLClient,
    card_name: str,
) -> None:
    """Each process batches its own writers; the two race, and the unique indexes settle it."""
    create_card(editor, card_name, {})
    urls = [api_url] * 4 + [second_api] * 4  # two blind and two careful writers in each
    results = write_concurrently(urls, keys[Role.EDITOR], card_name, 10)
    check_concurrent_writes(editor, card_name, results, 10)

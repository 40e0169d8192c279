"""Field diffs through the API: `versionDiff`, `CardVersion.diff` on a page of versions, and the
sections a VERSION_CREATED event names, heard through `gql` (a client we did not write). Every
path is resolved against the content we sent by an RFC 9535 implementation we did not write."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import jsonpath_rfc9535 as jsonpath
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from starlette.applications import Starlette

from cardgraph.principals import Role
from tests.support.cards_api import create_card, update_content
from tests.support.long_card import long_card
from tests.support.servers import GraphQLClient, run_async

CHANGE = "path section kind before after"
DIFF = f"""query($n: String!, $from: Int!, $to: Int!) {{
  versionDiff(name: $n, from: $from, to: $to) {{
    cardName fromVersion toVersion sectionsChanged changes {{ {CHANGE} }} }} }}"""
PAGE = f"""query($n: String!, $first: Int, $after: String) {{ card(name: $n) {{
  versions(first: $first, after: $after) {{
    edges {{ node {{ number diff {{ fromVersion toVersion changes {{ {CHANGE} }} }} }} }}
    pageInfo {{ hasNextPage endCursor }} }} }} }}"""
LATEST = f"""query($n: String!) {{ card(name: $n) {{ latestVersion {{
  number diff {{ fromVersion toVersion changes {{ {CHANGE} }} }} }} }} }}"""
EVENTS = "subscription($n: String) { cardEvents(name: $n) { kind version sections } }"


def _one(document: Any, path: str) -> Any:
    found = [node.value for node in jsonpath.find(path, document)]
    assert len(found) <= 1, (path, found)
    return found[0] if found else "<absent>"


def _check_against(before: dict[str, Any], after: dict[str, Any], changes: list[Any]) -> None:
    """Each change's path selects its `before` in the old content and `after` in the new."""
    assert changes
    for change in changes:
        if change["kind"] == "REORDERED":
            continue
        expected_before = "<absent>" if change["kind"] == "ADDED" else change["before"]
        expected_after = "<absent>" if change["kind"] == "REMOVED" else change["after"]
        assert _one(before, change["path"]) == expected_before, change["path"]
        assert _one(after, change["path"]) == expected_after, change["path"]


def _second_version(first: dict[str, Any]) -> dict[str, Any]:
    second = copy.deepcopy(first)
    evaluation = second["evaluation_details"][0]
    # An evaluation job inserted in front: the others are still matched by name.
    second["evaluation_details"].insert(0, {**copy.deepcopy(evaluation), "name": "adhoc run"})
    evaluation["metric_groups"][1]["metric_data"][0]["value"] = 0.5
    second["model_overview"]["model_owner"] = "fraud-ml"
    del second["business_details"]
    return second


def test_version_diff_of_long_cards_names_every_changed_field(
    editor: GraphQLClient, reader: GraphQLClient, card_name: str
) -> None:
    first = long_card(90_000)
    second = _second_version(first)
    create_card(editor, card_name, first)
    assert update_content(editor, card_name, second)["number"] == 2

    diff = reader.data(DIFF, {"n": card_name, "from": 1, "to": 2})["versionDiff"]
    evaluation, group = first["evaluation_details"][0]["name"], "segment 1"
    # Stored content is canonical JSON (keys sorted), so sections come in that order.
    assert [(c["path"], c["kind"]) for c in diff["changes"]] == [
        ("$.business_details", "REMOVED"),
        (
            f"$.evaluation_details[?@.name=='{evaluation}'].metric_groups[?@.name=='{group}']"
            ".metric_data[?@.name=='accuracy'].value",
            "CHANGED",
        ),
        ("$.evaluation_details[?@.name=='adhoc run']", "ADDED"),
        ("$.model_overview.model_owner", "CHANGED"),
    ]
    assert diff["sectionsChanged"] == ["business_details", "evaluation_details", "model_overview"]
    _check_against(first, second, diff["changes"])

    backwards = reader.data(DIFF, {"n": card_name, "from": 2, "to": 1})["versionDiff"]
    assert (backwards["fromVersion"], backwards["toVersion"]) == (2, 1)
    assert {c["path"]: c["kind"] for c in backwards["changes"]}["$.business_details"] == "ADDED"
    _check_against(second, first, backwards["changes"])

    same = reader.data(DIFF, {"n": card_name, "from": 2, "to": 2})["versionDiff"]
    assert same["changes"] == [] and same["sectionsChanged"] == []


def test_a_page_of_versions_shows_each_diff_against_its_predecessor(
    editor: GraphQLClient, reader: GraphQLClient, card_name: str
) -> None:
    contents = [{"model_overview": {"model_version": n, "model_owner": "a"}} for n in range(1, 8)]
    create_card(editor, card_name, contents[0])
    for content in contents[1:]:
        update_content(editor, card_name, content)
    seen: dict[int, Any] = {}
    after = None
    while True:  # pages of three: each page's first version reaches back across the page
        versions = reader.data(PAGE, {"n": card_name, "first": 3, "after": after})["card"]
        for edge in versions["versions"]["edges"]:
            seen[edge["node"]["number"]] = edge["node"]["diff"]
        if not versions["versions"]["pageInfo"]["hasNextPage"]:
            break
        after = versions["versions"]["pageInfo"]["endCursor"]
    assert seen[1] is None
    latest = reader.data(LATEST, {"n": card_name})["card"]["latestVersion"]
    assert latest == {"number": 7, "diff": seen[7]}  # read alone, through the loader
    for number in range(2, 8):
        diff = seen[number]
        assert (diff["fromVersion"], diff["toVersion"]) == (number - 1, number)
        assert [(c["path"], c["before"], c["after"]) for c in diff["changes"]] == [
            ("$.model_overview.model_version", number - 1, number)
        ]


def test_bad_version_numbers_are_clear_errors(
    reader: GraphQLClient, editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, {"model_overview": {"model_version": 1}})
    missing = reader.error(DIFF, {"n": card_name, "from": 1, "to": 9})
    assert missing["extensions"]["code"] == "NOT_FOUND", missing
    assert "no version 9" in missing["message"] and missing["path"] == ["versionDiff"]
    zero = reader.error(DIFF, {"n": card_name, "from": 0, "to": 1})
    assert zero["extensions"]["code"] == "BAD_REQUEST", zero
    assert "`from`" in zero["message"]
    no_card = reader.error(DIFF, {"n": f"{card_name}-none", "from": 1, "to": 1})
    assert no_card["extensions"]["code"] == "NOT_FOUND", no_card


def test_a_get_without_a_key_reads_no_diff(
    api_url: str, editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, {"model_overview": {"model_version": 1}})
    with GraphQLClient(api_url, None) as anonymous:
        response = anonymous.http.get(
            "/graphql",
            params={"query": DIFF, "variables": f'{{"n": "{card_name}", "from": 1, "to": 1}}'},
        )
    assert response.status_code == 401, response.text
    assert "versionDiff" not in response.text


def test_version_created_events_name_the_sections_that_changed(
    api: tuple[str, Starlette], keys: dict[Role, str], editor: GraphQLClient, card_name: str
) -> None:
    api_url, app = api
    hub = app.state.runtime.hub
    first = {"model_overview": {"model_version": 1}, "intended_uses": {"risk_rating": "Low"}}
    second = {
        **first,
        "intended_uses": {"risk_rating": "High"},
        "business_details": {"business_problem": "fraud"},
    }

    async def follow() -> list[dict[str, Any]]:
        transport = WebsocketsTransport(
            url=api_url.replace("http://", "ws://", 1) + "/graphql",
            init_payload={"Authorization": f"Bearer {keys[Role.READER]}"},
        )
        seen: list[dict[str, Any]] = []
        before = hub.subscriber_count
        async with Client(transport=transport) as session:
            request = GraphQLRequest(EVENTS, variable_values={"n": card_name})

            async def listen() -> None:
                async for result in session.subscribe(request):
                    seen.append(result["cardEvents"])
                    if len(seen) == 2:
                        return

            listening = asyncio.create_task(listen())
            await _registered(hub, before)
            await asyncio.to_thread(_write, editor, card_name, first, second)
            await asyncio.wait_for(listening, 60)
        return seen

    heard = run_async(follow())
    diff = editor.data(DIFF, {"n": card_name, "from": 1, "to": 2})["versionDiff"]
    assert heard[1]["sections"] == diff["sectionsChanged"]  # the same order, sorted
    assert heard == [
        {"kind": "VERSION_CREATED", "version": 1, "sections": ["intended_uses", "model_overview"]},
        {
            "kind": "VERSION_CREATED",
            "version": 2,
            "sections": ["business_details", "intended_uses"],
        },
    ]


async def _registered(hub: Any, before: int) -> None:
    """Until the server holds one more subscriber than `before` (no event is missed after)."""
    while hub.subscriber_count <= before:  # noqa: ASYNC110 - the hub offers no event for this
        await asyncio.sleep(0.01)


def _write(client: GraphQLClient, name: str, first: dict[str, Any], second: dict[str, Any]) -> None:
    create_card(client, name, first)
    update_content(client, name, second)

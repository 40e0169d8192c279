"""Card lists: Relay pagination, filters and sort orders."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.cards_api import create_card, set_status, update_content
from tests.support.factories import custom_details
from tests.support.servers import GraphQLClient

LIST = """
query($filter: CardFilter, $sort: CardSort, $first: Int, $after: String) {
  cards(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { name status riskRating createdAt updatedAt } }
  }
}
"""

RATINGS = ["High", "Low", "Medium", "High", "Unknown", "Low", "High"]


@pytest.fixture(scope="module")
def catalogue(editor: GraphQLClient) -> dict[str, Any]:
    """Seven cards sharing a unique prefix, with mixed ratings, statuses and groups."""
    prefix = f"lst{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}-{i}" for i in range(7)]
    for i, name in enumerate(reversed(names)):  # created in reverse name order
        content: dict[str, Any] = {"intended_uses": {"risk_rating": RATINGS[6 - i]}}
        if i % 2 == 0:
            content["model_package_details"] = {"model_package_group_name": f"{prefix}-grp"}
        create_card(editor, name, content)
    set_status(editor, names[1], "PENDING_REVIEW")
    set_status(editor, names[2], "ARCHIVED")
    update_content(
        editor, names[6], {"intended_uses": {"risk_rating": "High"}, "business_details": {}}
    )
    return {"prefix": prefix, "names": names}


def _page(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    page: dict[str, Any] = client.data(LIST, variables)["cards"]
    return page


def _all_names(client: GraphQLClient, size: int, **variables: Any) -> list[str]:
    names: list[str] = []
    after = None
    while True:
        page = _page(client, first=size, after=after, **variables)
        names += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return names
        after = page["pageInfo"]["endCursor"]


def test_pages_through_every_card_in_name_order(
    reader: GraphQLClient, catalogue: dict[str, Any]
) -> None:
    only = {"nameContains": catalogue["prefix"].upper()}  # case-insensitive
    first = _page(reader, filter=only, first=3)
    assert first["totalCount"] == 7
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    assert _all_names(reader, 3, filter=only) == catalogue["names"]
    assert (
        _all_names(reader, 3, filter=only, sort={"field": "NAME", "direction": "DESC"})
        == (catalogue["names"][::-1])
    )


def test_sort_by_created_and_updated(reader: GraphQLClient, catalogue: dict[str, Any]) -> None:
    only = {"nameContains": catalogue["prefix"]}
    created = _all_names(reader, 2, filter=only, sort={"field": "CREATED"})
    assert created == catalogue["names"][::-1]
    updated = _all_names(reader, 2, filter=only, sort={"field": "UPDATED", "direction": "DESC"})
    assert updated[0] == catalogue["names"][6]  # changed last


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"riskRating": ["HIGH"]}, [0, 3, 6]),
        ({"riskRating": ["LOW", "UNKNOWN"]}, [1, 4, 5]),
        ({"status": ["PENDING_REVIEW"]}, [1]),
        ({"status": ["DRAFT"], "riskRating": ["HIGH"]}, [0, 3, 6]),
        ({"status": ["ARCHIVED", "PENDING_REVIEW"]}, [1, 2]),
    ],
)
def test_filters(
    reader: GraphQLClient, catalogue: dict[str, Any], extra: dict[str, Any], expected: list[int]
) -> None:
    card_filter = {"nameContains": catalogue["prefix"], **extra}
    page = _page(reader, filter=card_filter, first=100)
    assert [e["node"]["name"] for e in page["edges"]] == [catalogue["names"][i] for i in expected]
    assert page["totalCount"] == len(expected)


def test_filter_by_model_package_group(reader: GraphQLClient, catalogue: dict[str, Any]) -> None:
    group = f"{catalogue['prefix']}-grp"
    page = _page(reader, filter={"modelPackageGroup": group}, first=100)
    # Cards created at even positions of the reversed order: names 6, 4, 2, 0.
    names = [catalogue["names"][i] for i in (0, 2, 4)]
    assert [e["node"]["name"] for e in page["edges"]] == names  # 6 lost it in its update


def test_filter_by_creation_time(reader: GraphQLClient, catalogue: dict[str, Any]) -> None:
    only = {"nameContains": catalogue["prefix"]}
    nodes = [
        e["node"] for e in _page(reader, filter=only, first=100, sort={"field": "CREATED"})["edges"]
    ]
    middle = datetime.fromisoformat(nodes[3]["createdAt"])
    after = _page(reader, first=100, filter={**only, "createdAfter": middle.isoformat()})
    before = _page(
        reader,
        first=100,
        filter={**only, "createdBefore": (middle + timedelta(milliseconds=1)).isoformat()},
    )
    assert after["totalCount"] == 3
    assert before["totalCount"] == 4


@pytest.mark.parametrize("first", [-1, 101])
def test_page_size_is_capped(reader: GraphQLClient, first: int) -> None:
    error = reader.error(LIST, {"first": first})
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "between 0 and 100" in error["message"]


def test_foreign_cursors_are_bad_requests(reader: GraphQLClient, catalogue: dict[str, Any]) -> None:
    page = _page(reader, filter={"nameContains": catalogue["prefix"]}, first=1)
    cursor = page["pageInfo"]["endCursor"]
    wrong_sort = reader.error(LIST, {"first": 1, "after": cursor, "sort": {"field": "CREATED"}})
    assert wrong_sort["extensions"]["code"] == "BAD_REQUEST"
    garbage = reader.error(LIST, {"first": 1, "after": "!!not-a-cursor"})
    assert garbage["extensions"]["code"] == "BAD_REQUEST"


def test_versions_are_paginated(editor: GraphQLClient, card_name: str) -> None:
    create_card(editor, card_name, {})
    for i in range(4):
        update_content(editor, card_name, custom_details(i=str(i)))
    query = """query($name: String!, $after: String) { card(name: $name) {
      versions(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
        edges { node { number } } } } }"""
    numbers, after = [], None
    while True:
        versions = editor.data(query, {"name": card_name, "after": after})["card"]["versions"]
        assert versions["totalCount"] == 5
        numbers += [e["node"]["number"] for e in versions["edges"]]
        if not versions["pageInfo"]["hasNextPage"]:
            break
        after = versions["pageInfo"]["endCursor"]
    assert numbers == [1, 2, 3, 4, 5]
    one = editor.data(
        "query($name: String!) { card(name: $name) { version(number: 3) { number }"
        " missing: version(number: 9) { number } } }",
        {"name": card_name},
    )
    assert one["card"] == {"version": {"number": 3}, "missing": None}

"""Cost limits, attacked from outside: fields before validation, cost, variables, response bytes.

Every refusal is coded (COST_LIMIT, RESPONSE_TOO_LARGE), carries no partial data and comes
with an HTTP status of its own; the same limits hold for operations sent over a WebSocket.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card
from tests.support.factories import custom_details
from tests.support.servers import GraphQLClient, running_api
from tests.support.ws_client import graphql_socket

CONTENT_JSON = "edges { node { latestVersion { contentJson } } }"
AMPLIFICATION = (
    "{ " + " ".join(f"a{i}: cards(first: 100) {{ {CONTENT_JSON} }}" for i in range(20)) + " }"
)
# A fragment of 15 fields, spread under 20 aliases: 320 fields once expanded (cap: 250).
CARD_FIELDS = """fragment CardFields on Card { name arn status riskRating createdAt createdBy
  updatedAt kmsKeyId latestVersion { number status contentSha256 chainSha256 createdAt
  createdBy } }"""
LISTING = """query($first: Int) { cards(first: $first) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { name arn status riskRating createdAt updatedAt createdBy
    latestVersion { number status createdAt createdBy contentSha256 chainSha256 } } } } }"""


def _refusal(response: httpx.Response, code: str, status: int) -> dict[str, Any]:
    """The coded error of a refused operation: its status, no data at all."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body.get("data") is None, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    return error


def test_the_amplification_query_is_refused_before_it_runs(reader: GraphQLClient) -> None:
    error = _refusal(reader.post(AMPLIFICATION), "COST_LIMIT", 400)
    assert "cost" in error["message"]
    assert error["extensions"]["cost"] > error["extensions"]["maxCost"]


def test_page_sizes_multiply_along_each_path_variables_included(reader: GraphQLClient) -> None:
    nested = """query($outer: Int, $inner: Int) { cards(first: $outer) { edges { node {
      versions(first: $inner) { edges { node { number contentSha256 } } } } } } }"""
    _refusal(reader.post(nested, {"outer": 100, "inner": 100}), "COST_LIMIT", 400)
    assert "cards" in reader.data(nested, {"outer": 5, "inner": 5})
    # Without `first`, a connection is costed at the default page size (20): 20 x 20 fits.
    assert "cards" in reader.data(nested)


def test_legitimate_listings_and_reads_pass(
    reader: GraphQLClient, editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, {"model_overview": {"model_name": "m"}})
    data = reader.data(LISTING, {"first": 100})
    assert data["cards"]["totalCount"] >= 1
    read = reader.data(
        "query($n: String!) { card(name: $n) { latestVersion { contentJson } } }",
        {"n": card_name},
    )
    assert read["card"]["latestVersion"]["contentJson"] == {"model_overview": {"model_name": "m"}}


def test_500_repeated_fields_are_refused_before_validation(reader: GraphQLClient) -> None:
    # Validation would name the unknown field; the count runs first and refuses the size.
    fields = " ".join(["nonsense"] * 500)
    error = _refusal(reader.post(f"{{ viewer {{ {fields} }} }}"), "COST_LIMIT", 400)
    assert "501 fields" in error["message"]  # viewer and its 500
    assert reader.error("{ viewer { nonsense } }")["extensions"]["code"] == "BAD_REQUEST"


def test_one_field_repeated_in_a_selection_set_is_refused(reader: GraphQLClient) -> None:
    error = _refusal(reader.post("{ viewer { name name name name } }"), "COST_LIMIT", 400)
    assert "`name` is selected 4 times" in error["message"]
    # Fragments are flattened into the set they are spread in, as validation sees them.
    spread = "{ viewer { name ...A ...A ...A } } fragment A on Viewer { name }"
    _refusal(reader.post(spread), "COST_LIMIT", 400)
    assert reader.data("{ viewer { name ...A } } fragment A on Viewer { name role }")


def test_fragments_count_wherever_they_are_spread(reader: GraphQLClient) -> None:
    once = '{ a: card(name: "x") { ...CardFields } } ' + CARD_FIELDS
    assert reader.data(once) == {"a": None}
    aliases = " ".join(f'a{i}: card(name: "x") {{ ...CardFields }}' for i in range(20))
    error = _refusal(reader.post(f"{{ {aliases} }} {CARD_FIELDS}"), "COST_LIMIT", 400)
    assert "320 fields" in error["message"]


def test_exponential_and_cyclic_fragments_are_answered_at_once(reader: GraphQLClient) -> None:
    chain = " ".join(f"fragment F{i} on Viewer {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    exponential = f"{{ viewer {{ ...F0 }} }} {chain} fragment F40 on Viewer {{ name }}"
    _refusal(reader.post(exponential), "COST_LIMIT", 400)
    cyclic = "{ viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }"
    assert reader.error(cyclic)["extensions"]["code"] == "BAD_REQUEST"
    deep = " ".join(f"fragment F{i} on Viewer {{ ...F{i + 1} }}" for i in range(100))
    document = f"{{ viewer {{ ...F0 }} }} {deep} fragment F100 on Viewer {{ name }}"
    error = _refusal(reader.post(document), "COST_LIMIT", 400)
    assert "nest more than" in error["message"]


def test_typed_variable_values_are_capped_json_values_are_not(
    reader: GraphQLClient, settings: Settings
) -> None:
    query = "query($s: [CardStatus!]) { cards(first: 1, filter: {status: $s}) { totalCount } }"
    many = ["DRAFT"] * settings.graphql_max_typed_values
    error = _refusal(reader.post(query, {"s": many}), "COST_LIMIT", 400)
    assert "contentJson" in error["message"]
    assert "cards" in reader.data(query, {"s": ["DRAFT", "APPROVED"]})


def test_typed_content_past_the_value_budget_is_refused_contentjson_is_not(
    editor: GraphQLClient, reader: GraphQLClient, card_name: str, settings: Settings
) -> None:
    points = [[0, 1]] * (settings.graphql_max_typed_values // 2)
    metric = {"name": "roc", "type": "linear_graph", "value": points}
    content = {
        "evaluation_details": [
            {"name": "e", "metric_groups": [{"name": "g", "metric_data": [metric]}]}
        ]
    }
    create_card(editor, card_name, content)
    typed = """query($n: String!) { card(name: $n) { latestVersion { content {
      evaluationDetails { metricGroups { metricData { ... on LinearGraphMetric { points } } } } }
    } } }"""
    body = reader.execute(typed, {"n": card_name})
    assert body["errors"][0]["extensions"]["code"] == "COST_LIMIT", body
    assert "contentJson" in body["errors"][0]["message"]
    raw = reader.data(
        "query($n: String!) { card(name: $n) { latestVersion { contentJson } } }",
        {"n": card_name},
    )
    assert raw["card"]["latestVersion"]["contentJson"] == content


def test_the_same_limits_hold_over_a_websocket(api_url: str, keys: dict[Role, str]) -> None:
    with graphql_socket(api_url, keys[Role.READER]) as socket:
        costly = socket.collect(socket.subscribe(AMPLIFICATION))
        assert costly[0][0]["extensions"]["code"] == "COST_LIMIT", costly
        fields = " ".join(["id"] * 300)
        subscription = f'subscription {{ jobProgress(id: "x") {{ {fields} }} }}'
        refused = socket.collect(socket.subscribe(subscription))
        assert refused[0][0]["extensions"]["code"] == "COST_LIMIT", refused
        fine = socket.collect(socket.subscribe("{ viewer { name } }"))
        assert fine[0]["data"]["viewer"]["name"] == "test-reader"


@pytest.fixture(scope="module")
def small_cap_api(settings: Settings) -> Iterator[str]:
    """An API on the same database whose responses may hold 2 KiB at most."""
    with running_api(
        settings.model_copy(update={"graphql_max_response_bytes": 2048, "port": 0})
    ) as url:
        yield url


def test_a_response_over_the_cap_is_replaced_by_a_coded_error(
    small_cap_api: str, keys: dict[Role, str], editor: GraphQLClient, card_name: str
) -> None:
    details = {f"k{i}": "d" * 900 for i in range(3)}
    create_card(editor, card_name, custom_details(**details))
    client = GraphQLClient(small_cap_api, keys[Role.READER])
    try:
        read = "query($n: String!) { card(name: $n) { latestVersion { contentJson } } }"
        error = _refusal(client.post(read, {"n": card_name}), "RESPONSE_TOO_LARGE", 400)
        assert error["extensions"]["maxBytes"] == 2048
        assert "d" * 100 not in str(error)
        assert client.data("{ viewer { name } }") == {"viewer": {"name": "test-reader"}}
    finally:
        client.close()
    with graphql_socket(small_cap_api, keys[Role.READER]) as socket:
        results = socket.collect(socket.subscribe(read, {"n": card_name}))
        assert results[0]["data"] is None, results
        assert results[0]["errors"][0]["extensions"]["code"] == "RESPONSE_TOO_LARGE"

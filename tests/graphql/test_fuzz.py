"""Fuzzing with hypothesis: the only outcomes are success or a coded error — no 5xx, no
INTERNAL or UNAVAILABLE, no trace, no partial write — for every argument of every root field
(found by introspection) over every transport. Runs are reproducible (derandomized); the last
test prints how many inputs ran."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from graphql.language import Lexer, Source, TokenKind
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardgraph.cards.content import validate_content
from cardgraph.cards.sagemaker_schema import CARD_CONTENT
from cardgraph.errors import ValidationFailedError
from cardgraph.hashing import canonical_json
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import UPDATE_CONTENT, create_card
from tests.support.fuzz_api import FuzzApi, fuzz_api
from tests.support.fuzz_schema import Call, calls, document
from tests.support.fuzz_transports import FuzzSocket, check_http, send_http
from tests.support.fuzz_values import finite_json, from_schema, json_values
from tests.support.servers import GraphQLClient

# The API under test runs in this process, and uvicorn and websockets draw the payloads of
# their keep-alive pings from the global `random` module on their own threads: hypothesis sees
# the state change during a draw and blames the strategies, which never touch `random`.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)

# Server-side inputs (sent to the API) and pure ones (the content rules alone), by test.
RAN: dict[str, int] = {}
PURE = {"arbitrary content", "schema-shaped content"}
MIN_SERVER_INPUTS = 10_000


def _ran(kind: str, count: int = 1) -> None:
    RAN[kind] = RAN.get(kind, 0) + count


def fuzz(examples: int) -> Any:
    """Hypothesis settings of this file: reproducible, no deadline, no example database."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


def _check(content: Any) -> None:
    try:
        normalised = validate_content(content)
    except ValidationFailedError as error:
        problems = error.fields
    else:
        problems = None
    if problems is not None:
        assert problems
        assert all(p.path.startswith("$") and p.reason for p in problems)
        return
    assert len(canonical_json(normalised)) <= 100_000
    assert validate_content(normalised) == normalised  # stable once accepted


@fuzz(1500)
@given(json_values)
def test_arbitrary_json_is_accepted_or_rejected_with_paths(content: Any) -> None:
    _ran("arbitrary content")
    _check(content)


@fuzz(1000)
@given(from_schema(CARD_CONTENT))
def test_schema_shaped_content_is_accepted_or_rejected_with_paths(content: Any) -> None:
    _ran("schema-shaped content")
    _check(content)


documents = st.text(max_size=120) | st.builds(
    lambda a, b: f"{{ {a} {{ {b} }} }}", st.text(max_size=20), st.text(max_size=20)
)


@fuzz(1500)
@given(query=documents, variables=finite_json)
def test_malformed_documents_and_variables(
    reader: GraphQLClient, query: str, variables: Any
) -> None:
    _ran("GraphQL documents")
    check_http(reader.http.post("/graphql", json={"query": query, "variables": variables}), query)


@fuzz(1500)
@given(raw=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_malformed_json_bodies(reader: GraphQLClient, raw: bytes) -> None:
    _ran("request bodies")
    response = reader.http.post(
        "/graphql", content=raw, headers={"Content-Type": "application/json"}
    )
    check_http(response, raw)


FUZZED_CARD = "fuzzed-card"
LATEST = """query($name: String!) {
  card(name: $name) { latestVersion { number } versions { totalCount } }
}"""


@pytest.fixture(scope="module")
def fuzzed_card(editor: GraphQLClient) -> dict[str, int]:
    """The card the update test changes, with its latest version number."""
    card = editor.data(LATEST, {"name": FUZZED_CARD})["card"]
    if card is None:
        return {"latest": create_card(editor, FUZZED_CARD, {})["number"]}
    return {"latest": card["latestVersion"]["number"]}


@fuzz(400)
@given(content=from_schema(CARD_CONTENT) | finite_json)
def test_updates_either_make_one_version_or_change_nothing(
    editor: GraphQLClient, fuzzed_card: dict[str, int], content: Any
) -> None:
    _ran("card updates")
    response = editor.post(UPDATE_CONTENT, {"input": {"name": FUZZED_CARD, "contentJson": content}})
    check_http(response, content)
    body = response.json()
    if body.get("errors"):  # no partial write: no version document, no summary moved on
        card = editor.data(LATEST, {"name": FUZZED_CARD})["card"]
        assert card["latestVersion"]["number"] == fuzzed_card["latest"]
        assert card["versions"]["totalCount"] == fuzzed_card["latest"]
    else:
        number = body["data"]["updateCardContent"]["number"]
        assert number in (fuzzed_card["latest"], fuzzed_card["latest"] + 1)
        fuzzed_card["latest"] = number


# --- every argument of every root field, found by introspection -----------------------------


@pytest.fixture(scope="module")
def fuzzed_api(settings: Settings) -> Iterator[FuzzApi]:
    """An API of its own (database and broker), so fuzzed mutations touch no other test."""
    with fuzz_api(settings) as started:
        yield started


@pytest.fixture(scope="module")
def sockets(fuzzed_api: FuzzApi) -> Iterator[dict[Role, FuzzSocket]]:
    """One graphql-transport-ws connection per role."""
    by_role = {role: FuzzSocket(fuzzed_api.url, key) for role, key in fuzzed_api.keys.items()}
    yield by_role
    for socket in by_role.values():
        socket.close()


roles = st.sampled_from([*Role, None])


def _fits(limits: Settings, query: str) -> bool:
    """Whether a document stays within the API's token, alias and field limits (with room)."""
    lexer, tokens = Lexer(Source(query)), 0
    while lexer.advance().kind is not TokenKind.EOF:
        tokens += 1
    names = query.count("{") + query.count(" ") // 3  # an over-estimate of fields
    return (
        tokens <= limits.graphql_max_tokens * 0.9
        and query.count(": ") - query.count("$") <= limits.graphql_max_aliases
        and names <= limits.graphql_max_fields * 0.8
    )


def _batch(api: FuzzApi, data: st.DataObject, operation: str, wrong: bool) -> list[Call]:
    """Root-field calls for one document: as many as fit under the document limits."""
    # A subscription has one root field; queries are cheap, so they come many to a request.
    most = {"subscription": 1, "query": 16}.get(operation, 8)
    drawn = data.draw(st.lists(calls(api.model, operation, wrong), min_size=1, max_size=most))
    batch = drawn[:1]
    for call in drawn[1:]:
        if not _fits(api.settings, document(api.model, operation, [*batch, call])[0]):
            break
        batch.append(call)
    if not wrong:
        api.called.update(call.field.name for call in batch)
    return batch


def _inputs(batch: list[Call]) -> int:
    return sum(1 + len(call.children) for call in batch)


def _send(api: FuzzApi, data: st.DataObject, operations: list[str], wrong: bool) -> None:
    """Draw calls, a role and an HTTP transport (POST, GET, multipart); send; check."""
    operation = data.draw(st.sampled_from(operations))
    batch = _batch(api, data, operation, wrong)
    query, variables = document(api.model, operation, batch)
    transport = data.draw(st.sampled_from(["post", "get", "multipart"]))
    _ran(f"{'wrong ' if wrong else ''}{operation} arguments ({transport})", _inputs(batch))
    response = send_http(api.clients[data.draw(roles)].http, transport, query, variables)
    check_http(response, (query, variables))


@fuzz(550)
@given(data=st.data())
def test_every_query_argument_over_http(fuzzed_api: FuzzApi, data: st.DataObject) -> None:
    _send(fuzzed_api, data, ["query"], wrong=False)


@fuzz(400)
@given(data=st.data())
def test_every_mutation_argument_over_http(fuzzed_api: FuzzApi, data: st.DataObject) -> None:
    _send(fuzzed_api, data, ["mutation"], wrong=False)


@fuzz(450)
@given(data=st.data())
def test_arguments_of_the_wrong_type_or_missing(fuzzed_api: FuzzApi, data: st.DataObject) -> None:
    # Subscriptions too: over HTTP they are refused whatever their arguments.
    _send(fuzzed_api, data, ["query", "mutation", "subscription"], wrong=True)


@fuzz(350)
@given(data=st.data())
def test_every_root_field_over_websocket(
    fuzzed_api: FuzzApi, sockets: dict[Role, FuzzSocket], data: st.DataObject
) -> None:
    operation = data.draw(st.sampled_from(["query", "mutation", "subscription"]))
    batch = _batch(fuzzed_api, data, operation, wrong=data.draw(st.booleans()))
    query, variables = document(fuzzed_api.model, operation, batch)
    _ran("WebSocket operations", _inputs(batch))
    socket = sockets[data.draw(st.sampled_from(list(Role)))]
    socket.run(query, variables, subscription=operation == "subscription")


def test_every_root_field_was_fuzzed(fuzzed_api: FuzzApi) -> None:
    assert len(fuzzed_api.model.roots) >= 25
    assert {f.name for f in fuzzed_api.model.roots} <= fuzzed_api.called


# Counts what the server tests sent: without them there is nothing to report.
@pytest.mark.servers
def test_report_how_many_inputs_ran() -> None:
    print("\nfuzzed inputs: " + ", ".join(f"{n} {k}" for k, n in RAN.items()))
    server = sum(n for k, n in RAN.items() if k not in PURE)
    print(f"{server} sent to the API, {sum(RAN.values()) - server} to the content rules alone")
    assert server >= MIN_SERVER_INPUTS

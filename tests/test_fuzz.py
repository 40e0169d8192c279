"""Fuzzing with hypothesis: the only outcomes are success or a coded error — no 500, no trace,
no partial write. Each test prints how many inputs it ran."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardgraph.cards.content import canonical_json, validate_content
from cardgraph.cards.schema import CARD_CONTENT, Arr, Bool, Map, Node, Num, Obj, Str, Tagged
from cardgraph.errors import ValidationFailedError
from tests.cards_api import UPDATE_CONTENT, create_card, get_card
from tests.servers import GraphQLClient

CODES = {
    "NOT_FOUND",
    "CONFLICT",
    "VALIDATION_FAILED",
    "ARCHIVED",
    "INVALID_TRANSITION",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "BAD_REQUEST",
    "POLICY_VIOLATION",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)
# What a JSON client can send (no NaN or infinity; raw bodies below try those too).
finite_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)


def from_schema(node: Node) -> st.SearchStrategy[Any]:
    """Content shaped like the schema, with values near and past every limit."""
    if isinstance(node, Str):
        if node.enum:
            return st.sampled_from(node.enum) | st.text(max_size=10)
        limit = node.max_len or 80
        return st.text(min_size=0, max_size=limit + 2)
    if isinstance(node, Num):
        return st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(node, Bool):
        return st.booleans()
    if isinstance(node, Arr):
        cap = (node.max_items or 3) + 1
        return st.lists(from_schema(node.item), max_size=min(cap, 22))
    if isinstance(node, Map):
        return st.dictionaries(st.text(max_size=8), from_schema(node.value), max_size=3)
    if isinstance(node, Tagged):
        return st.one_of([from_schema(v) for v in node.variants.values()])
    assert isinstance(node, Obj)
    optional = {k: from_schema(v) for k, v in node.fields.items() if k not in node.required}
    required = {k: from_schema(v) for k, v in node.fields.items() if k in node.required}
    return st.fixed_dictionaries(required, optional=optional) | st.dictionaries(
        st.sampled_from([*node.fields, "unknown"]), finite_json, max_size=3
    )


RAN: dict[str, int] = {}


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


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_is_accepted_or_rejected_with_paths(content: Any) -> None:
    RAN["arbitrary content"] = RAN.get("arbitrary content", 0) + 1
    _check(content)


@settings(
    max_examples=2500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(from_schema(CARD_CONTENT))
def test_schema_shaped_content_is_accepted_or_rejected_with_paths(content: Any) -> None:
    RAN["schema-shaped content"] = RAN.get("schema-shaped content", 0) + 1
    _check(content)


def _assert_coded(response: Any) -> None:
    assert response.status_code in (200, 400, 401, 413), response.text
    assert "Traceback" not in response.text
    body = response.json()
    for error in body.get("errors") or []:
        assert error["extensions"]["code"] in CODES, error


documents = st.text(max_size=120) | st.builds(
    lambda a, b: f"{{ {a} {{ {b} }} }}", st.text(max_size=20), st.text(max_size=20)
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=documents, variables=finite_json)
def test_malformed_documents_and_variables(
    reader: GraphQLClient, query: str, variables: Any
) -> None:
    RAN["GraphQL documents"] = RAN.get("GraphQL documents", 0) + 1
    body = {"query": query, "variables": variables}
    _assert_coded(reader.http.post("/graphql", json=body))


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_malformed_json_bodies(reader: GraphQLClient, raw: bytes) -> None:
    RAN["request bodies"] = RAN.get("request bodies", 0) + 1
    response = reader.http.post(
        "/graphql", content=raw, headers={"Content-Type": "application/json"}
    )
    _assert_coded(response)


FUZZED_CARD = "fuzzed-card"


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(content=from_schema(CARD_CONTENT) | finite_json)
def test_updates_either_make_one_version_or_change_nothing(
    editor: GraphQLClient, content: Any
) -> None:
    RAN["card updates"] = RAN.get("card updates", 0) + 1
    if get_card(editor, FUZZED_CARD) is None:
        create_card(editor, FUZZED_CARD, {})
    before = get_card(editor, FUZZED_CARD)
    assert before is not None
    response = editor.post(UPDATE_CONTENT, {"input": {"name": FUZZED_CARD, "contentJson": content}})
    _assert_coded(response)
    after = get_card(editor, FUZZED_CARD)
    assert after is not None
    grown = after["versions"]["totalCount"] - before["versions"]["totalCount"]
    if "errors" in response.json():
        assert grown == 0  # no partial write
    else:
        assert grown in (0, 1)


def test_report_how_many_inputs_ran() -> None:
    print("\nfuzzed inputs: " + ", ".join(f"{n} {k}" for k, n in RAN.items()))
    assert sum(RAN.values()) >= 1000

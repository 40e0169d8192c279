"""Operator objects, operator strings and wrong types in every argument (and every field of
every input object) of every field that takes one, found by introspection: each answer is a
success or a coded client error, never INTERNAL, a 5xx or a trace."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.cards_api import create_card
from tests.support.schema_walk import Schema, Step, document, named, type_sdl
from tests.support.servers import GraphQLClient

CLIENT_CODES = {
    "NOT_FOUND",
    "CONFLICT",
    "VALIDATION_FAILED",
    "POLICY_VIOLATION",
    "ARCHIVED",
    "INVALID_TRANSITION",
    "FORBIDDEN",
    "BAD_REQUEST",
}
ATTACKS: dict[str, Any] = {
    "a $gt object": {"$gt": ""},
    "a catastrophic $regex object": {"$regex": "^(a+)+$", "$options": "s"},
    "$in and $where": {"$in": ["x"], "$where": "sleep(100) || true"},
    "a list of operators": [{"$ne": None}],
    "the string $where": "$where",
    "an operator as a JSON string": '{"$gt": ""}',
    "an int": 12,
    "a float": 1.5,
    "a boolean": True,
}
# Scalars a call can be made with; the card name reaches every field a card has.
SCALARS = {
    "ID": "no-such-id",
    "Int": 1,
    "Float": 0.5,
    "Boolean": False,
    "DateTime": "2024-01-01T00:00:00+00:00",
    "JSON": {},
    "Upload": None,
}
KEYS = "{ apiKeys { id name revokedAt } }"
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { id } }"


def _slots(schema: Schema, ref: dict[str, Any], path: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The argument itself, then every field of its input objects, each type's fields once."""
    found = [path]
    seen: set[tuple[str, str]] = set()

    def visit(current: dict[str, Any], at: tuple[str, ...]) -> None:
        kind = schema.types[named(current)]
        for field in kind.get("inputFields") or []:
            if (kind["name"], field["name"]) in seen:
                continue
            seen.add((kind["name"], field["name"]))
            found.append((*at, field["name"]))
            visit(field["type"], (*at, field["name"]))

    visit(ref, path)
    return found


def _with(base: Any, path: tuple[str, ...], value: Any, schema: Schema, ref: dict[str, Any]) -> Any:
    """`base` with the value at `path` replaced (input objects along the way filled in)."""
    if not path:
        return value
    while ref["kind"] in ("NON_NULL", "LIST"):
        if ref["kind"] == "LIST":  # into the list's one item
            return [_with(base[0] if base else None, path, value, schema, ref["ofType"])]
        ref = ref["ofType"]
    fields = {f["name"]: f for f in schema.types[ref["name"]]["inputFields"]}
    current = dict(base or {})
    head, rest = path[0], path[1:]
    inner = fields[head]["type"]
    current[head] = _with(current.get(head, schema.baseline(inner)), rest, value, schema, inner)
    return current


Call = tuple[str, str, list[Step], Step, str]


def _calls(schema: Schema) -> list[Call]:
    """(label, root, path to the type, call, selection) for every attack on every slot."""
    calls: list[Call] = []
    for type_name, field, path in schema.fields_with_args():
        root = schema.mutation if type_name == schema.mutation else schema.query
        selection = schema.selection(field["type"])
        for arg in field["args"]:
            base = schema.step(field)
            baseline_value = schema.baseline(arg["type"])
            for slot in _slots(schema, arg["type"], ()):
                for label, value in ATTACKS.items():
                    args = dict(base.args)
                    replaced = _with(baseline_value, slot, value, schema, arg["type"])
                    args[arg["name"]] = (type_sdl(arg["type"]), replaced)
                    where = ".".join((type_name, field["name"], arg["name"], *slot))
                    call = Step(field["name"], args)
                    calls.append((f"{where} = {label}", root, path, call, selection))
    return calls


@pytest.fixture
def walk_card(admin: GraphQLClient) -> str:
    """A card every String argument names, so calls reach past the card lookup."""
    name = f"inj-{uuid.uuid4().hex[:10]}"
    create_card(admin, name, {})
    return name


def test_operators_and_wrong_types_in_every_argument_are_client_errors(
    admin: GraphQLClient, walk_card: str
) -> None:
    schema = Schema(admin, {**SCALARS, "String": walk_card})
    keys_before = {key["id"] for key in admin.data(KEYS)["apiKeys"]}
    calls = _calls(schema)
    assert len({label.split(" = ")[0].split(".")[1] for label, *_ in calls}) >= 20
    failures: dict[str, Any] = {}
    unreached: list[str] = []
    try:
        for label, root, path, call, selection in calls:
            text, variables = document(schema, root, path, call, selection)
            response = admin.post(text, variables)
            body = response.json() if response.status_code < 500 else None
            errors = (body or {}).get("errors") or []
            codes = [(e.get("extensions") or {}).get("code") for e in errors]
            if body is None or "Traceback" in response.text or not set(codes) <= CLIENT_CODES:
                failures[label] = (response.status_code, errors)
            elif path and not errors and (body.get("data") or {}).get(path[0].field) is None:
                unreached.append(label)
    finally:  # keys named after an attack string are real credentials: revoke them
        for key in admin.data(KEYS)["apiKeys"]:
            if key["id"] not in keys_before and key["revokedAt"] is None:
                admin.data(REVOKE, {"id": key["id"]})
    print(f"\nargument injection: {len(calls)} calls over {len(schema.types)} types")
    assert not failures, sorted(failures)
    assert not unreached, unreached

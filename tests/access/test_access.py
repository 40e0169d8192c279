"""Every operation for every role, and what a missing, bad or revoked key gets."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cardgraph.principals import Role
from tests.support.cards_api import create_card, get_card, set_status
from tests.support.servers import GraphQLClient


@dataclass(frozen=True)
class Operation:
    """A GraphQL operation, the role it needs, and how to prepare for it."""

    name: str
    minimum: Role
    query: str
    variables: Callable[[GraphQLClient, str], dict[str, Any]]


def _card(status_path: list[str] | None = None) -> Callable[[GraphQLClient, str], dict[str, Any]]:
    def prepare(admin: GraphQLClient, name: str) -> dict[str, Any]:
        create_card(admin, name, {"business_details": {}})
        for status in status_path or []:
            set_status(admin, name, status)
        return {"name": name}

    return prepare


def _key(admin: GraphQLClient, name: str) -> dict[str, Any]:
    created = admin.data(
        "mutation($n: String!) { createApiKey(name: $n, role: READER) { apiKey { id } } }",
        {"n": name},
    )
    return {"id": created["createApiKey"]["apiKey"]["id"]}


OPERATIONS = [
    Operation("card", Role.READER, "query($name: String!) { card(name: $name) { name } }", _card()),
    Operation("cards", Role.READER, "{ cards(first: 1) { totalCount } }", lambda a, n: {}),
    Operation(
        "versions",
        Role.READER,
        "query($name: String!) { card(name: $name) { versions { totalCount } } }",
        _card(),
    ),
    Operation("viewer", Role.READER, "{ viewer { name role } }", lambda a, n: {}),
    Operation(
        "createCard",
        Role.EDITOR,
        "mutation($name: String!) { createCard(input: {name: $name}) { number } }",
        lambda a, n: {"name": n},
    ),
    Operation(
        "createCard APPROVED",
        Role.APPROVER,
        "mutation($name: String!) { createCard("
        "input: {name: $name, status: APPROVED}) { number } }",
        lambda a, n: {"name": n},
    ),
    Operation(
        "updateCardContent",
        Role.EDITOR,
        "mutation($name: String!) { updateCardContent("
        "input: {name: $name, contentJson: {}}) { number } }",
        _card(),
    ),
    Operation(
        "updateCard",
        Role.EDITOR,
        "mutation($name: String!) { updateCard(input: {name: $name, contentJson: {}}) { number } }",
        _card(),
    ),
    Operation(
        "setCardStatus PENDING_REVIEW",
        Role.EDITOR,
        "mutation($name: String!) { "
        "setCardStatus(input: {name: $name, status: PENDING_REVIEW}) { status } }",
        _card(),
    ),
    Operation(
        "setCardStatus APPROVED",
        Role.APPROVER,
        "mutation($name: String!) { "
        "setCardStatus(input: {name: $name, status: APPROVED}) { status } }",
        _card(["PENDING_REVIEW"]),
    ),
    Operation(
        "setCardStatus ARCHIVED",
        Role.EDITOR,
        "mutation($name: String!) { "
        "setCardStatus(input: {name: $name, status: ARCHIVED}) { status } }",
        _card(),
    ),
    Operation(
        "deleteCard", Role.ADMIN, "mutation($name: String!) { deleteCard(name: $name) }", _card()
    ),
    Operation("apiKeys", Role.ADMIN, "{ apiKeys { id name role } }", lambda a, n: {}),
    Operation(
        "createApiKey",
        Role.ADMIN,
        "mutation($name: String!) { createApiKey(name: $name, role: EDITOR) { secret } }",
        lambda a, n: {"name": n},
    ),
    Operation(
        "revokeApiKey",
        Role.ADMIN,
        "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
        _key,
    ),
]


@pytest.mark.parametrize("role", list(Role), ids=[r.name for r in Role])
@pytest.mark.parametrize("operation", OPERATIONS, ids=[o.name for o in OPERATIONS])
def test_operation_for_role(
    operation: Operation, role: Role, clients: dict[Role, GraphQLClient], admin: GraphQLClient
) -> None:
    name = f"acl-{uuid.uuid4().hex[:10]}"
    variables = operation.variables(admin, name)
    before = get_card(admin, name)
    body = clients[role].execute(operation.query, variables)
    if role >= operation.minimum:
        assert "errors" not in body, body
    else:
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert body["data"] is None
        assert get_card(admin, name) == before  # a refused write changes nothing


@pytest.mark.parametrize("operation", OPERATIONS, ids=[o.name for o in OPERATIONS])
def test_operation_without_key_is_unauthenticated(operation: Operation, api_url: str) -> None:
    response = httpx.post(
        f"{api_url}/graphql", json={"query": operation.query, "variables": {"name": "x", "id": "x"}}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Bearer cg_0000_secret", "Basic abc", "Bearer", "cg_x_y"]
)
def test_bad_keys_are_unauthenticated(api_url: str, header: str) -> None:
    response = httpx.post(
        f"{api_url}/graphql",
        json={"query": "{ viewer { name } }"},
        headers={"Authorization": header},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_key_lifecycle_secret_shown_once_stored_hashed_revocable(
    admin: GraphQLClient, api_url: str, db: Any
) -> None:
    created = admin.data(
        'mutation { createApiKey(name: "ci-bot", role: EDITOR) { '
        "secret apiKey { id name role revokedAt } } }"
    )["createApiKey"]
    secret, key_id = created["secret"], created["apiKey"]["id"]
    assert created["apiKey"]["role"] == "EDITOR"
    stored = db.api_keys.find_one({"_id": key_id})
    assert secret not in str(stored)
    assert secret.split("_", 2)[2] not in str(stored)
    listed = admin.data("{ apiKeys { id name } }")["apiKeys"]
    assert {"id": key_id, "name": "ci-bot"} in listed
    assert "secret" not in str(listed)

    bot = GraphQLClient(api_url, secret)
    try:
        assert bot.data("{ viewer { name role } }") == {
            "viewer": {"name": "ci-bot", "role": "EDITOR"}
        }
        revoked = admin.data(
            "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }", {"id": key_id}
        )
        assert revoked["revokeApiKey"]["revokedAt"] is not None
        response = bot.post("{ viewer { name } }")
        assert response.status_code == 401
        assert "revoked" in response.json()["errors"][0]["message"]
    finally:
        bot.close()
    missing = admin.error('mutation { revokeApiKey(id: "nope") { id } }')
    assert missing["extensions"]["code"] == "NOT_FOUND"

"""Cursors are opaque, signed and typed: forged, foreign, truncated or ill-typed cursors are
BAD_REQUEST on `after` for every connection of the schema, and real ones page through every
item exactly once, whichever API process signed them."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
import pytest
from pydantic import SecretStr, ValidationError

from cardgraph.cursor_secret import CursorSigning
from cardgraph.embedded import free_port
from cardgraph.pagination import JOBS, CursorCodec
from cardgraph.principals import Role
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client
from tests.support.cards_api import create_card, update_content
from tests.support.cursor_forgery import forgeries, payload, signed
from tests.support.jobs_api import EXPORT_PDF
from tests.support.schema_walk import Schema
from tests.support.servers import GraphQLClient, run_async, running_app

PAGE = "totalCount pageInfo { hasNextPage endCursor } edges { cursor node { key: %s } }"
ARGS = "first: $first, after: $after"
SIGNING_DOCUMENT = {"_id": "cursor_signing"}
SPEC = {"Containers": [{"Image": "123.dkr.ecr.us-east-1.amazonaws.com/xgb:1"}]}
CANCEL = "mutation($id: ID!) { cancelJob(id: $id) { state } }"
LINK = """mutation($n: String!, $a: String!) {
  linkModelPackage(name: $n, modelPackageArn: $a) { name } }"""


@dataclass(frozen=True)
class Listing:
    """One connection field over a fixed set of items: how to read a page of it."""

    document: str
    variables: dict[str, Any]
    path: tuple[str, ...]
    legacy: tuple[str, ...] = ()  # what the old decoder read before the sort key

    def send(self, client: GraphQLClient, first: int | None, after: str | None) -> Any:
        """The raw answer to one page request."""
        return client.execute(self.document, {**self.variables, "first": first, "after": after})

    def page(self, client: GraphQLClient, first: int | None, after: str | None) -> Any:
        """One page, which must succeed."""
        body = self.send(client, first, after)
        assert "errors" not in body, body
        found = body["data"]
        for name in self.path:
            found = found[name]
        return found


def _root(field: str, args: str, variables: str, key: str) -> str:
    return (
        f"query({variables}, $first: Int, $after: String) "
        f"{{ list: {field}({args}, {ARGS}) {{ {PAGE % key} }} }}"
    )


def _card_field(field: str, key: str) -> str:
    return (
        "query($n: String!, $first: Int, $after: String) "
        f"{{ card(name: $n) {{ list: {field}({ARGS}) {{ {PAGE % key} }} }} }}"
    )


@pytest.fixture(scope="module")
def world(admin: GraphQLClient, moto_url: str) -> dict[str, Listing]:
    """Five cards (one with five versions, one with three jobs, three linked to packages) and
    a listing of each connection field over them; cards in every order."""
    prefix = f"cur{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}-{letter}" for letter in "ecadb"]  # created out of name order
    for name in names:
        create_card(admin, name, {})
    for number in range(4):
        update_content(admin, names[0], {"model_overview": {"model_description": f"v{number}"}})
    update_content(admin, names[2], {"model_overview": {"model_description": "later"}})
    for _ in range(3):  # cancelled at once: a worker, if one runs, has nothing to render
        job = admin.data(EXPORT_PDF, {"name": names[4]})["exportCardPdf"]
        admin.data(CANCEL, {"id": job["id"]})
    sagemaker = boto3.client("sagemaker", endpoint_url=moto_url, region_name="us-east-1")
    group = f"{prefix}-group"
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    for name in names[1:4]:
        arn = sagemaker.create_model_package(
            ModelPackageGroupName=group, InferenceSpecification=SPEC
        )["ModelPackageArn"]
        admin.data(LINK, {"n": name, "a": arn})
    listings = {
        f"{field} {direction}": Listing(
            _root("cards", "filter: $f, sort: $s", "$f: CardFilter, $s: CardSort", "name"),
            {"f": {"nameContains": prefix}, "s": {"field": field, "direction": direction}},
            ("list",),
            ({"NAME": "name", "CREATED": "created_at", "UPDATED": "updated_at"}[field],),
        )
        for field in ("NAME", "CREATED", "UPDATED")
        for direction in ("ASC", "DESC")
    }
    jobs = _root("jobs", "filter: $f", "$f: JobFilter", "id")
    packages = _root("modelPackages", "groupName: $g", "$g: String", "arn")
    audit = _root("auditEvents", "card: $c", "$c: String", "eventSha256")
    return {
        "Query.cards": listings["NAME ASC"],
        **{f"cards {order}": listing for order, listing in listings.items()},
        "Query.jobs": Listing(jobs, {"f": {"cardName": names[4]}}, ("list",)),
        "Query.modelPackages": Listing(packages, {"g": group}, ("list",)),
        "Query.auditEvents": Listing(audit, {"c": names[0]}, ("list",)),
        "Card.versions": Listing(
            _card_field("versions", "number"), {"n": names[0]}, ("card", "list")
        ),
        "Card.jobs": Listing(_card_field("jobs", "id"), {"n": names[4]}, ("card", "list")),
    }


@pytest.fixture(scope="module")
def secret(db: Any, world: dict[str, Listing]) -> bytes:
    """The deployment's cursor secret as the API stored it (a random one if it stored none)."""
    stored = db["deployment_secrets"].find_one(SIGNING_DOCUMENT)
    return bytes(stored["secret"]) if stored else secrets.token_bytes(32)


CONNECTIONS = ["Query.cards", "Query.jobs", "Query.modelPackages", "Query.auditEvents"]
CONNECTIONS += ["Card.versions", "Card.jobs"]


def test_every_connection_field_is_listed_here(admin: GraphQLClient) -> None:
    schema = Schema(admin, {})
    taking_after = {
        f"{type_name}.{field['name']}"
        for type_name, found in schema.types.items()
        for field in found.get("fields") or []
        if any(arg["name"] == "after" for arg in field["args"])
    }
    assert taking_after == set(CONNECTIONS)


def _keys(page: Any) -> list[Any]:
    return [edge["node"]["key"] for edge in page["edges"]]


def _walk(client: GraphQLClient, listing: Listing, first: int) -> list[Any]:
    """Every item, `first` at a time, checking each page's own invariants."""
    found: list[Any] = []
    after = None
    while True:
        page = listing.page(client, first, after)
        assert len(page["edges"]) <= first
        end = page["pageInfo"]["endCursor"]
        assert end == (page["edges"][-1]["cursor"] if page["edges"] else None)
        found += _keys(page)
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = end


@pytest.mark.parametrize(
    "name",
    CONNECTIONS
    + [f"cards {f} {d}" for f in ("CREATED", "UPDATED") for d in ("ASC", "DESC")]
    + ["cards NAME DESC"],
)
def test_real_cursors_page_through_every_item_once(
    admin: GraphQLClient, world: dict[str, Listing], name: str
) -> None:
    listing = world[name]
    whole = listing.page(admin, 100, None)
    everything = _keys(whole)
    assert len(everything) >= 3
    assert whole["totalCount"] == len(everything) == len(set(map(json.dumps, everything)))
    assert whole["pageInfo"]["hasNextPage"] is False
    for first in (1, 2):
        assert _walk(admin, listing, first) == everything
    # The edges: no items asked for, and the cursor of the last item.
    empty = listing.page(admin, 0, None)
    assert empty["edges"] == []
    assert empty["pageInfo"] == {"hasNextPage": True, "endCursor": None}
    past_the_end = listing.page(admin, 2, whole["edges"][-1]["cursor"])
    assert past_the_end["edges"] == []
    assert past_the_end["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    assert listing.page(admin, 0, whole["edges"][0]["cursor"])["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("name", CONNECTIONS)
def test_forged_cursors_are_bad_requests_on_after(
    admin: GraphQLClient, world: dict[str, Listing], secret: bytes, name: str
) -> None:
    listing = world[name]
    before = listing.page(admin, 100, None)
    real = before["edges"][0]["cursor"]
    other = world["cards CREATED ASC" if name == "Query.cards" else "Query.cards"]
    foreign = other.page(admin, 1, None)["edges"][0]["cursor"]
    answers = {}
    for label, forged in forgeries(real, foreign, secret, listing.legacy).items():
        body = listing.send(admin, 2, forged)
        errors = body.get("errors") or [{}]
        answers[label] = (errors[0].get("extensions"), len(errors))
    # None: the forged cursor was executed and a page came back.
    not_refused = {
        label: extensions
        for label, (extensions, count) in answers.items()
        if count != 1 or extensions is None or extensions["code"] != "BAD_REQUEST"
    }
    assert not not_refused, not_refused
    for label, (extensions, _) in answers.items():
        assert [f["path"] for f in extensions.get("fields", [])] == ["after"], (label, extensions)
    assert listing.page(admin, 100, None) == before


def test_cursors_are_signed_with_the_deployment_secret(
    admin: GraphQLClient, db: Any, world: dict[str, Listing]
) -> None:
    stored = db["deployment_secrets"].find_one(SIGNING_DOCUMENT)
    assert stored is not None and len(stored["secret"]) >= 32
    for name in CONNECTIONS:
        cursor = world[name].page(admin, 1, None)["edges"][0]["cursor"]
        assert signed(bytes(stored["secret"]), payload(cursor)) == cursor, name


def test_every_api_process_reads_the_others_cursors(
    settings: Settings, admin: GraphQLClient, keys: dict[Role, str], world: dict[str, Listing]
) -> None:
    listing = world["cards UPDATED DESC"]
    first = listing.page(admin, 2, None)
    with running_app(settings.model_copy(update={"port": free_port()})) as (url, _):
        other = GraphQLClient(url, keys[Role.ADMIN])
        try:
            second = listing.page(other, 2, first["pageInfo"]["endCursor"])
            assert second == listing.page(admin, 2, first["pageInfo"]["endCursor"])
            assert listing.page(admin, 2, second["edges"][0]["cursor"])["edges"]
        finally:
            other.close()
    configured = secrets.token_urlsafe(32)
    update = {"port": free_port(), "cursor_secret": SecretStr(configured)}
    with running_app(settings.model_copy(update=update)) as (url, _):
        own = GraphQLClient(url, keys[Role.ADMIN])
        try:
            refused = own.error(
                listing.document,
                {**listing.variables, "first": 2, "after": first["pageInfo"]["endCursor"]},
            )
            assert refused["extensions"]["code"] == "BAD_REQUEST"
            cursor = listing.page(own, 2, None)["pageInfo"]["endCursor"]
            assert signed(configured.encode(), payload(cursor)) == cursor
        finally:
            own.close()
    assert listing.send(admin, 2, cursor)["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_processes_starting_together_agree_on_one_secret(settings: Settings) -> None:
    async def scenario() -> set[bytes]:
        client = create_async_client(settings)
        try:
            stored = client[settings.mongodb_database][f"cursor_race_{uuid.uuid4().hex}"]
            signings = [CursorSigning(None, stored) for _ in range(8)]
            codecs = await asyncio.gather(*(s.codec() for s in signings))
            found = await stored.find_one(SIGNING_DOCUMENT)
            await stored.drop()
        finally:
            await client.close()
        assert found is not None
        key = (datetime.fromisoformat("2024-01-01T00:00:00+00:00"), "x")
        return {c.encode(JOBS, key).encode() for c in codecs} | {
            CursorCodec(found["secret"]).encode(JOBS, key).encode()
        }

    assert len(run_async(scenario())) == 1


def test_the_secret_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    configured = "s" * 40
    monkeypatch.setenv("CARDGRAPH_CURSOR_SECRET", configured)
    loaded = Settings()
    assert loaded.cursor_secret is not None
    assert loaded.cursor_secret.get_secret_value() == configured
    assert configured not in repr(loaded)
    assert loaded.as_environment()["CARDGRAPH_CURSOR_SECRET"] == configured  # children sign alike
    monkeypatch.setenv("CARDGRAPH_CURSOR_SECRET", "too-short")
    with pytest.raises(ValidationError):
        Settings()

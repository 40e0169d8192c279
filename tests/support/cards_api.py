"""GraphQL documents and helpers for card tests."""

from __future__ import annotations

import hashlib
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import jcs

from tests.support.factories import custom_details
from tests.support.servers import GraphQLClient

VERSION_FIELDS = """
  number cardId status contentJson contentSha256 chainSha256 previousSha256 createdAt createdBy
  source jobId statusHistory { fromStatus toStatus changedBy changedAt sha256 }
"""

CREATE = f"""
mutation($input: CreateCardInput!) {{ createCard(input: $input) {{ {VERSION_FIELDS} }} }}
"""
UPDATE_CONTENT = f"""
mutation($input: UpdateCardContentInput!) {{
  updateCardContent(input: $input) {{ {VERSION_FIELDS} }}
}}
"""
SET_STATUS = f"""
mutation($input: SetCardStatusInput!) {{ setCardStatus(input: $input) {{ {VERSION_FIELDS} }} }}
"""
UPDATE_CARD = f"""
mutation($input: UpdateCardInput!) {{ updateCard(input: $input) {{ {VERSION_FIELDS} }} }}
"""
DELETE = "mutation($name: String!) { deleteCard(name: $name) }"
CARD = f"""
query($name: String!) {{
  card(name: $name) {{
    name arn status riskRating createdAt updatedAt createdBy
    latestVersion {{ {VERSION_FIELDS} }}
    versions(first: 100) {{ totalCount edges {{ node {{ {VERSION_FIELDS} }} }} }}
  }}
}}
"""


def create_card(
    client: GraphQLClient, name: str, content: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """Create a card with JSON content; return version 1."""
    data = client.data(CREATE, {"input": {"name": name, "contentJson": content or {}, **extra}})
    version: dict[str, Any] = data["createCard"]
    return version


def update_content(
    client: GraphQLClient, name: str, content: dict[str, Any], expected: int | None = None
) -> dict[str, Any]:
    """Change a card's content; return the resulting version."""
    variables = {"input": {"name": name, "contentJson": content, "expectedVersion": expected}}
    version: dict[str, Any] = client.data(UPDATE_CONTENT, variables)["updateCardContent"]
    return version


def set_status(client: GraphQLClient, name: str, status: str) -> dict[str, Any]:
    """Change a card's status; return the latest version."""
    version: dict[str, Any] = client.data(SET_STATUS, {"input": {"name": name, "status": status}})[
        "setCardStatus"
    ]
    return version


def get_card(client: GraphQLClient, name: str) -> dict[str, Any] | None:
    """The card with all its versions."""
    card: dict[str, Any] | None = client.data(CARD, {"name": name})["card"]
    return card


def canonical_sha256(content: Any) -> str:
    """SHA-256 of RFC 8785 JSON, computed independently of the service (with the JCS
    implementation of the RFC's author, not the library the service uses)."""
    return hashlib.sha256(jcs.canonicalize(content)).hexdigest()


def hashed_instant(value: str) -> str:
    """An API DateTime as the ledger records hash it: UTC, milliseconds, `Z`."""
    at = datetime.fromisoformat(value).astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def expected_chain(versions: list[dict[str, Any]]) -> list[str]:
    """The chain hashes a list of versions (oldest first, with VERSION_FIELDS) must carry,
    recomputed from what the API shows, as README's trust model says anyone can."""
    chain, previous = [], "0" * 64
    for version in versions:
        record = {
            "kind": "version",
            "card": version["cardId"],
            "number": version["number"],
            "previous": previous,
            "contentSha256": canonical_sha256(version["contentJson"]),
            "createdAt": hashed_instant(version["createdAt"]),
            "createdBy": version["createdBy"],
            "source": version["source"].lower().replace("_", "-"),
            "job": version["jobId"],
            "status": version["statusHistory"][0]["toStatus"],
        }
        previous = canonical_sha256(record)
        chain.append(previous)
    return chain


ALL_VERSIONS = """query($n: String!, $after: String) { card(name: $n) {
  versions(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
    edges { node { number cardId contentJson contentSha256 chainSha256 previousSha256
      createdAt createdBy source jobId statusHistory { toStatus } } } } } }"""


def write_updates(api_url: str, key: str, name: str, writer: int, updates: int) -> list[str]:
    """Make `updates` changes; odd writers pass expectedVersion and retry after a CONFLICT."""
    client = GraphQLClient(api_url, key)
    outcomes = []
    try:
        for update in range(updates):
            content = custom_details(writer=str(writer), update=str(update))
            while True:
                expected = None
                if writer % 2:
                    data = client.data(
                        "query($n: String!) { card(name: $n) { latestVersion { number } } }",
                        {"n": name},
                    )
                    expected = data["card"]["latestVersion"]["number"]
                body = client.execute(
                    UPDATE_CONTENT,
                    {"input": {"name": name, "contentJson": content, "expectedVersion": expected}},
                )
                outcome = body["errors"][0]["extensions"]["code"] if "errors" in body else "OK"
                outcomes.append(outcome)
                if outcome != "CONFLICT":
                    break
                time.sleep(random.uniform(0, 0.05))  # a polite client backs off, then retries
    finally:
        client.close()
    return outcomes


def all_versions(client: GraphQLClient, name: str) -> list[dict[str, Any]]:
    """Every version of a card, oldest first, page by page."""
    versions: list[dict[str, Any]] = []
    after = None
    while True:
        page = client.data(ALL_VERSIONS, {"n": name, "after": after})["card"]["versions"]
        versions += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return versions
        after = page["pageInfo"]["endCursor"]


def write_concurrently(urls: list[str], key: str, name: str, updates: int) -> list[list[str]]:
    """Writer `w` makes `updates` changes through `urls[w]`, all writers at once."""
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(
            pool.map(lambda w: write_updates(urls[w], key, name, w, updates), range(len(urls)))
        )


def check_concurrent_writes(
    client: GraphQLClient, name: str, results: list[list[str]], updates: int
) -> None:
    """Every change of `write_concurrently` made exactly one version, in one unbroken chain,
    with one audit event each, and the card verifies."""
    blind = [o for w, r in enumerate(results) if w % 2 == 0 for o in r]
    careful = [o for w, r in enumerate(results) if w % 2 for o in r]
    assert set(blind) == {"OK"}  # no expectedVersion: never an error
    assert set(careful) <= {"OK", "CONFLICT"}  # stale expectedVersion: only CONFLICT
    written = blind.count("OK") + careful.count("OK")
    assert written == len(results) * updates  # careful writers retry until theirs goes in
    versions = all_versions(client, name)
    assert [v["number"] for v in versions] == list(range(1, written + 2))
    assert [v["chainSha256"] for v in versions] == expected_chain(versions)
    verified = client.data(
        """query($n: String!) { verifyCard(name: $n) {
          valid versionsChecked auditEventsChecked firstInvalidAuditEvent } }""",
        {"n": name},
    )["verifyCard"]
    assert verified == {
        "valid": True,
        "versionsChecked": written + 1,
        "auditEventsChecked": written + 1,  # createCard, then one event per version
        "firstInvalidAuditEvent": None,
    }


PROVENANCE = """query($n: String!, $v: Int!) { card(name: $n) { version(number: $v) { provenance {
  section setInVersion source by at jobId sagemakerArn describedAt s3Uri etag sha256
  modelPackageArn copiedFrom recorded } } } }"""


def version_provenance(client: GraphQLClient, name: str, number: int) -> list[dict[str, Any]]:
    """The provenance of each section of one version."""
    version = client.data(PROVENANCE, {"n": name, "v": number})["card"]["version"]
    entries: list[dict[str, Any]] = version["provenance"]
    return entries

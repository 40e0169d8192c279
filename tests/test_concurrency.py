"""Twenty concurrent writers of one card: no lost, duplicated or out-of-chain version."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cardgraph.access.models import Role
from tests.cards_api import UPDATE_CONTENT, create_card, expected_chain
from tests.servers import GraphQLClient

WRITERS, UPDATES = 20, 25
VERSIONS = """query($n: String!, $after: String) { card(name: $n) {
  versions(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
    edges { node { number contentSha256 chainSha256 previousSha256 } } } } }"""


def _write(api_url: str, key: str, name: str, writer: int) -> list[str]:
    """Make UPDATES changes; odd writers pass expectedVersion and retry after a CONFLICT."""
    client = GraphQLClient(api_url, key)
    outcomes = []
    try:
        for update in range(UPDATES):
            content = {
                "additional_information": {
                    "custom_details": {"writer": str(writer), "update": str(update)}
                }
            }
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


def _versions(client: GraphQLClient, name: str) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = []
    after = None
    while True:
        page = client.data(VERSIONS, {"n": name, "after": after})["card"]["versions"]
        versions += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return versions
        after = page["pageInfo"]["endCursor"]


def test_twenty_writers_times_twenty_five_updates(
    api_url: str, keys: dict[Role, str], editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, {})
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        results = list(
            pool.map(lambda w: _write(api_url, keys[Role.EDITOR], card_name, w), range(WRITERS))
        )
    blind = [o for w, r in enumerate(results) if w % 2 == 0 for o in r]
    careful = [o for w, r in enumerate(results) if w % 2 for o in r]
    assert set(blind) == {"OK"}  # no expectedVersion: never an error
    assert set(careful) <= {"OK", "CONFLICT"}  # stale expectedVersion: only CONFLICT
    written = blind.count("OK") + careful.count("OK")
    versions = _versions(editor, card_name)
    assert [v["number"] for v in versions] == list(range(1, written + 2))
    assert [v["chainSha256"] for v in versions] == expected_chain(versions)
    verified = editor.data(
        "query($n: String!) { verifyCard(name: $n) { valid versionsChecked } }", {"n": card_name}
    )["verifyCard"]
    assert verified == {"valid": True, "versionsChecked": written + 1}
    if not careful.count("CONFLICT"):
        assert len(versions) == WRITERS * UPDATES + 1  # 501

"""Twenty concurrent writers of one card: no lost, duplicated or out-of-chain version."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cardgraph.access.models import Role
from tests.cards_api import all_versions, create_card, expected_chain, write_updates
from tests.servers import GraphQLClient

WRITERS, UPDATES = 20, 25


def test_twenty_writers_times_twenty_five_updates(
    api_url: str, keys: dict[Role, str], editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, {})
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        results = list(
            pool.map(
                lambda w: write_updates(api_url, keys[Role.EDITOR], card_name, w, UPDATES),
                range(WRITERS),
            )
        )
    blind = [o for w, r in enumerate(results) if w % 2 == 0 for o in r]
    careful = [o for w, r in enumerate(results) if w % 2 for o in r]
    assert set(blind) == {"OK"}  # no expectedVersion: never an error
    assert set(careful) <= {"OK", "CONFLICT"}  # stale expectedVersion: only CONFLICT
    written = blind.count("OK") + careful.count("OK")
    versions = all_versions(editor, card_name)
    assert [v["number"] for v in versions] == list(range(1, written + 2))
    assert [v["chainSha256"] for v in versions] == expected_chain(versions)
    verified = editor.data(
        "query($n: String!) { verifyCard(name: $n) { valid versionsChecked } }", {"n": card_name}
    )["verifyCard"]
    assert verified == {"valid": True, "versionsChecked": written + 1}
    if not careful.count("CONFLICT"):
        assert len(versions) == WRITERS * UPDATES + 1  # 501

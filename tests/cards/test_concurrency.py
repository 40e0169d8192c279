"""Twenty concurrent writers of one card: no lost, duplicated or out-of-chain version."""

from __future__ import annotations

from cardgraph.principals import Role
from tests.support.cards_api import check_concurrent_writes, create_card, write_concurrently
from tests.support.servers import GraphQLClient

WRITERS, UPDATES = 20, 25


def test_twenty_writers_times_twenty_five_updates(
    api_url: str, keys: dict[Role, str], editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, {})
    results = write_concurrently([api_url] * WRITERS, keys[Role.EDITOR], card_name, UPDATES)
    check_concurrent_writes(editor, card_name, results, UPDATES)  # 501 versions

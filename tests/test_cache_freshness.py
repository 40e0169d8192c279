"""Version reads are cached per card revision; writes through one API process are visible
through another at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cardgraph.access.models import Role
from cardgraph.settings import Settings
from tests.cards_api import create_card, set_status, update_content
from tests.servers import GraphQLClient, running_api

READ = """query($n: String!) { card(name: $n) {
  latestVersion { number status contentJson }
  version(number: 1) { number status } } }"""


@pytest.fixture(scope="module")
def second_api(settings: Settings) -> Iterator[str]:
    """Another API process on the same database (its own caches)."""
    with running_api(settings.model_copy(update={"port": 0})) as url:
        yield url


def test_writes_through_one_process_are_read_at_once_through_another(
    editor: GraphQLClient,
    approver: GraphQLClient,
    second_api: str,
    keys: dict[Role, str],
    card_name: str,
) -> None:
    other = GraphQLClient(second_api, keys[Role.READER])
    try:
        create_card(editor, card_name, {"business_details": {"business_problem": "one"}})
        for _ in range(3):  # warm the other process's cache
            first = other.data(READ, {"n": card_name})["card"]
        assert first["latestVersion"]["number"] == 1
        update_content(editor, card_name, {"business_details": {"business_problem": "two"}})
        after_write = other.data(READ, {"n": card_name})["card"]
        assert after_write["latestVersion"]["number"] == 2
        assert after_write["latestVersion"]["contentJson"]["business_details"] == {
            "business_problem": "two"
        }
        set_status(editor, card_name, "PENDING_REVIEW")
        after_status = other.data(READ, {"n": card_name})["card"]
        assert after_status["latestVersion"]["status"] == "PENDING_REVIEW"
        assert after_status["version"] == {"number": 1, "status": "DRAFT"}
        set_status(approver, card_name, "DRAFT")
        assert other.data(READ, {"n": card_name})["card"]["latestVersion"]["status"] == "DRAFT"
    finally:
        other.close()

"""Every status change that reaches a version is audited, even one that lost a race.

Archiving while another process writes a new version used to archive the older version,
notice the newer one, archive that too — and audit only the second change. The race is
provoked on many cards at once through two API processes; afterwards each status change in
every version's history must have its audit event.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.cards_api import create_card
from tests.support.servers import GraphQLClient, running_api

CARDS = 24
HISTORY = """query($n: String!) { card(name: $n) { versions(first: 100) { edges { node {
  number statusHistory { toStatus } } } } } }"""
AUDIT = """query($n: String) { auditEvents(card: $n, first: 100) { edges { node {
  operation version details } } } }"""
ARCHIVE = """mutation($n: String!) { setCardStatus(input: {name: $n, status: ARCHIVED}) {
  number } }"""
UPDATE = """mutation($n: String!, $c: JSON!) { updateCardContent(input: {name: $n,
  contentJson: $c}) { number } }"""


@pytest.fixture(scope="module")
def second_api(settings: Settings) -> Iterator[str]:
    """Another API process on the same database and Redis."""
    with running_api(settings.model_copy(update={"port": 0})) as url:
        yield url


def test_each_status_change_has_its_audit_event(
    api_url: str, second_api: str, keys: dict[Role, str], card_name: str
) -> None:
    names = [f"{card_name}-{i}" for i in range(CARDS)]
    with (
        GraphQLClient(api_url, keys[Role.APPROVER]) as here,
        GraphQLClient(second_api, keys[Role.APPROVER]) as there,
    ):
        for name in names:
            create_card(here, name, {})

        def archive(name: str) -> None:
            here.execute(ARCHIVE, {"n": name})

        def update(name: str) -> None:
            # Refused once the card is archived; either outcome is fine, losing an event is not.
            there.execute(
                UPDATE, {"n": name, "c": {"business_details": {"business_problem": name}}}
            )

        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(f, n) for n in names for f in (archive, update)]
            for future in futures:
                future.result()
        for name in names:
            versions = here.data(HISTORY, {"n": name})["card"]["versions"]["edges"]
            changed = sorted(
                (v["node"]["number"], change["toStatus"])
                for v in versions
                for change in v["node"]["statusHistory"]
                if change["toStatus"] != "DRAFT"
            )
            events = here.data(AUDIT, {"n": name})["auditEvents"]["edges"]
            audited = sorted(
                (e["node"]["version"], e["node"]["details"]["to"])
                for e in events
                if e["node"]["operation"] == "setCardStatus"
            )
            assert changed == audited, name
            assert ("ARCHIVED") in {status for _, status in changed}, name

"""Every query the services send is served by an index: the commands are captured as sent and
explained by the database server itself."""

from __future__ import annotations

from typing import Any

from cardgraph.cards.models import CardFilter, CardSort, CardSortField, CardStatus
from cardgraph.jobs.models import JobFilter
from cardgraph.pagination import AUDIT_EVENTS, JOBS, VERSIONS, PageRequest
from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.monitoring import services_with_log
from tests.support.servers import run_async

# Sent with every command but not part of what is explained.
SESSION_FIELDS = {"lsid", "$db", "$clusterTime", "$readPreference", "txnNumber"}


def _stages(plan: dict[str, Any]) -> list[str]:
    """Every stage of a plan tree, outermost first."""
    found = [plan.get("stage", "")]
    for key in ("inputStage", "inputStages"):
        child = plan.get(key)
        for part in child if isinstance(child, list) else [child] if child else []:
            found.extend(_stages(part))
    return found


def test_every_query_of_reads_lists_and_writes_uses_an_index(
    settings: Settings, keys: dict[Role, str], card_name: str, db: Any
) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with services_with_log(settings) as (services, _):
            admin = await services.authenticator.authenticate(keys[Role.ADMIN])
            content = {"intended_uses": {"risk_rating": "High"}}
            await services.cards.create_card(card_name, content, admin)
            await services.cards.update_content(card_name, {**content, "model_overview": {}}, admin)
        # A process with cold caches: every read below reaches the database.
        async with services_with_log(settings) as (services, log):
            card = await services.cards.require_card(card_name)
            await services.cards.latest_version(card)
            await services.cards.version(card, 1)
            await services.cards.set_status(card_name, CardStatus.PENDING_REVIEW, admin)
            versions = await services.cards.versions(card, PageRequest(VERSIONS, 10))
            await versions.count()
            for card_filter, sort in (
                (CardFilter(), CardSort()),
                (CardFilter(risk_ratings=("High",)), CardSort()),
                (CardFilter(statuses=(CardStatus.DRAFT,)), CardSort(CardSortField.UPDATED, True)),
                (CardFilter(), CardSort(CardSortField.CREATED, True)),
            ):
                kind = services.cards.cursor_kind(sort)
                page = await services.cards.cards(card_filter, sort, PageRequest(kind, 1))
                await page.count()
                if page.items and card_filter == CardFilter():  # the next page, after a cursor
                    after = PageRequest(kind, 1, page.items[-1][1])
                    await services.cards.cards(card_filter, sort, after)
            await services.audit.page(admin, card_name, PageRequest(AUDIT_EVENTS, 20))
            await services.jobs.list_jobs(JobFilter(card_name=card_name), PageRequest(JOBS, 20))
            return [doc for doc in log.documents if "find" in doc]

    finds = run_async(scenario())
    collections = {doc["find"] for doc in finds}
    assert {"cards", "card_versions", "audit_events", "jobs"} <= collections
    for command in finds:
        explained = db.command(
            "explain",
            {k: v for k, v in command.items() if k not in SESSION_FIELDS},
            verbosity="queryPlanner",
        )
        stages = _stages(explained["queryPlanner"]["winningPlan"])
        assert "COLLSCAN" not in stages, (command, stages)

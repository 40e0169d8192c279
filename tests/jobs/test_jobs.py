"""Job queries and cancellation against a real worker."""

from __future__ import annotations

from typing import Any

import pytest
from celery import Celery

from cardgraph.jobs import names
from cardgraph.settings import Settings
from tests.graphql.test_subscriptions import _lost_job
from tests.support.cards_api import create_card
from tests.support.jobs_api import JOB, export_pdf, wait_for_job
from tests.support.servers import GraphQLClient

pytestmark = pytest.mark.usefixtures("worker")

CANCEL = "mutation($id: ID!) { cancelJob(id: $id) { state finishedAt } }"
JOBS = """query($filter: JobFilter, $first: Int, $after: String) {
  jobs(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id kind state cardName } } } }"""


def test_cancelled_job_is_never_run(
    editor: GraphQLClient, settings: Settings, db: Any, card_name: str
) -> None:
    create_card(editor, card_name, {})
    job_id = _lost_job(db, card_name)
    cancelled = editor.data(CANCEL, {"id": job_id})["cancelJob"]
    assert cancelled["state"] == "CANCELLED" and cancelled["finishedAt"]
    producer = Celery("test-producer", broker=settings.redis_url, set_as_current=False)
    try:  # a late delivery of its task changes nothing
        producer.send_task(names.EXPORT_CARD_PDF, args=[job_id], queue=names.RENDER_QUEUE)
    finally:
        producer.close()
    export_pdf(editor, card_name)  # a later job on the same queue: the stale one was consumed
    stored = db.jobs.find_one({"_id": job_id})
    assert (stored["state"], stored["attempts"]) == ("CANCELLED", 0)
    assert db.artifacts.count_documents({"job_id": job_id}) == 0


def test_cancelling_a_finished_job_changes_nothing(editor: GraphQLClient, card_name: str) -> None:
    create_card(editor, card_name, {})
    job = export_pdf(editor, card_name)
    assert editor.data(CANCEL, {"id": job["id"]})["cancelJob"]["state"] == "SUCCEEDED"
    assert editor.error(CANCEL, {"id": "nope"})["extensions"]["code"] == "NOT_FOUND"


def test_readers_cannot_cancel(
    reader: GraphQLClient, editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, {})
    job = export_pdf(editor, card_name)
    assert reader.error(CANCEL, {"id": job["id"]})["extensions"]["code"] == "FORBIDDEN"
    assert reader.data(JOB, {"id": job["id"]})["job"]["state"] == "SUCCEEDED"


def test_jobs_are_listed_newest_first_and_filtered(editor: GraphQLClient, card_name: str) -> None:
    create_card(editor, card_name, {})
    ids = [export_pdf(editor, card_name)["id"] for _ in range(3)]
    listed, after = [], None
    while True:
        page = editor.data(JOBS, {"filter": {"cardName": card_name}, "first": 2, "after": after})[
            "jobs"
        ]
        assert page["totalCount"] == 3
        listed += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert listed == ids[::-1]
    by_state = editor.data(JOBS, {"filter": {"cardName": card_name, "state": ["FAILED"]}})
    assert by_state["jobs"]["totalCount"] == 0
    by_kind = editor.data(JOBS, {"filter": {"cardName": card_name, "kind": ["EXPORT_CARDS"]}})
    assert by_kind["jobs"]["totalCount"] == 0


def test_a_failing_job_records_a_coded_error(
    editor: GraphQLClient, settings: Settings, db: Any, card_name: str
) -> None:
    job_id = _lost_job(db, card_name)  # an export of a card that does not exist
    producer = Celery("test-producer", broker=settings.redis_url, set_as_current=False)
    try:
        producer.send_task(names.EXPORT_CARD_PDF, args=[job_id], queue=names.RENDER_QUEUE)
    finally:
        producer.close()
    done = wait_for_job(editor, job_id)
    assert done["state"] == "FAILED"
    assert done["error"]["code"] == "NOT_FOUND"
    assert card_name in done["error"]["message"]

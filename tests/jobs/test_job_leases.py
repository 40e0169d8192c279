"""Job leases against the real database: heartbeat, takeover, fencing, giving up.

The runners here are `cardgraph`'s own, in this process; their broker is a Redis database no
worker reads, so a task the reconciler re-sends waits there and the test plays the worker.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from cardgraph.clock import utc_now_ms
from cardgraph.events.redis_connection import create_redis
from cardgraph.jobs.models import MAIN_SLOT, JobError, JobState, Lease
from cardgraph.jobs.reconciler import WORKER_LOST
from cardgraph.jobs.runner import JobCancelled, JobContext
from cardgraph.principals import Principal, Role
from cardgraph.services import Services, build_services
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client
from tests.support.servers import run_async

WAIT_S = 120.0


def _quiet(settings: Settings, **update: Any) -> Settings:
    """Settings whose broker database no worker consumes."""
    assert settings.redis_url is not None
    return settings.model_copy(
        update={"redis_url": settings.redis_url.rsplit("/", 1)[0] + "/5", **update}
    )


@asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[Services]:
    mongo = create_async_client(settings)
    redis = create_redis(settings)
    services = build_services(settings, mongo, redis)
    try:
        yield services
    finally:
        services.job_runner.keeper.close()
        if services.queue is not None:
            services.queue.close()
        await redis.aclose()
        await mongo.close()


def _queued_job(db: Any) -> str:
    """A QUEUED export job (what `exportCardPdf` stores before sending its task)."""
    job_id = uuid.uuid4().hex
    now = utc_now_ms()
    db.jobs.insert_one(
        {
            "_id": job_id,
            "kind": "EXPORT_CARD_PDF",
            "state": "QUEUED",
            "input": {"name": "nobody", "version": 1},
            "requested_by": "apikey:test-editor",
            "created_at": now,
            "updated_at": now,
            "sent_at": now,
            "card_name": None,
            "progress": 0.0,
            "message": "queued",
            "result": None,
            "error": None,
            "attempts": 0,
            "revision": 0,
            "parts": {},
            "leases": {},
        }
    )
    return job_id


def _lapse(db: Any, job_id: str) -> None:
    """What a dead holder leaves: its lease, no longer renewed, past its expiry."""
    past = utc_now_ms() - timedelta(seconds=1)
    db.jobs.update_one({"_id": job_id}, {"$set": {f"leases.{MAIN_SLOT}.expires_at": past}})


def test_the_heartbeat_renews_a_lease_while_the_handler_blocks_its_loop(
    settings: Settings, db: Any
) -> None:
    job_id = _queued_job(db)
    expiries: list[Any] = []
    renewed = threading.Event()

    def watch() -> None:  # a thread of the test: it runs while the runner's loop is blocked
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            stored = db.jobs.find_one({"_id": job_id})
            expiry = stored.get("leases", {}).get(MAIN_SLOT, {}).get("expires_at")
            if expiry is not None and expiry not in expiries:
                expiries.append(expiry)
            if len(expiries) >= 3:  # claimed, then renewed twice
                renewed.set()
                return
            time.sleep(0.05)

    async def blocking(context: JobContext) -> dict[str, Any]:
        threading.Thread(target=watch, daemon=True).start()
        # A synchronous wait, like WeasyPrint laying out a long card: this loop runs nothing.
        renewed.wait(WAIT_S)
        return {"renewed": renewed.is_set()}

    async def scenario() -> Any:
        async with _services(_quiet(settings, job_lease_s=4, job_heartbeat_s=0.5)) as services:
            return await services.job_runner.run(job_id, blocking)

    finished = run_async(scenario())
    assert renewed.is_set(), expiries
    assert expiries == sorted(expiries)
    assert finished is not None and finished.state is JobState.SUCCEEDED
    assert finished.result == {"renewed": True}
    assert db.jobs.find_one({"_id": job_id})["leases"] == {}


def test_a_lapsed_lease_is_taken_over_and_the_old_holder_is_fenced_out(
    settings: Settings, db: Any
) -> None:
    job_id = _queued_job(db)
    # The old holder never renews during the test: its lease lapses only as a dead one would.
    slow = _quiet(settings, job_lease_s=600, job_heartbeat_s=300)

    async def scenario() -> None:
        async with (
            _services(slow) as old,
            _services(_quiet(settings)) as new,
            old.job_runner.leased(job_id) as held_old,
        ):
            assert held_old is not None
            _, zombie = held_old
            _lapse(db, job_id)
            assert await new.reconciler.resend_lapsed() == [f"{job_id}:{MAIN_SLOT}"]
            assert await new.reconciler.resend_lapsed() == []  # sent once, not per sweep
            async with new.job_runner.leased(job_id) as held_new:
                assert held_new is not None
                job, lease = held_new
                assert job.attempts == 2
                async with old.job_runner.leased(job_id) as redelivered:
                    assert redelivered is None  # the new holder's lease is live
                await _assert_fenced_out(old, zombie)
                finished = await new.job_runner.succeed(job_id, {"by": "new"}, lease)
                assert finished is not None and finished.state is JobState.SUCCEEDED

    run_async(scenario())
    stored = db.jobs.find_one({"_id": job_id})
    assert (stored["state"], stored["result"]) == ("SUCCEEDED", {"by": "new"})
    assert (stored["attempts"], stored["lease_resends"], stored["leases"]) == (2, 1, {})


async def _assert_fenced_out(old: Services, zombie: Lease) -> None:
    runner = old.job_runner
    job = await old.jobs.require(zombie.job_id)
    with pytest.raises(JobCancelled):  # its work stops at its next progress report
        await JobContext(job, zombie, runner.report).progress(0.5, "rendering")
    assert await runner.succeed(zombie.job_id, {"by": "zombie"}, zombie) is None
    assert await runner.fail(zombie.job_id, JobError("X", "zombie"), zombie.fence()) is None
    runner.keeper.hold(zombie)
    runner.keeper.renew_all()  # its heartbeat learns the lease is gone, and stops renewing it
    assert runner.keeper.held(zombie.job_id, MAIN_SLOT) is None


def test_a_job_whose_every_worker_dies_fails_with_worker_lost(settings: Settings, db: Any) -> None:
    job_id = _queued_job(db)
    quiet = _quiet(settings, job_max_attempts=2)

    async def attempt(services: Services) -> None:
        async with services.job_runner.leased(job_id) as held:
            assert held is not None
            _lapse(db, job_id)  # ... and the worker dies here

    async def scenario() -> list[str]:
        async with _services(quiet) as services:
            await attempt(services)
            assert await services.reconciler.resend_lapsed() == [f"{job_id}:{MAIN_SLOT}"]
            await attempt(services)
            return await services.reconciler.resend_lapsed()

    assert run_async(scenario()) == []
    stored = db.jobs.find_one({"_id": job_id})
    assert stored["state"] == "FAILED"
    assert stored["error"]["code"] == WORKER_LOST
    assert "each of its 2 attempts" in stored["error"]["message"]
    audited = db.audit_events.find_one({"operation": "jobFailed", "details.jobId": job_id})
    assert audited is not None and audited["details"]["code"] == WORKER_LOST


def test_a_cancelled_job_stops_its_holder(settings: Settings, db: Any) -> None:
    job_id = _queued_job(db)
    editor = Principal(key_id="test-editor", name="test-editor", role=Role.EDITOR)

    async def scenario(services: Services) -> None:
        async with services.job_runner.leased(job_id) as held:
            assert held is not None
            _, lease = held
            await services.jobs.cancel(job_id, editor)
            assert await services.job_runner.succeed(job_id, {}, lease) is None

    async def run() -> None:
        async with _services(_quiet(settings)) as services:
            await scenario(services)

    run_async(run())
    stored = db.jobs.find_one({"_id": job_id})
    assert (stored["state"], stored["leases"]) == ("CANCELLED", {})

"""Job documents in MongoDB; every state change is a conditional update (no lost transitions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from cardgraph.jobs.documents import job_document, job_from_document, lease_fields, slot_free
from cardgraph.jobs.models import (
    MAIN_SLOT,
    Job,
    JobError,
    JobFilter,
    JobState,
    Lease,
    LeaseRecord,
    TaskCall,
)
from cardgraph.storage.mongo import JOBS, Document


class JobRepository:
    """Reads and writes `jobs`."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._jobs = db[JOBS]

    async def insert(self, job: Job) -> None:
        """Store a new job."""
        await self._jobs.insert_one(job_document(job))

    async def get(self, job_id: str) -> Job | None:
        """A job by id."""
        doc = await self._jobs.find_one({"_id": job_id})
        return job_from_document(doc) if doc else None

    async def _change(self, query: Document, update: Document) -> Job | None:
        update.setdefault("$inc", {})["revision"] = 1
        doc = await self._jobs.find_one_and_update(
            query, update, return_document=ReturnDocument.AFTER
        )
        return job_from_document(doc) if doc else None

    async def mark_sent(self, job_id: str, at: datetime) -> None:
        """Record when the job's task was (re-)sent to the broker."""
        await self._jobs.update_one({"_id": job_id}, {"$set": {"sent_at": at}})

    async def claim(self, lease: Lease, at: datetime, expires_at: datetime) -> Job | None:
        """Start an attempt of a job under `lease` (its main slot); None if it is over or held.

        A QUEUED job is free; a RUNNING one only when its main lease lapsed or was re-sent (or
        it predates leases), so a redelivered task never runs beside a live holder.
        """
        # A released main slot (a batch export whose parts run) is not free: its plan is done.
        taken_over = slot_free(MAIN_SLOT, at, released=False)["$or"]
        return await self._change(
            {
                "_id": lease.job_id,
                "$or": [
                    {"state": JobState.QUEUED.value},
                    {"state": JobState.RUNNING.value, "leases": {"$exists": False}},
                    *({"state": JobState.RUNNING.value, **free} for free in taken_over),
                ],
            },
            {
                "$set": {
                    "state": JobState.RUNNING.value,
                    "started_at": at,
                    "updated_at": at,
                    "message": "started",
                    **lease_fields(
                        MAIN_SLOT, lease.token, lease.worker, lease.parent, expires_at, None
                    ),
                },
                "$inc": {"attempts": 1, f"leases.{MAIN_SLOT}.attempts": 1},
            },
        )

    async def claim_slot(
        self, lease: Lease, task: TaskCall, at: datetime, expires_at: datetime
    ) -> Job | None:
        """Hold one part's slot of a RUNNING job; None if the job is over or the slot held."""
        return await self._change(
            {"_id": lease.job_id, "state": JobState.RUNNING.value, **slot_free(lease.slot, at)},
            {
                "$set": {
                    "updated_at": at,
                    **lease_fields(
                        lease.slot, lease.token, lease.worker, lease.parent, expires_at, task
                    ),
                },
                "$inc": {f"leases.{lease.slot}.attempts": 1},
            },
        )

    async def release(self, lease: Lease, at: datetime) -> Job | None:
        """Give up a slot whose work is done (the job goes on); None if it was not held."""
        return await self._change(
            {"_id": lease.job_id, **lease.fence()},
            {"$unset": {f"leases.{lease.slot}": ""}, "$set": {"updated_at": at}},
        )

    async def resend(
        self, job_id: str, seen: LeaseRecord, at: datetime, wait_until: datetime
    ) -> bool:
        """Take a lapsed lease from its holder for a re-sent task (if nobody renewed it since)."""
        path = f"leases.{seen.slot}"
        updated = await self._change(
            {
                "_id": job_id,
                "state": JobState.RUNNING.value,
                f"{path}.token": seen.token,
                f"{path}.expires_at": seen.expires_at,
            },
            {
                # The re-sent task may wait in the queue: until `wait_until` nobody sends it again.
                "$set": {f"{path}.token": None, f"{path}.expires_at": wait_until, "updated_at": at},
                "$inc": {"lease_resends": 1},
            },
        )
        return updated is not None

    async def running(self, limit: int) -> list[Job]:
        """RUNNING jobs, oldest change first (few: each is held by a worker or has parts)."""
        cursor = (
            self._jobs.find({"state": JobState.RUNNING.value}, {"input": 0, "parts": 0})
            .sort("updated_at", ASCENDING)
            .limit(limit)
        )
        return [job_from_document(doc) async for doc in cursor]

    async def report(self, lease: Lease, progress: float, message: str, at: datetime) -> Job | None:
        """Record progress under `lease`; None if the job stopped or the lease was taken."""
        return await self._change(
            {"_id": lease.job_id, "state": JobState.RUNNING.value, **lease.fence()},
            {"$set": {"progress": progress, "message": message, "updated_at": at}},
        )

    async def record_part(self, lease: Lease, key: str, value: Any, at: datetime) -> Job | None:
        """Record the result of one part of a fanned-out job (idempotent per key), fenced."""
        return await self._change(
            {"_id": lease.job_id, "state": JobState.RUNNING.value, **lease.fence()},
            {"$set": {f"parts.{key}": value, "updated_at": at}},
        )

    async def finish(
        self,
        job_id: str,
        state: JobState,
        at: datetime,
        *,
        result: dict[str, Any] | None = None,
        error: JobError | None = None,
        from_states: tuple[JobState, ...] = (JobState.RUNNING,),
        fence: Document | None = None,
    ) -> Job | None:
        """Move an active job to a terminal state (once); None if it was not in `from_states`
        or `fence` (the finisher's lease) no longer holds."""
        fields: Document = {
            "state": state.value,
            "updated_at": at,
            "finished_at": at,
            "message": state.value.lower(),
            "leases": {},
        }
        if state is JobState.SUCCEEDED:
            fields.update(progress=1.0, result=result)
        if error is not None:
            fields["error"] = {"code": error.code, "message": error.message}
        return await self._change(
            {"_id": job_id, "state": {"$in": [s.value for s in from_states]}, **(fence or {})},
            {"$set": fields},
        )

    async def find(
        self, job_filter: JobFilter, before: tuple[datetime, str] | None, limit: int
    ) -> list[Job]:
        """Jobs, newest first, after the keyset `before`."""
        query = _filter_query(job_filter)
        if before is not None:
            at, job_id = before
            query = {
                "$and": [
                    query,
                    {
                        "$or": [
                            {"created_at": {"$lt": at}},
                            {"created_at": at, "_id": {"$lt": job_id}},
                        ]
                    },
                ]
            }
        cursor = (
            self._jobs.find(query)
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [job_from_document(doc) async for doc in cursor]

    async def count(self, job_filter: JobFilter) -> int:
        """How many jobs match."""
        return await self._jobs.count_documents(_filter_query(job_filter))

    async def queued_before(self, sent_before: datetime, limit: int) -> list[Job]:
        """QUEUED jobs whose task was last sent before `sent_before` (lost messages)."""
        cursor = (
            self._jobs.find({"state": JobState.QUEUED.value, "sent_at": {"$lt": sent_before}})
            .sort("sent_at", ASCENDING)
            .limit(limit)
        )
        return [job_from_document(doc) async for doc in cursor]


def _filter_query(job_filter: JobFilter) -> Document:
    query: Document = {}
    if job_filter.kinds:
        query["kind"] = {"$in": [k.value for k in job_filter.kinds]}
    if job_filter.states:
        query["state"] = {"$in": [s.value for s in job_filter.states]}
    if job_filter.card_name:
        query["card_name"] = job_filter.card_name
    return query

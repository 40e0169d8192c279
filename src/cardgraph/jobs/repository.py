"""Job documents in MongoDB; every state change is a conditional update (no lost transitions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from cardgraph.jobs.models import ACTIVE_STATES, Job, JobError, JobFilter, JobKind, JobState
from cardgraph.storage.mongo import JOBS, Document
from cardgraph.storage.stored_values import stored_enum


class JobRepository:
    """Reads and writes `jobs`."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._jobs = db[JOBS]

    async def insert(self, job: Job) -> None:
        """Store a new job."""
        await self._jobs.insert_one(_document(job))

    async def get(self, job_id: str) -> Job | None:
        """A job by id."""
        doc = await self._jobs.find_one({"_id": job_id})
        return _job(doc) if doc else None

    async def _change(self, query: Document, update: Document) -> Job | None:
        update.setdefault("$inc", {})["revision"] = 1
        doc = await self._jobs.find_one_and_update(
            query, update, return_document=ReturnDocument.AFTER
        )
        return _job(doc) if doc else None

    async def mark_sent(self, job_id: str, at: datetime) -> None:
        """Record when the job's task was (re-)sent to the broker."""
        await self._jobs.update_one({"_id": job_id}, {"$set": {"sent_at": at}})

    async def claim(self, job_id: str, at: datetime) -> Job | None:
        """Mark a queued or interrupted job RUNNING for a new attempt; None if it is over."""
        return await self._change(
            {"_id": job_id, "state": {"$in": [s.value for s in ACTIVE_STATES]}},
            {
                "$set": {
                    "state": JobState.RUNNING.value,
                    "started_at": at,
                    "updated_at": at,
                    "message": "started",
                },
                "$inc": {"attempts": 1},
            },
        )

    async def report(self, job_id: str, progress: float, message: str, at: datetime) -> Job | None:
        """Record progress of a running job; None if it is no longer running."""
        return await self._change(
            {"_id": job_id, "state": JobState.RUNNING.value},
            {"$set": {"progress": progress, "message": message, "updated_at": at}},
        )

    async def record_part(self, job_id: str, key: str, value: Any, at: datetime) -> Job | None:
        """Record the result of one part of a fanned-out job (idempotent per key)."""
        return await self._change(
            {"_id": job_id, "state": JobState.RUNNING.value},
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
    ) -> Job | None:
        """Move an active job to a terminal state; None if it was not in `from_states`."""
        fields: Document = {
            "state": state.value,
            "updated_at": at,
            "finished_at": at,
            "message": state.value.lower(),
        }
        if state is JobState.SUCCEEDED:
            fields.update(progress=1.0, result=result)
        if error is not None:
            fields["error"] = {"code": error.code, "message": error.message}
        return await self._change(
            {"_id": job_id, "state": {"$in": [s.value for s in from_states]}}, {"$set": fields}
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
        return [_job(doc) async for doc in cursor]

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
        return [_job(doc) async for doc in cursor]


def _filter_query(job_filter: JobFilter) -> Document:
    query: Document = {}
    if job_filter.kinds:
        query["kind"] = {"$in": [k.value for k in job_filter.kinds]}
    if job_filter.states:
        query["state"] = {"$in": [s.value for s in job_filter.states]}
    if job_filter.card_name:
        query["card_name"] = job_filter.card_name
    return query


def _document(job: Job) -> Document:
    return {
        "_id": job.id,
        "kind": job.kind.value,
        "state": job.state.value,
        "input": job.input,
        "requested_by": job.requested_by,
        "requester_key": job.requester_key,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "card_name": job.card_name,
        "progress": job.progress,
        "message": job.message,
        "result": job.result,
        "error": None,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "attempts": job.attempts,
        "revision": job.revision,
        "sent_at": job.sent_at,
        "parts": job.parts,
    }


def _job(doc: Document) -> Job:
    error = doc.get("error")
    return Job(
        id=doc["_id"],
        kind=stored_enum(JobKind, doc["kind"], record="job", record_id=doc["_id"], field="kind"),
        state=stored_enum(
            JobState, doc["state"], record="job", record_id=doc["_id"], field="state"
        ),
        input=doc.get("input") or {},
        requested_by=doc["requested_by"],
        requester_key=doc.get("requester_key"),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        card_name=doc.get("card_name"),
        progress=doc.get("progress", 0.0),
        message=doc.get("message", ""),
        result=doc.get("result"),
        error=JobError(error["code"], error["message"]) if error else None,
        started_at=doc.get("started_at"),
        finished_at=doc.get("finished_at"),
        attempts=doc.get("attempts", 0),
        revision=doc.get("revision", 0),
        sent_at=doc.get("sent_at"),
        parts=doc.get("parts") or {},
    )

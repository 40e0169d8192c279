"""Job documents as stored in MongoDB, and back (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cardgraph.jobs.models import Job, JobError, JobKind, JobState, LeaseRecord, TaskCall
from cardgraph.storage.mongo import Document
from cardgraph.storage.stored_values import stored_enum


def slot_free(slot: str, at: datetime, *, released: bool = True) -> Document:
    """The condition that nobody holds `slot`: re-sent, lapsed, or (if `released`) not held."""
    path = f"leases.{slot}"
    free: list[Document] = [
        {path: {"$exists": True}, f"{path}.token": None},
        {f"{path}.expires_at": {"$lt": at}},
    ]
    if released:
        free.insert(0, {path: {"$exists": False}})
    return {"$or": free}


def lease_fields(
    slot: str, token: str, worker: str, parent: str, expires_at: datetime, task: TaskCall | None
) -> Document:
    """The `$set` of a new holder of `slot` (its attempts are counted by the caller's `$inc`)."""
    path = f"leases.{slot}"
    return {
        f"{path}.token": token,
        f"{path}.worker": worker,
        f"{path}.parent": parent,
        f"{path}.expires_at": expires_at,
        f"{path}.task": (
            None
            if task is None
            else {"name": task.name, "queue": task.queue, "args": list(task.args)}
        ),
    }


def job_document(job: Job) -> Document:
    """A new job's document."""
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
        "leases": {},
        "lease_resends": 0,
    }


def job_from_document(doc: Document) -> Job:
    """A stored job."""
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
        leases={
            slot: _lease(slot, stored)
            for slot, stored in (doc.get("leases") or {}).items()
            if isinstance(stored, dict)
        },
        lease_resends=doc.get("lease_resends", 0),
    )


def _lease(slot: str, stored: dict[str, Any]) -> LeaseRecord:
    task = stored.get("task")
    return LeaseRecord(
        slot=slot,
        token=stored.get("token"),
        worker=stored.get("worker"),
        expires_at=stored.get("expires_at"),
        attempts=stored.get("attempts", 0),
        task=TaskCall(task["name"], task["queue"], tuple(task["args"])) if task else None,
    )

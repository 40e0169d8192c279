"""Jobs as JSON, for progress events: a subscriber gets the whole state without a read."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from cardgraph.jobs.models import Job, JobError, JobKind, JobState

_TIMES = ("created_at", "updated_at", "started_at", "finished_at", "sent_at")


def job_to_json(job: Job) -> str:
    """Serialise a job."""
    data: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind.value,
        "state": job.state.value,
        "input": job.input,
        "requested_by": job.requested_by,
        "requester_key": job.requester_key,
        "card_name": job.card_name,
        "progress": job.progress,
        "message": job.message,
        "result": job.result,
        "error": {"code": job.error.code, "message": job.error.message} if job.error else None,
        "attempts": job.attempts,
        "revision": job.revision,
    }
    for name in _TIMES:
        value = getattr(job, name)
        data[name] = value.isoformat() if value else None
    return json.dumps(data, separators=(",", ":"))


# Memoised: every subscriber of a job decodes the same event, and jobs are immutable values.
@lru_cache(maxsize=256)
def job_from_json(text: str | bytes) -> Job:
    """Deserialise a job written by `job_to_json`."""
    data = json.loads(text)
    times = {n: datetime.fromisoformat(data[n]) if data.get(n) else None for n in _TIMES}
    error = data.get("error")
    return Job(
        id=data["id"],
        kind=JobKind(data["kind"]),
        state=JobState(data["state"]),
        input=data["input"],
        requested_by=data["requested_by"],
        requester_key=data.get("requester_key"),
        card_name=data["card_name"],
        progress=data["progress"],
        message=data["message"],
        result=data["result"],
        error=JobError(error["code"], error["message"]) if error else None,
        attempts=data["attempts"],
        revision=data["revision"],
        created_at=times["created_at"] or datetime.min,
        updated_at=times["updated_at"] or datetime.min,
        started_at=times["started_at"],
        finished_at=times["finished_at"],
        sent_at=times["sent_at"],
    )

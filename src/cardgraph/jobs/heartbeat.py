"""The heartbeat of a worker process: renews the job leases it holds, from a thread of its own.

A handler may block its event loop for seconds (WeasyPrint lays a long card out on it), so the
renewal cannot be a task on that loop: a daemon thread with its own synchronous MongoDB client
renews every lease of the process each `job_heartbeat_s`. When the process dies, the thread
dies with it; its leases lapse after `job_lease_s` and the reconciler re-sends their tasks.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import PyMongoError

from cardgraph.clock import utc_now_ms
from cardgraph.jobs.models import JobState, Lease
from cardgraph.settings import Settings
from cardgraph.storage.mongo import JOBS, Document, mongodb_url

logger = logging.getLogger("cardgraph.jobs")


def process_identity(pid: int) -> str:
    """How a lease names a process: host/pid."""
    return f"{socket.gethostname()}/{pid}"


class LeaseKeeper:
    """The leases this process holds, renewed in the background while their tasks run."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.duration = timedelta(seconds=settings.job_lease_s)
        self._interval = settings.job_heartbeat_s
        self._held: dict[tuple[str, str], Lease] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: MongoClient[Document] | None = None
        self._pid = os.getpid()

    def new_lease(self, job_id: str, slot: str) -> Lease:
        """A fresh lease of this process on a slot (not yet claimed, so not yet renewed)."""
        return Lease(
            job_id=job_id,
            slot=slot,
            token=uuid.uuid4().hex,
            worker=process_identity(os.getpid()),
            parent=process_identity(os.getppid()),
        )

    def expiry(self, at: datetime) -> datetime:
        """When a lease renewed at `at` lapses."""
        return at + self.duration

    def hold(self, lease: Lease) -> None:
        """Renew `lease` from now on, until `release`."""
        with self._lock:
            self._held[(lease.job_id, lease.slot)] = lease
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                # A forked child inherits no running thread: each process starts its own.
                self._pid = os.getpid()
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._beat, name="cardgraph-lease-heartbeat", daemon=True
                )
                self._thread.start()

    def release(self, lease: Lease) -> None:
        """Stop renewing `lease` (its task is over, or lost it)."""
        with self._lock:
            if self._held.get((lease.job_id, lease.slot)) == lease:
                del self._held[(lease.job_id, lease.slot)]

    def held(self, job_id: str, slot: str) -> Lease | None:
        """The lease this process holds on a job's slot, if any."""
        with self._lock:
            return self._held.get((job_id, slot))

    def close(self) -> None:
        """Stop the heartbeat thread and close its client."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self._interval + 1)
        if self._client is not None:
            self._client.close()
            self._client = None

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            self.renew_all()

    def renew_all(self) -> None:
        """Push every held lease's expiry forward; drop those that were taken or finished."""
        with self._lock:
            held = list(self._held.values())
        for lease in held:
            try:
                renewed = self._renew(lease)
            except PyMongoError as error:  # the next beat tries again; the lease may lapse
                logger.warning("could not renew the lease of job %s: %s", lease.job_id, error)
                continue
            if not renewed:
                logger.warning(
                    "job %s (%s) is no longer ours: finished, cancelled or taken over",
                    lease.job_id,
                    lease.slot,
                )
                self.release(lease)

    def _renew(self, lease: Lease) -> bool:
        result = self._jobs().update_one(
            {"_id": lease.job_id, "state": JobState.RUNNING.value, **lease.fence()},
            {"$set": {f"leases.{lease.slot}.expires_at": self.expiry(utc_now_ms())}},
        )
        return result.matched_count == 1

    def _jobs(self) -> Collection[Document]:
        if self._client is None:
            settings = self._settings
            self._client = MongoClient(
                mongodb_url(settings),
                tz_aware=True,
                timeoutMS=settings.mongodb_operation_timeout_ms,
                connectTimeoutMS=settings.mongodb_timeout_ms,
                appname="cardgraph-heartbeat",
            )
        return self._client[self._settings.mongodb_database][JOBS]

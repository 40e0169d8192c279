"""Group commit on its own: which requests travel together, and where errors and callers that
leave end up. Card writes built on it are tested against the database in test_round_trips."""

from __future__ import annotations

import asyncio

import pytest

from cardgraph.cards.write_queue import Pending, WriteQueue


class Recorder:
    """A batch writer answering each request with "request@n" (its key's n-th batch); it can
    be held at a gate, and fails a batch holding a request named in `failing`."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[str]]] = []
        self.gate = asyncio.Event()
        self.failing: set[str] = set()

    async def write(self, key: str, batch: list[Pending[str, str]]) -> None:
        self.batches.append((key, [p.request for p in batch]))
        number = sum(1 for k, _ in self.batches if k == key)
        await self.gate.wait()
        batch[0].resolve(f"{batch[0].request}@{number}")
        if any(p.request in self.failing for p in batch):
            raise RuntimeError("the database went away")
        for pending in batch[1:]:
            pending.resolve(f"{pending.request}@{number}")


async def _started(queue: WriteQueue[str, str], key: str, request: str) -> asyncio.Task[str]:
    task = asyncio.ensure_future(queue.submit(key, request))
    for _ in range(3):  # the request is queued, and a batch that can take it has begun
        await asyncio.sleep(0)
    return task


def test_requests_that_queue_behind_a_batch_are_written_together() -> None:
    async def scenario() -> tuple[list[str], list[tuple[str, list[str]]]]:
        recorder = Recorder()
        queue: WriteQueue[str, str] = WriteQueue(recorder.write)
        first = await _started(queue, "a", "r1")
        rest = [await _started(queue, "a", f"r{i}") for i in range(2, 5)]
        other = await _started(queue, "b", "s1")
        recorder.gate.set()
        results = await asyncio.gather(first, *rest, other)
        return results, recorder.batches

    results, batches = asyncio.run(scenario())
    assert results == ["r1@1", "r2@2", "r3@2", "r4@2", "s1@1"]
    assert [b for k, b in batches if k == "a"] == [["r1"], ["r2", "r3", "r4"]]


def test_a_failed_batch_fails_only_its_unanswered_requests() -> None:
    async def scenario() -> list[object]:
        recorder = Recorder()
        recorder.failing = {"r3"}
        queue: WriteQueue[str, str] = WriteQueue(recorder.write)
        tasks = [await _started(queue, "a", f"r{i}") for i in range(1, 4)]
        recorder.gate.set()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        outcomes.append(await queue.submit("a", "r4"))  # the queue goes on after a failure
        return [o if isinstance(o, str) else type(o).__name__ for o in outcomes]

    # r1 alone; r2 and r3 together (r2 answered before the failure, r3 not); then r4.
    assert asyncio.run(scenario()) == ["r1@1", "r2@2", "RuntimeError", "r4@3"]


def test_a_caller_that_leaves_does_not_stop_its_batch() -> None:
    async def scenario() -> tuple[str, list[tuple[str, list[str]]]]:
        recorder = Recorder()
        queue: WriteQueue[str, str] = WriteQueue(recorder.write)
        leaving = await _started(queue, "a", "r1")
        staying = await _started(queue, "a", "r2")
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        recorder.gate.set()
        return await staying, recorder.batches

    result, batches = asyncio.run(scenario())
    assert result == "r2@2"
    assert batches == [("a", ["r1"]), ("a", ["r2"])]  # r1's write went on without its caller

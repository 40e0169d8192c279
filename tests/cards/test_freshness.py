"""The rules that keep process-local caches from serving stale entries (pure, no servers)."""

from __future__ import annotations

import asyncio

from cardgraph.caching.freshness import FreshCache, Freshness, Topic


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _cache(max_age_s: float = 10.0) -> tuple[Freshness, FreshCache[str], FakeClock]:
    clock = FakeClock()
    freshness = Freshness(max_age_s, clock)
    freshness.listening()
    return freshness, FreshCache(freshness, Topic.CARD, 3), clock


def test_nothing_is_cached_or_served_while_the_change_feed_is_not_heard() -> None:
    freshness, cache, _ = _cache()
    cache.put("a", "one", cache.ticket())
    freshness.deaf()
    assert cache.get("a") is None
    cache.put("a", "two", cache.ticket())
    assert cache.get("a") is None
    freshness.listening()  # what was kept across a gap in hearing is gone
    assert cache.get("a") is None


def test_a_change_evicts_its_entry_and_only_entries_of_its_topic() -> None:
    freshness, cache, _ = _cache()
    cache.put("a", "one", cache.ticket())
    cache.put("b", "bee", cache.ticket())
    freshness.changed(Topic.API_KEY, "a")
    assert cache.get("a") == "one"
    freshness.heard(Topic.CARD, "a", origin="another-process")
    assert cache.get("a") is None
    assert cache.get("b") == "bee"


def test_a_read_that_a_change_raced_is_not_cached() -> None:
    freshness, cache, _ = _cache()
    ticket = cache.ticket()  # a read starts
    freshness.changed(Topic.CARD, "a")  # the change lands before the read's answer
    cache.put("a", "old", ticket)
    assert cache.get("a") is None


def test_own_echo_keeps_what_the_write_stored_and_reads_in_flight_cannot_overwrite_it() -> None:
    freshness, cache, _ = _cache()
    cache.put("a", "v1", cache.ticket())
    in_flight = cache.ticket()  # a read began before the write
    write = cache.ticket()
    cache.put_written("a", "v2", write)
    cache.put("a", "v1", in_flight)  # its older answer arrives late
    assert cache.get("a") == "v2"
    freshness.heard(Topic.CARD, "a", origin=freshness.origin)
    assert cache.get("a") == "v2"


def test_a_write_raced_by_another_change_leaves_nothing_behind() -> None:
    freshness, cache, _ = _cache()
    cache.put("a", "v1", cache.ticket())
    write = cache.ticket()
    freshness.changed(Topic.CARD, "b")  # some change arrived while the write ran
    cache.put_written("a", "v2", write)
    assert cache.get("a") is None
    cache.put("c", "sea", cache.ticket())
    cache.put_written("c", None, cache.ticket())
    assert cache.get("c") is None


def test_entries_expire_after_the_longest_allowed_age_and_the_least_used_go_first() -> None:
    _, cache, clock = _cache(max_age_s=5.0)
    for key in ("a", "b", "c"):
        cache.put(key, key.upper(), cache.ticket())
    assert cache.get("a") == "A"  # now b is the least recently used
    cache.put("d", "D", cache.ticket())
    assert cache.get("b") is None
    clock.now = 5.0
    assert cache.get("a") == "A"
    clock.now = 5.1
    assert cache.get("a") is None


def test_a_card_change_empties_the_list_pages_wherever_it_is_made() -> None:
    freshness, cards, _ = _cache()
    pages: FreshCache[str] = FreshCache(freshness, Topic.CARD_LIST, 3)
    pages.put("page-1", "a,b", pages.ticket())
    freshness.heard(Topic.CARD, "c", origin="another-process")
    assert pages.get("page-1") is None
    pages.put("page-1", "a,b,c", pages.ticket())
    cards.put_written("d", "D", cards.ticket())  # this process wrote card d
    assert pages.get("page-1") is None
    assert cards.get("d") == "D"


class Database:
    """Reads that wait until the test lets them answer, counted."""

    def __init__(self) -> None:
        self.reads = 0
        self.answer = "v1"
        self.gate = asyncio.Event()

    async def read(self) -> str:
        self.reads += 1
        answer = self.answer
        await self.gate.wait()
        if answer == "boom":
            raise ConnectionError("the database went away")
        return answer


def test_readers_that_miss_together_share_one_read() -> None:
    async def scenario() -> tuple[list[str | None], int, str | None]:
        _, cache, _ = _cache()
        database = Database()
        readers = [asyncio.ensure_future(cache.load("a", database.read)) for _ in range(32)]
        await asyncio.sleep(0)
        database.gate.set()
        return await asyncio.gather(*readers), database.reads, cache.get("a")

    values, reads, cached = asyncio.run(scenario())
    assert values == ["v1"] * 32 and reads == 1 and cached == "v1"


def test_a_reader_that_asks_after_a_change_does_not_join_a_read_begun_before_it() -> None:
    async def scenario() -> tuple[str | None, str | None, int, str | None]:
        freshness, cache, _ = _cache()
        database = Database()
        before = asyncio.ensure_future(cache.load("a", database.read))
        for _ in range(3):  # its read has begun
            await asyncio.sleep(0)
        freshness.changed(Topic.CARD, "a")  # v2 is written somewhere while v1 is being read
        database.answer = "v2"
        after = asyncio.ensure_future(cache.load("a", database.read))
        await asyncio.sleep(0)
        database.gate.set()
        return await before, await after, database.reads, cache.get("a")

    before, after, reads, cached = asyncio.run(scenario())
    assert (before, after, reads) == ("v1", "v2", 2)
    assert cached == "v2"  # the read that the change raced was not kept


def test_a_failed_shared_read_fails_every_reader_and_the_next_one_reads_again() -> None:
    async def scenario() -> tuple[list[object], str | None, int]:
        _, cache, _ = _cache()
        database = Database()
        database.answer = "boom"
        readers = [asyncio.ensure_future(cache.load("a", database.read)) for _ in range(3)]
        leaving = asyncio.ensure_future(cache.load("a", database.read))
        await asyncio.sleep(0)
        leaving.cancel()  # one reader gives up: the others still get their answer
        database.gate.set()
        outcomes = await asyncio.gather(*readers, return_exceptions=True)
        database.answer = "v1"
        return (
            [type(o).__name__ for o in outcomes],
            await cache.load("a", database.read),
            (database.reads),
        )

    outcomes, retried, reads = asyncio.run(scenario())
    assert outcomes == ["ConnectionError"] * 3
    assert retried == "v1" and reads == 2

"""The stream executor over a fake fetch: order, the window, and spare workers (no sockets)."""

import asyncio

from korecampaign_async.models.records import Page
from korecampaign_async.paging.stream import RecordStream
from korecampaign_async.ratelimit.concurrency import AdaptiveConcurrency

LIMIT = 10


def page_of(number: int, total_pages: int) -> Page[int]:
    first = (number - 1) * LIMIT
    return Page(
        results=list(range(first, first + LIMIT)),
        page=number,
        limit=LIMIT,
        total_pages=total_pages,
        total_results=total_pages * LIMIT,
    )


class FakeServer:
    """Answers pages after a few event-loop turns; page ``rest_page`` first rests (as a
    retry would) until ``resume`` is set. Records what was fetching at the same time."""

    def __init__(self, total_pages: int, concurrency: AdaptiveConcurrency, rest_page: int | None = None) -> None:
        self.total_pages = total_pages
        self.concurrency = concurrency
        self.rest_page = rest_page
        self.resume = asyncio.Event()
        self.fetching = 0  # fetches in progress, resting ones excluded
        self.max_fetching = 0
        self.max_fetching_while_resting = 0
        self.max_queued = 0  # requests waiting for a concurrency slot
        self.calls: list[int] = []

    async def sleep(self, seconds: float) -> None:  # the concurrency's sleep: a rest lasts until resume
        await self.resume.wait()

    async def fetch(self, number: int, *_params: int) -> Page[int]:
        self.calls.append(number)
        if number == self.rest_page and self.calls.count(number) == 1:
            await self.concurrency.rest(1.0)  # as a retry does: after its failed attempt, no slot held
        await self.concurrency.acquire()
        self.max_queued = max(self.max_queued, len(self.concurrency._waiters))
        self.fetching += 1
        self.max_fetching = max(self.max_fetching, self.fetching)
        if self.concurrency.resting:
            self.max_fetching_while_resting = max(self.max_fetching_while_resting, self.fetching)
        for _ in range(3):
            await asyncio.sleep(0)
        self.fetching -= 1
        self.concurrency.release()
        if self.concurrency.resting and len(self.calls) > 2 * self.total_pages // 3:
            self.resume.set()  # enough seen: let the resting page finish
        return page_of(number, self.total_pages)


def make_stream(server: FakeServer, max_running: int, *, prefetch: int = 64) -> RecordStream[int]:
    return RecordStream(
        server.fetch, limit=LIMIT, prefetch=prefetch, max_running=max_running, concurrency=server.concurrency
    )


async def test_records_in_order_and_no_more_fetches_than_max_running() -> None:
    concurrency = AdaptiveConcurrency(4)
    server = FakeServer(30, concurrency)
    concurrency._sleep = server.sleep
    records = await make_stream(server, max_running=4).collect()
    assert records == list(range(30 * LIMIT))
    assert sorted(server.calls) == list(range(1, 31))  # each page once
    assert server.max_fetching == 4
    # nothing rested, so the spare workers stayed parked: no request ever queued for a slot
    assert server.max_queued == 0


async def test_spare_workers_fill_the_slot_of_a_resting_request() -> None:
    concurrency = AdaptiveConcurrency(2)
    server = FakeServer(30, concurrency, rest_page=3)
    concurrency._sleep = server.sleep
    records = await make_stream(server, max_running=2).collect()
    assert records == list(range(30 * LIMIT))
    # page 3 rested (holding no slot) while both concurrency slots kept fetching other pages
    assert server.max_fetching_while_resting == 2
    assert concurrency.resting == 0 and concurrency.in_flight == 0


async def test_without_a_concurrency_object_there_are_no_spares() -> None:
    concurrency = AdaptiveConcurrency(2)
    server = FakeServer(30, concurrency, rest_page=3)
    concurrency._sleep = server.sleep
    stream: RecordStream[int] = RecordStream(server.fetch, limit=LIMIT, prefetch=64, max_running=2)
    assert await stream.collect() == list(range(30 * LIMIT))
    assert server.max_fetching_while_resting == 1


async def test_a_full_window_wakes_workers_as_the_consumer_advances() -> None:
    concurrency = AdaptiveConcurrency(8)
    server = FakeServer(40, concurrency)
    concurrency._sleep = server.sleep
    stream = make_stream(server, max_running=8, prefetch=3)
    seen = []
    async for record in stream:
        seen.append(record)
        if record % LIMIT == 0:
            # never more than `prefetch` pages fetched ahead of the page being read
            assert max(server.calls) < record // LIMIT + 1 + 3 + 1
            await asyncio.sleep(0)  # a slow consumer: the window fills
    assert seen == list(range(40 * LIMIT))
    assert sorted(server.calls) == list(range(1, 41))


async def test_materialize_runs_in_order_only_for_pages_the_consumer_reaches() -> None:
    concurrency = AdaptiveConcurrency(4)
    server = FakeServer(30, concurrency)
    concurrency._sleep = server.sleep
    materialized: list[int] = []

    async def materialize(fetched: Page[int]) -> Page[int]:
        materialized.append(fetched.page)
        return fetched

    stream = RecordStream(server.fetch, materialize=materialize, limit=LIMIT, prefetch=16, max_running=4)
    async with stream:
        async for record in stream:
            if record == 2 * LIMIT:  # first record of page 3
                break
    assert materialized == [1, 2, 3]
    assert len(server.calls) > 3  # pages ahead were fetched, never materialized

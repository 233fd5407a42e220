"""Execute a :class:`~korecampaign_async.pagination.PaginationPlan`: fetch pages
concurrently, hand them out in page order, keep memory bounded, clean up on exit.

At most ``prefetch`` pages are fetched or buffered ahead of the consumer, so memory is
bounded by ``prefetch`` pages whatever the size of the export (the client buffers them as
response bytes and decodes a page's records when the consumer reaches it), and
``max_running`` worker coroutines (the client's concurrency) fetch them: each starts its
next request as soon as its previous one is handed over. When the consumer stops
early (``break``, an exception, task cancellation) every in-flight fetch is cancelled and
awaited before the iterator finishes closing. Use ``async with`` (or
``contextlib.aclosing``) to make that happen at a known point; otherwise it happens when
the iterator is garbage-collected.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from types import TracebackType
from typing import Any, Generic, TypeVar

from .concurrency import AdaptiveConcurrency
from .models import Page
from .pagination import ChangePolicy, PaginationPlan
from .transport import ClientStats, Hooks, PageEvent

__all__ = ["RecordStream"]

T = TypeVar("T")


class RecordStream(Generic[T]):
    """Every record of a paged endpoint, in API order.

    Iterate it with ``async for`` for records, or :meth:`pages` for whole pages (what a
    checkpointing exporter wants). Attributes become meaningful once the first page
    arrived: ``total_results``, ``total_pages``, and ``next_page`` (the first page not yet
    handed out: the place to resume from).

    Args:
        fetch_page: fetches one page by number: a :class:`~korecampaign_async.models.Page`,
            or anything ``materialize`` turns into one.
        materialize: awaited on each fetched page when the consumer reaches it, before the
            page is checked and handed out. The client's workers fetch response bodies and
            its ``materialize`` decodes them, so pages wait in the buffer as compact JSON
            and their records are decoded just before they are used; an error it raises
            stops the stream at that page.
        limit, start_page, on_change: the :class:`~korecampaign_async.pagination.PaginationPlan`.
        prefetch: at most this many pages fetched or buffered ahead of the consumer.
        max_running: worker coroutines fetching pages (the client's concurrency).
        concurrency: the client's limiter; enables spare workers for retrying requests.
    """

    def __init__(
        self,
        fetch_page: Callable[[int], Awaitable[Any]],
        *,
        materialize: Callable[[Any], Awaitable[Page[T]]] | None = None,
        limit: int,
        start_page: int = 1,
        prefetch: int = 16,
        max_running: int | None = None,
        on_change: ChangePolicy = "raise",
        path: str = "",
        stats: ClientStats | None = None,
        hooks: Hooks | None = None,
        concurrency: AdaptiveConcurrency | None = None,
    ) -> None:
        self._fetch_page = fetch_page
        self._materialize = materialize
        self.plan = PaginationPlan(limit=limit, start_page=start_page, on_change=on_change)
        self.prefetch = max(1, prefetch)
        self.max_running = max(1, max_running or self.prefetch)
        self.path = path
        self._stats = stats
        self._hooks = hooks
        self._concurrency = concurrency
        self._active: AsyncIterator[object] | None = None
        self._started = False

    @property
    def total_results(self) -> int | None:
        """Records in the whole result set, once the first page is known."""
        return self.plan.total_results

    @property
    def total_pages(self) -> int | None:
        """Pages in the whole result set, once the first page is known."""
        return self.plan.total_pages

    @property
    def next_page(self) -> int:
        """The first page not handed out yet: resume here with ``start_page=``."""
        return self.plan.next_to_accept

    @property
    def start_page(self) -> int:
        """The page this stream started from."""
        return self.plan.start_page

    def _claim(self) -> None:
        if self._started:
            raise RuntimeError("a RecordStream can be iterated only once")
        self._started = True

    def pages(self) -> AsyncIterator[Page[T]]:
        """Iterate whole pages, checked against the plan, in page order."""
        self._claim()
        gen = self._pages()
        self._active = gen
        return gen

    def __aiter__(self) -> AsyncIterator[T]:
        self._claim()
        gen = self._records()
        self._active = gen
        return gen

    async def _records(self) -> AsyncIterator[T]:
        async with aclosing(self._pages()) as pages:  # type: ignore[type-var]
            async for page in pages:
                results = page.results
                del page
                for record in results:
                    yield record
                del results  # freed now, not when the next page arrives

    async def _pages(self) -> AsyncIterator[Page[T]]:
        # A fixed set of worker coroutines, each looping "take the next page number, fetch
        # it, hand it over, take the next", so a finished request is followed by the next
        # one at once (a task per page would add scheduling rounds between them and leave
        # concurrency slots idle). Pages meet the consumer through one future per page
        # number; at most ``prefetch`` of them exist, which bounds memory.
        plan = self.plan
        loop = asyncio.get_running_loop()
        slots: dict[int, asyncio.Future[Any]] = {}
        # Workers with nothing to take park here. Accepting a page opens the window by one
        # page, so it wakes one worker, not all of them (an Event would wake every parked
        # worker per page, to find one page between them); learning the totals, growing them
        # and finishing wake everyone.
        idle: deque[asyncio.Future[None]] = deque()
        stop = False
        concurrency = self._concurrency
        materialize = self._materialize
        spares_busy = 0  # spare workers fetching a page right now

        def wake(everyone: bool) -> None:
            while idle:
                waiter = idle.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    if not everyone:
                        return

        def slot(number: int) -> asyncio.Future[Any]:
            fut = slots.get(number)
            if fut is None:
                fut = slots[number] = loop.create_future()
            return fut

        async def worker(rests: AdaptiveConcurrency | None = None) -> None:
            """Fetch pages until the plan is done; a *spare* (``rests`` given) only while
            requests rest before a retry."""
            nonlocal stop, spares_busy
            spare = rests is not None
            while not stop:
                # a spare works only while a request rests before its retry (holding no
                # slot): one page per resting request, then it re-checks
                if rests is not None and spares_busy >= rests.resting:
                    wake(everyone=False)  # pass on a wake-up this spare may have taken
                    await rests.wait_for_rest()
                    continue
                # the window: never more than `prefetch` pages ahead of the consumer
                number = plan.take_next() if plan.next_to_fetch < plan.next_to_accept + self.prefetch else None
                if number is None:
                    if plan.done:
                        return
                    waiter = loop.create_future()
                    idle.append(waiter)
                    await waiter
                    continue
                fut = slot(number)
                spares_busy += spare
                try:
                    page = await self._fetch_page(number)
                except Exception as exc:  # handed to the consumer when it reaches this page
                    stop = True  # no point fetching further: the export stops at this page
                    if not fut.done():
                        fut.set_exception(exc)
                    return
                finally:
                    spares_busy -= spare
                if not fut.done():
                    fut.set_result(page)
                # Drop our references: the page is then freed as soon as the consumer is done
                # with it, while its memory is still in cache (holding it until this worker's
                # next page arrives made every page's teardown a round of cache misses).
                del page, fut

        # ``max_running`` workers keep every concurrency slot busy. A request waiting for its
        # retry (backoff, Retry-After) rests without a slot; spare workers, parked until
        # then, fill such slots so one slow page does not idle a share of the concurrency.
        # Parked, they cost nothing per request.
        count = min(self.max_running, self.prefetch)
        workers = [asyncio.ensure_future(worker()) for _ in range(count)]
        if concurrency is not None:
            spares = min(max(2, self.max_running // 4), self.prefetch - count)
            workers += [asyncio.ensure_future(worker(rests=concurrency)) for _ in range(spares)]
        try:
            while not plan.done:
                number = plan.next_to_accept
                fetched = await slot(number)
                del slots[number]
                page: Page[T] = fetched if materialize is None else await materialize(fetched)
                del fetched
                before = plan.total_pages, plan.known
                plan.accept(number, page)
                if idle:
                    wake(everyone=plan.done or before != (plan.total_pages, plan.known))
                if self._stats is not None:
                    self._stats.pages += 1
                    self._stats.records += len(page.results)
                if self._hooks is not None and self._hooks.on_page is not None:
                    self._hooks.on_page(
                        PageEvent(self.path, number, len(page.results), plan.total_pages, plan.total_results)
                    )
                yield page
                del page  # the consumer is done with it: let it go before waiting for the next
        finally:
            stop = True
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            for fut in slots.values():
                if fut.done() and not fut.cancelled():
                    fut.exception()  # retrieved: no "exception was never retrieved" warning
                else:
                    fut.cancel()

    async def aclose(self) -> None:
        """Stop the iteration and cancel every in-flight fetch."""
        gen = self._active
        if gen is not None:
            await gen.aclose()  # type: ignore[attr-defined]

    async def __aenter__(self) -> RecordStream[T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def collect(self) -> list[T]:
        """Gather every record into a list (convenient for small result sets only)."""
        return [record async for record in self]

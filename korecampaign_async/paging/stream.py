"""Execute a :class:`~korecampaign_async.paging.plan.PaginationPlan`: fetch pages
concurrently, hand them out in page order, keep memory bounded, clean up on exit.

At most ``prefetch`` pages are fetched or buffered ahead of the consumer, so memory is
bounded by ``prefetch`` pages whatever the size of the export (the client buffers them as
response bytes and decodes a page's records when the consumer reaches it), and
``max_running`` worker coroutines (the client's concurrency) fetch them: each starts its
next request as soon as its previous one is handed over.

**Leaving the loop stops the spending**, as with a native async generator. The worker
coroutines hold only the plan and the fetch function, never the stream or the iterator
the consumer holds, so when the consumer drops the iterator (``break``, an exception,
the loop going out of scope) it is finalized at once: no new request starts and the
in-flight ones are cancelled and awaited. ``async with`` (or ``contextlib.aclosing``)
makes that happen at a known point.

**The server's ``page``/``skip`` reading** (endpoints that take both) is learned once per
client and endpoint, by one probe before the first fan-out (see
:mod:`korecampaign_async.paging.plan`), kept in a :class:`ReadingCell` the client owns, and
logged once at INFO.

**Discrepancies** the plan tolerates (totals that disagree, short or empty pages, fewer
rows than ``totalResults``) are logged and counted in ``ClientStats.discrepancies``; a
shortfall against ``totalResults`` is logged at WARNING, added to
``ClientStats.shortfall`` and kept on the stream (:attr:`RecordStream.shortfall`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from types import TracebackType
from typing import Any, Generic, TypeVar

from ..errors import PaginationDriftError
from ..models.records import Page
from ..ratelimit.concurrency import AdaptiveConcurrency
from ..transport.core import ClientStats, Hooks, PageEvent
from .plan import READINGS, ChangePolicy, PaginationPlan, Reading, infer_reading, probe_params

__all__ = ["PageSizeCell", "ReadingCell", "RecordStream"]

T = TypeVar("T")

logger = logging.getLogger("korecampaign_async")

#: ``fetch_page(number, page, skip)``: fetch page ``number`` sending ``page`` and ``skip``.
FetchPage = Callable[[int, int, int], Awaitable[Any]]


class ReadingCell:
    """The ``page``/``skip`` reading of one endpoint, learned once per client.

    Streams of the same endpoint share it: the first one to need it probes (under the
    lock), the others wait and reuse the answer. ``remembered``: the value came from a saved
    server profile and no page of this process has confirmed it yet; a page that contradicts
    it makes the cell forget it (``on_change`` is told either way)."""

    def __init__(self, endpoint: str, on_change: Callable[[ReadingCell], None] | None = None) -> None:
        self.endpoint = endpoint
        self.value: Reading | None = None
        self.remembered = False
        #: how the server echoes the offset on this endpoint: ``"skip"`` (a ``skip`` beside its
        #: pages) or ``"none"``; ``None`` until a page showed it
        self.echo: str | None = None
        self.on_change = on_change
        self._lock: asyncio.Lock | None = None

    def learn(self, value: Reading | None, *, remembered: bool = False) -> None:
        """Set (or, with ``None``, forget) the reading and tell ``on_change``."""
        self.value, self.remembered = value, remembered and value is not None
        if self.on_change is not None:
            self.on_change(self)

    @property
    def lock(self) -> asyncio.Lock:
        """Held while probing."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def __repr__(self) -> str:
        return f"ReadingCell({self.endpoint!r}, value={self.value!r})"


class PageSizeCell:
    """The ``limit`` one stream sends, shared with its fetch function (which reads ``value`` for
    every request, and may lower it once, on the first page, when the server refuses the size).

    ``auto``: the size is being learned. When the first page has been checked the cell takes
    the plan's page size (the server's own, when it serves fewer rows than asked with totals
    that agree) and calls ``on_learned`` with what the server honours: the size asked for when
    it served a full page of it, else the smaller size it served. A single short page says
    nothing about a ceiling: nothing is learned from it."""

    __slots__ = ("auto", "confirmed", "on_learned", "requested", "value")

    def __init__(self, value: int, *, auto: bool = False, on_learned: Callable[[int], None] | None = None) -> None:
        self.value = value
        self.requested = value
        self.auto = auto
        self.confirmed = False  # the first page came back with this size
        self.on_learned = on_learned

    def first_page(self, plan: PaginationPlan, count: int) -> None:
        """Called once the first page was accepted (``count`` rows)."""
        asked, self.value, self.confirmed = self.requested, plan.limit, True
        if not self.auto or self.on_learned is None:
            return
        if plan.limit < asked:
            self.on_learned(plan.limit)  # the server's cap, or the size it fell back to
        elif count >= asked:
            self.on_learned(asked)  # served in full

    def __repr__(self) -> str:
        return f"PageSizeCell(value={self.value}, auto={self.auto}, confirmed={self.confirmed})"


class _Workers:
    """The tasks of one running stream, held by the stream so that :meth:`RecordStream.aclose`
    can stop them even after the iterator itself was dropped (its finalizer then runs later,
    from the event loop). Holds tasks only: nothing here leads back to the iterator."""

    __slots__ = ("tasks",)

    def __init__(self) -> None:
        self.tasks: list[asyncio.Future[None]] = []

    def watch(self, iterator: AsyncIterator[Any]) -> None:
        """Stop the tasks the moment ``iterator`` is dropped. A weak reference's callback
        runs synchronously when the iterator's last reference goes, *before* asyncio's
        finalizer hook schedules its ``aclose()`` for a later loop iteration, in which
        woken workers would already have started new requests."""
        finalizer = weakref.finalize(iterator, self.cancel)
        finalizer.atexit = False

    def cancel(self) -> None:
        """Cancel every task now (synchronous; :meth:`close` awaits them later)."""
        for task in self.tasks:
            if not task.done():
                with contextlib.suppress(RuntimeError):  # a loop already closed
                    task.cancel()

    async def close(self) -> None:
        """Cancel every task and wait for them (idempotent)."""
        self.cancel()
        tasks, self.tasks = self.tasks, []
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


class _Ready:
    """A slot value that is already a checked-ready page (the probe that was page 2)."""

    __slots__ = ("page",)

    def __init__(self, page: Page[Any]) -> None:
        self.page = page


class RecordStream(Generic[T]):
    """Every record of a paged endpoint, in API order.

    Iterate it with ``async for`` for records, or :meth:`pages` for whole pages (what a
    checkpointing exporter wants). Attributes become meaningful once the first page
    arrived: ``total_results``, ``total_pages``, and ``next_page`` (the first page not yet
    handed out: the place to resume from); ``shortfall`` and ``notes`` once it ended.

    Args:
        fetch_page: ``fetch_page(number, page, skip)`` fetches page ``number`` sending those
            ``page`` and ``skip`` values: a :class:`~korecampaign_async.models.Page`, or
            anything ``materialize`` turns into one.
        materialize: awaited on each fetched page when the consumer reaches it, before the
            page is checked and handed out. The client's workers fetch response bodies and
            its ``materialize`` decodes them, so pages wait in the buffer as compact JSON
            and their records are decoded just before they are used; an error it raises
            stops the stream at that page.
        limit: the page size requested (see :class:`~korecampaign_async.paging.plan.PaginationPlan`).
        start_page: the first page to fetch (``> 1`` when resuming).
        prefetch: at most this many pages fetched or buffered ahead of the consumer.
        max_running: worker coroutines fetching pages (the client's concurrency).
        on_change: ``"raise"`` or ``"extend"`` when the totals change mid-export.
        strict: exact paging checks instead of following the rows and reporting the counts.
        reading: the endpoint's :class:`ReadingCell` when it takes ``skip`` beside ``page``.
        path: the endpoint's path, for logs and hooks.
        stats: the client's counters.
        hooks: the client's instrumentation callbacks.
        concurrency: the client's limiter; enables spare workers for retrying requests.
        record_type: the struct of the records (what the columnar methods derive their
            Arrow schema from).
        page_size: the :class:`PageSizeCell` the fetch function reads its ``limit`` from (the
            client's streams); told the page size the first page settled.
    """

    def __init__(
        self,
        fetch_page: FetchPage,
        *,
        materialize: Callable[[Any], Awaitable[Page[T]]] | None = None,
        limit: int,
        start_page: int = 1,
        prefetch: int = 16,
        max_running: int | None = None,
        on_change: ChangePolicy = "raise",
        strict: bool = False,
        reading: ReadingCell | None = None,
        path: str = "",
        stats: ClientStats | None = None,
        hooks: Hooks | None = None,
        concurrency: AdaptiveConcurrency | None = None,
        record_type: type[Any] | None = None,
        page_size: PageSizeCell | None = None,
    ) -> None:
        self._fetch_page = fetch_page
        self._size = page_size
        self.record_type = record_type
        self._materialize = materialize
        self._reading = reading
        self.plan = PaginationPlan(
            limit=limit,
            start_page=start_page,
            on_change=on_change,
            strict=strict,
            uses_skip=reading is not None,
            reading=reading.value if reading is not None else None,
        )
        self.prefetch = max(1, prefetch)
        self.max_running = max(1, max_running or self.prefetch)
        self.path = path
        self._stats = stats
        self._hooks = hooks
        self._concurrency = concurrency
        # Weak: the iterator must be free to be finalized when its consumer drops it, even
        # while the user still holds this stream.
        self._active: weakref.ref[AsyncIterator[Any]] | None = None
        self._workers = _Workers()
        self._started = False

    @property
    def total_results(self) -> int | None:
        """Records in the whole result set as the server counts them, once the first page is known."""
        return self.plan.total_results

    @property
    def total_pages(self) -> int | None:
        """Pages in the whole result set as the server counts them, once the first page is known."""
        return self.plan.total_pages

    @property
    def next_page(self) -> int:
        """The first page not handed out yet: resume here with ``start_page=``."""
        return self.plan.next_to_accept

    @property
    def start_page(self) -> int:
        """The page this stream started from."""
        return self.plan.start_page

    @property
    def page_size(self) -> int:
        """The page size of this stream: the one requested, then (once the first page is in)
        the one the server honours. Page numbers count pages of this size."""
        return self.plan.limit

    def use_page_size(self, size: int) -> None:
        """Read pages of exactly ``size`` rows (before iterating): what a resumed export needs,
        its page numbers counting pages of the size it started with."""
        if self._started:
            raise RuntimeError("the page size of a stream is fixed once it runs")
        self.plan.limit = size
        if self._size is not None:
            self._size.value = self._size.requested = size
            self._size.auto = False

    @property
    def shortfall(self) -> int:
        """Records ``totalResults`` promised that the server did not serve (known once the
        stream ended; 0 while it runs or when nothing was missing)."""
        return self.plan.shortfall

    @property
    def notes(self) -> list[str]:
        """Discrepancies tolerated so far (totals that disagree, short or empty pages)."""
        return list(self.plan.notes)

    @property
    def reading(self) -> Reading | None:
        """The server's ``page``/``skip`` reading used by this stream, if it needed one."""
        return self.plan.reading

    def _claim(self) -> None:
        if self._started:
            raise RuntimeError("a RecordStream can be iterated only once")
        self._started = True

    def pages(self) -> AsyncIterator[Page[T]]:
        """Iterate whole pages, checked against the plan, in page order."""
        self._claim()
        gen = self._pages()
        self._active = weakref.ref(gen)
        self._workers.watch(gen)
        return gen

    def __aiter__(self) -> AsyncIterator[T]:
        self._claim()
        gen = self._records()
        self._active = weakref.ref(gen)
        self._workers.watch(gen)
        return gen

    async def _records(self) -> AsyncIterator[T]:
        async with aclosing(self._pages()) as pages:  # type: ignore[type-var]
            async for page in pages:
                results = page.results
                del page
                for record in results:
                    yield record
                del results  # freed now, not when the next page arrives

    def _pages(self) -> AsyncIterator[Page[T]]:
        # Everything the workers need is handed over explicitly: nothing they reference
        # may lead back to this stream or the iterator (see the module docstring).
        return _run(
            self.plan,
            self._fetch_page,
            self._materialize,
            self._reading,
            self._workers,
            prefetch=self.prefetch,
            max_running=self.max_running,
            path=self.path,
            stats=self._stats,
            hooks=self._hooks,
            concurrency=self._concurrency,
            size=self._size,
        )

    async def aclose(self) -> None:
        """Stop the iteration and cancel every in-flight fetch."""
        gen = self._active() if self._active is not None else None
        if gen is not None:
            await gen.aclose()  # type: ignore[attr-defined]
        # The iterator may already be gone (dropped after a ``break``) with its finalizer
        # still queued: stop its workers here, now.
        await self._workers.close()

    async def __aenter__(self) -> RecordStream[T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def collect(self) -> list[T]:
        """Gather every record into a list (convenient for small result sets only)."""
        return [record async for record in self]

    # -- columnar output (extra "arrow"; see korecampaign_async.models.arrow) -----------------
    def _typed(self) -> type[Any]:
        if self.record_type is None:
            raise TypeError("this stream was built without a record_type: no Arrow schema to derive")
        return self.record_type

    async def arrow_batches(self, rows: int = 65_536) -> AsyncIterator[Any]:
        """``pyarrow.RecordBatch`` es of ``rows`` rows, converted page by page (memory: one
        batch). Consumes the stream."""
        from ..models.arrow import record_batches

        async with self:
            async for batch in record_batches(self.pages(), self._typed(), rows):
                yield batch

    async def to_arrow(self) -> Any:
        """Every record as one ``pyarrow.Table`` with the record type's typed schema."""
        from ..models.arrow import _pyarrow, arrow_schema

        batches = [batch async for batch in self.arrow_batches()]
        return _pyarrow().Table.from_batches(batches, schema=arrow_schema(self._typed()))

    async def to_polars(self) -> Any:
        """Every record as a ``polars.DataFrame`` (needs polars)."""
        try:
            import polars
        except ImportError:
            from ..errors import ConfigurationError

            raise ConfigurationError("to_polars() needs polars: pip install polars", missing=["polars"]) from None
        return polars.from_arrow(await self.to_arrow())

    async def to_pandas(self) -> Any:
        """Every record as a ``pandas.DataFrame`` (needs pandas; timestamps stay UTC-aware)."""
        try:
            import pandas  # noqa: F401
        except ImportError:
            from ..errors import ConfigurationError

            raise ConfigurationError("to_pandas() needs pandas: pip install pandas", missing=["pandas"]) from None
        return (await self.to_arrow()).to_pandas()


async def _run(
    plan: PaginationPlan,
    fetch_page: FetchPage,
    materialize: Callable[[Any], Awaitable[Page[Any]]] | None,
    cell: ReadingCell | None,
    running: _Workers,
    *,
    prefetch: int,
    max_running: int,
    path: str,
    stats: ClientStats | None,
    hooks: Hooks | None,
    concurrency: AdaptiveConcurrency | None,
    size: PageSizeCell | None = None,
) -> AsyncIterator[Page[Any]]:
    # A fixed set of worker coroutines, each looping "take the next page number, fetch
    # it, hand it over, take the next", so a finished request is followed by the next
    # one at once (a task per page would add scheduling rounds between them and leave
    # concurrency slots idle). Pages meet the consumer through one future per page
    # number; at most ``prefetch`` of them exist, which bounds memory.
    loop = asyncio.get_running_loop()
    slots: dict[int, asyncio.Future[Any]] = {}
    # Workers with nothing to take park here. Accepting a page opens the window by one
    # page, so it wakes one worker, not all of them (an Event would wake every parked
    # worker per page, to find one page between them); learning the totals, growing them
    # and finishing wake everyone.
    idle: deque[asyncio.Future[None]] = deque()
    stop = False
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
            number = plan.take_next() if plan.next_to_fetch < plan.next_to_accept + prefetch else None
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
                page_param, skip_param = plan.params(number)
                page = await fetch_page(number, page_param, skip_param)
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

    async def learn_reading(first_rows: list[Any] | None) -> None:
        """Learn the server's page/skip reading (once per client and endpoint)."""
        assert cell is not None
        async with cell.lock:
            if cell.value is None:
                page_param, skip_param = probe_params(plan.limit)
                probe_fetched: Any
                if first_rows is None:  # resuming: page 1 is fetched as the reference too
                    ref_fetched, probe_fetched = await asyncio.gather(
                        fetch_page(1, 1, 0), fetch_page(2, page_param, skip_param)
                    )
                    ref = ref_fetched if materialize is None else await materialize(ref_fetched)
                    first_rows = ref.results
                    extra = 2
                else:
                    probe_fetched = await fetch_page(2, page_param, skip_param)
                    extra = 1
                probe = probe_fetched if materialize is None else await materialize(probe_fetched)
                learned = infer_reading(first_rows, probe.results)
                cell.learn(learned)
                # under the skip reading the probe asked for offset `limit` in the server's own
                # terms: when this stream starts at page 1, it is page 2
                is_page_2 = learned == "skip" and plan.start_page == 1 and plan.next_to_fetch == 2
                if is_page_2:
                    slot(2).set_result(_Ready(probe))
                    plan.skip_ahead(2)
                if stats is not None:
                    stats.probe_requests += extra - is_page_2
                    stats.paging_readings[cell.endpoint] = learned
                logger.info("%s: the server %s", cell.endpoint, READINGS[learned])
            reading = cell.value
        assert reading is not None
        plan.set_reading(reading)
        wake(everyone=True)

    # ``max_running`` workers keep every concurrency slot busy. A request waiting for its
    # retry (backoff, Retry-After) rests without a slot; spare workers, parked until
    # then, fill such slots so one slow page does not idle a share of the concurrency.
    # Parked, they cost nothing per request.
    def start_workers() -> list[asyncio.Future[None]]:
        count = min(max_running, prefetch)
        started: list[asyncio.Future[None]] = [asyncio.ensure_future(worker()) for _ in range(count)]
        if concurrency is not None:
            spares = min(max(2, max_running // 4), prefetch - count)
            started += [asyncio.ensure_future(worker(rests=concurrency)) for _ in range(spares)]
        return started

    workers = start_workers()
    running.tasks = workers
    relearned = False  # a remembered reading contradicted once: learned again in this stream
    learning: asyncio.Future[None] | None = None
    if plan.needs_reading:
        learning = asyncio.ensure_future(learn_reading(None))
        workers.append(learning)
    notes_seen = 0
    try:
        while not plan.done:
            if learning is not None:
                try:
                    await learning
                finally:
                    learning = None
            number = plan.next_to_accept
            fetched = await slot(number)
            del slots[number]
            page: Page[Any]
            if type(fetched) is _Ready:
                page = fetched.page
            else:
                page = fetched if materialize is None else await materialize(fetched)
            del fetched
            before = plan.total_pages, plan.known, plan.bound
            try:
                plan.accept(number, page, plan.params(number))
            except PaginationDriftError as exc:
                if relearned or cell is None or not cell.remembered or cell.value is None or plan.reading is None:
                    raise
                # The reading came from a saved profile and this page contradicts it (page 2
                # repeating page 1, an echo of another offset): forget it, stop the pages fetched in
                # its terms, learn it again (page 1 as the reference, and the probe) and fetch on
                # from this page. Every earlier page was delivered once; none is lost.
                relearned = True
                logger.warning(
                    "%s: page %d contradicts the page/skip reading remembered from an earlier run (%r: %s): "
                    "learning it again",
                    path,
                    number,
                    cell.value,
                    exc.args[0].split(" (records of pages")[0],
                )
                cell.learn(None)
                stop = True
                await running.close()
                for fut in slots.values():
                    if fut.done() and not fut.cancelled():
                        fut.exception()
                    else:
                        fut.cancel()
                slots.clear()
                idle.clear()
                stop = False
                plan.reading = None
                plan.next_to_fetch = number
                workers = start_workers()
                running.tasks = workers
                learning = asyncio.ensure_future(learn_reading(None))
                workers.append(learning)
                continue
            if cell is not None and cell.remembered and number > plan.start_page:
                cell.remembered = False  # a page after the first agreed with it: confirmed
            if size is not None and not size.confirmed:
                size.first_page(plan, len(page.results))
            if cell is not None and cell.echo is None:
                cell.echo = "skip" if page.skip is not None else "none"
                if cell.on_change is not None:
                    cell.on_change(cell)
            if plan.needs_reading:  # page 1 said there is more: probe before fanning out
                learning = asyncio.ensure_future(learn_reading(page.results))
                workers.append(learning)
            elif idle:
                wake(everyone=plan.done or before != (plan.total_pages, plan.known, plan.bound))
            if len(plan.notes) > notes_seen:
                notes_seen = _report_notes(plan, notes_seen, path, stats)
            if stats is not None:
                stats.pages += 1
                stats.records += len(page.results)
            if hooks is not None and hooks.on_page is not None:
                hooks.on_page(PageEvent(path, number, len(page.results), plan.total_pages, plan.total_results))
            if plan.done:
                _report_end(plan, path, stats)
            yield page
            del page  # the consumer is done with it: let it go before waiting for the next
    finally:
        stop = True
        await running.close()
        for fut in slots.values():
            if fut.done() and not fut.cancelled():
                fut.exception()  # retrieved: no "exception was never retrieved" warning
            else:
                fut.cancel()


def _report_notes(plan: PaginationPlan, seen: int, path: str, stats: ClientStats | None) -> int:
    for note in plan.notes[seen:]:
        logger.info("%s: %s", path, note)
        if stats is not None:
            stats.discrepancies += 1
    return len(plan.notes)


def _report_end(plan: PaginationPlan, path: str, stats: ClientStats | None) -> None:
    """Say how the served rows compare with ``totalResults`` (never silent, never fatal)."""
    shortfall, surplus = plan.shortfall, plan.surplus
    if shortfall:
        logger.warning(
            "%s: the server served %d records where totalResults promised %d (%d missing); "
            "the export followed the pages to their end",
            path,
            plan.records_accepted,
            plan.expected_records,
            shortfall,
        )
    elif surplus:
        logger.warning(
            "%s: the server served %d records, %d more than totalResults=%d",
            path,
            plan.records_accepted,
            surplus,
            plan.total_results,
        )
    if stats is not None:
        stats.shortfall += shortfall
        stats.surplus += surplus

"""Execute a :class:`~korecampaign_async.pagination.PaginationPlan`: fetch pages
concurrently, hand them out in page order, keep memory bounded, clean up on exit.

At most ``prefetch`` pages are fetched or buffered ahead of the consumer, so memory is
``prefetch * limit`` records whatever the size of the export. When the consumer stops
early (``break``, an exception, task cancellation) every in-flight fetch is cancelled and
awaited before the iterator finishes closing. Use ``async with`` (or
``contextlib.aclosing``) to make that happen at a known point; otherwise it happens when
the iterator is garbage-collected.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from types import TracebackType
from typing import Generic, TypeVar

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
    """

    def __init__(
        self,
        fetch_page: Callable[[int], Awaitable[Page[T]]],
        *,
        limit: int,
        start_page: int = 1,
        prefetch: int = 16,
        on_change: ChangePolicy = "raise",
        path: str = "",
        stats: ClientStats | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        self._fetch_page = fetch_page
        self.plan = PaginationPlan(limit=limit, start_page=start_page, on_change=on_change)
        self.prefetch = max(1, prefetch)
        self.path = path
        self._stats = stats
        self._hooks = hooks
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
                for record in page.results:
                    yield record

    async def _pages(self) -> AsyncIterator[Page[T]]:
        plan = self.plan
        tasks: dict[int, asyncio.Task[Page[T]]] = {}
        try:
            while not plan.done:
                while len(tasks) < self.prefetch:
                    number = plan.take_next()
                    if number is None:
                        break
                    tasks[number] = asyncio.ensure_future(self._fetch_page(number))
                number = plan.next_to_accept
                if number not in tasks:  # pragma: no cover - the plan always schedules next_to_accept
                    raise RuntimeError(f"pagination plan did not schedule page {number}")
                page = await tasks[number]
                del tasks[number]
                plan.accept(number, page)
                if self._stats is not None:
                    self._stats.pages += 1
                    self._stats.records += len(page.results)
                if self._hooks is not None and self._hooks.on_page is not None:
                    self._hooks.on_page(
                        PageEvent(self.path, number, len(page.results), plan.total_pages, plan.total_results)
                    )
                yield page
        finally:
            for task in tasks.values():
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks.values(), return_exceptions=True)

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

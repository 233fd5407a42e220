"""The paging plan: which pages to fetch, in what order, and what to do when the result
set moves under an export. Pure code, no I/O (as gidgethub's ``sansio``): the executor
in :mod:`korecampaign_async.streaming` asks the plan for page numbers to fetch and hands
every page back, in page order, for checking.

Rules (``docs/api-notes.md`` gives the reasons):

* The first fetched page (``start_page``, 1 unless resuming) tells ``totalPages``,
  ``totalResults`` and the effective ``limit``; every later page is known up front and
  may be fetched concurrently.
* Each page must report the same totals, and hold exactly ``limit`` records, except the
  last, which holds ``totalResults - (totalPages - 1) * limit``. Anything else means the
  data changed mid-export (or the server ignored the page parameter): continuing would
  drop or duplicate records.
* ``on_change="raise"`` (default) raises :class:`PaginationDriftError` at the first
  inconsistent page; every earlier page was delivered exactly once, so the export can
  resume there. ``on_change="extend"`` accepts *growth at the end* (an append-only
  source): when totals grow and every page seen so far stayed full, the plan extends to the
  new last page; shrinking or short pages still raise.
* When the server sends no totals at all, the plan falls back to one page at a time,
  stopping at the first short page or ``hasMore: false``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from .errors import PaginationDriftError
from .models import Page

__all__ = ["ChangePolicy", "PaginationPlan"]

ChangePolicy = Literal["raise", "extend"]


class PaginationPlan:
    """State of one paged read. Feed it pages in page order with :meth:`accept`.

    Args:
        limit: the page size requested.
        start_page: the first page to fetch (``> 1`` when resuming from a checkpoint).
        on_change: ``"raise"`` or ``"extend"``; see the module docstring.
    """

    def __init__(self, *, limit: int, start_page: int = 1, on_change: ChangePolicy = "raise") -> None:
        if on_change not in ("raise", "extend"):
            raise ValueError(f"on_change must be 'raise' or 'extend', got {on_change!r}")
        self.limit = limit
        self.start_page = start_page
        self.on_change: ChangePolicy = on_change
        self.total_pages: int | None = None
        self.total_results: int | None = None
        self.known = False  # True once the first page has been accepted
        self.next_to_fetch = start_page
        self.next_to_accept = start_page
        self._sequential_more = True  # only used when the server gives no totals
        self.records_accepted = 0

    # -- scheduling ---------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True when every page of the result set has been accepted."""
        if not self.known:
            return False
        if self.total_pages is None:
            return not self._sequential_more
        return self.next_to_accept > self.total_pages

    def take_next(self) -> int | None:
        """Return the next page number to fetch now, or ``None`` when nothing more can be
        scheduled until an earlier page is accepted (or everything is scheduled)."""
        page = self.next_to_fetch
        if not self.known:
            if page != self.start_page:
                return None
        elif self.total_pages is None:
            if not self._sequential_more or page != self.next_to_accept:
                return None
        elif page > self.total_pages:
            return None
        self.next_to_fetch += 1
        return page

    # -- checking -----------------------------------------------------------------------
    def expected_count(self, page_number: int) -> int | None:
        """Records page ``page_number`` must hold under the current plan (``None`` if unknown)."""
        if self.total_pages is None or self.total_results is None:
            return None
        if page_number < self.total_pages:
            return self.limit
        if page_number == self.total_pages:
            return self.total_results - (self.total_pages - 1) * self.limit
        return 0

    def accept(self, page_number: int, page: Page[Any]) -> None:
        """Check ``page`` (the answer for ``page_number``) against the plan and advance.

        Raises:
            PaginationDriftError: the result set changed or the server answered another
                page than asked; records of every earlier page were already accepted.
        """
        if page_number != self.next_to_accept:
            raise ValueError(f"pages must be accepted in order: expected {self.next_to_accept}, got {page_number}")
        if page.page != page_number:
            self._drift(f"asked for page {page_number} but the server answered page {page.page}")
        count = len(page.results)
        if not self.known:
            self._learn(page)
        elif self.total_pages is not None and (
            page.total_pages != self.total_pages or page.total_results != self.total_results
        ):
            self._on_totals_changed(page_number, page)
        if self.total_pages is None:
            self._accept_sequential(page)
        else:
            expected = self.expected_count(page_number)
            if expected is not None and count != expected:
                self._drift(
                    f"page {page_number} holds {count} records where {expected} were expected "
                    f"(totalResults={self.total_results}, limit={self.limit})"
                )
        self.records_accepted += count
        self.next_to_accept += 1

    def _learn(self, page: Page[Any]) -> None:
        self.known = True
        self.limit = page.limit or self.limit
        self.total_results = page.total_results
        self.total_pages = page.total_pages
        if self.total_pages is not None and self.total_results is not None:
            consistent = math.ceil(self.total_results / self.limit) if self.limit else 0
            if consistent != self.total_pages:
                self._drift(
                    f"server reports totalPages={self.total_pages} but totalResults={self.total_results} "
                    f"at limit={self.limit} needs {consistent} pages"
                )
            # resuming past the end: only legitimate exactly one past the last page
            if self.total_pages and self.start_page > self.total_pages + 1:
                self._drift(f"resume page {self.start_page} is beyond the last page {self.total_pages}")

    def _on_totals_changed(self, page_number: int, page: Page[Any]) -> None:
        old = (self.total_pages, self.total_results)
        new_total = page.total_results
        grew = new_total is not None and self.total_results is not None and new_total > self.total_results
        if self.on_change == "extend" and grew and page.total_pages is not None:
            # Append-only growth: every page accepted so far was full (a partial page can only
            # be the last one, which is never behind the pages still to accept), so they stay
            # valid; the plan simply grows to the new last page.
            self.total_pages = page.total_pages
            self.total_results = new_total
            return
        self._drift(
            f"the result set changed during the export: totalPages/totalResults went from "
            f"{old[0]}/{old[1]} to {page.total_pages}/{page.total_results} at page {page_number}"
        )

    def _accept_sequential(self, page: Page[Any]) -> None:
        count = len(page.results)
        if page.has_more is not None:
            self._sequential_more = page.has_more and count > 0
        else:
            self._sequential_more = count >= self.limit

    def _drift(self, message: str) -> None:
        raise PaginationDriftError(message, resume_page=self.next_to_accept)

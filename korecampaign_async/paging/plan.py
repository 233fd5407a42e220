"""The paging plan: which pages to fetch, with which ``page``/``skip`` values, in what
order, when the export has ended, and what to do when the result set moves under it.
Pure code, no I/O (as gidgethub's ``sansio``): the executor in
:mod:`korecampaign_async.paging.stream` asks the plan what to fetch and hands every page back,
in page order, for checking.

Rules (``docs/api-notes.md`` gives the reasons):

* The first fetched page (``start_page``, 1 unless resuming) tells ``totalPages``,
  ``totalResults`` and the effective ``limit``. The pages both totals agree exist are
  known up front and fetched concurrently.
* **Tolerant by default.** A real server may count rows it does not return (filtered,
  deleted, still being dialled), or report ``totalPages`` and ``totalResults`` that
  disagree. The export follows the rows, not the counts: a short page at or after the
  last page both totals agree on ends it; when a reading says there may be more, the plan
  fetches one page at a time until a short or empty page proves the end (at most one
  request more than the rows need). A shortfall against ``totalResults`` is *reported*
  (:attr:`PaginationPlan.shortfall`, :attr:`PaginationPlan.notes`), never raised.
* :class:`~korecampaign_async.errors.PaginationDriftError` is raised only on evidence that
  the set moved under the export or that paging is broken: totals changing between pages
  (policy ``"raise"``), a page answering for another page or offset, a page with more rows
  than ``limit``, or rows repeated across a page boundary (which is also how a server that
  ignores ``page`` and ``skip`` shows itself). Every record of the pages before it was
  delivered exactly once, so the export can resume there.
* ``strict=True`` keeps the exact checks: both totals must agree, every page but the last
  must be full and the last must hold exactly the remainder.
* ``on_change="extend"`` accepts *growth at the end* (an append-only source): when totals
  grow the plan extends to the new last page; shrinking still raises.
* When the server sends no totals at all, the plan falls back to one page at a time,
  stopping at the first short page or ``hasMore: false``.

**Which of ``page`` and ``skip`` the server reads.** Two endpoints take both and the docs
do not say which wins. Page 1 (``page=1&skip=0``) means the same under every reading. Before
fetching further pages, the executor sends one probe, ``page=1&skip=limit``, and compares
its rows with page 1's (:func:`infer_reading`): the same rows mean the server reads
``page`` and ignores ``skip`` (the probe is wasted; later pages go out as
``page=N&skip=(N-1)*limit``); other rows mean it reads ``skip`` — alone, first, or added to
``(page-1)*limit`` — and the probe *is* page 2 (later pages go out as
``page=1&skip=(N-1)*limit``, right under all three). A server that reads neither answers
page 2 with page 1's rows again and is stopped by the repeated-rows check.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from ..errors import PaginationDriftError
from ..models.records import Page

__all__ = ["MAX_NOTES", "READINGS", "ChangePolicy", "PaginationPlan", "Reading", "infer_reading", "request_params"]

ChangePolicy = Literal["raise", "extend"]

#: Tolerated discrepancies kept per plan (a server that filters rows could otherwise make
#: one note per page).
MAX_NOTES = 20

#: How a server maps ``page`` and ``skip`` to an offset, as far as a client must know:
#: ``"page"`` (skip ignored) or ``"skip"`` (page ignored, or skip added to the page's offset).
Reading = Literal["page", "skip"]

READINGS: dict[Reading, str] = {
    "page": "reads `page` and ignores `skip` (requests: page=N, skip=(N-1)*limit)",
    "skip": "reads `skip` (page ignored or added to it; requests: page=1, skip=(N-1)*limit)",
}


def request_params(number: int, limit: int, reading: Reading | None) -> tuple[int, int]:
    """The ``(page, skip)`` values that ask for page ``number`` under ``reading``.

    Unknown (``None``) and ``"page"`` send both consistently, as the docs' samples do;
    ``"skip"`` sends ``page=1`` so a server that adds skip to the page's offset reads the
    right offset too."""
    skip = (number - 1) * limit
    if reading == "skip":
        return 1, skip
    return number, skip


def probe_params(limit: int) -> tuple[int, int]:
    """The probe that tells the readings apart: offset ``limit`` by ``skip`` alone."""
    return 1, limit


def infer_reading(first_page: list[Any], probe: list[Any]) -> Reading:
    """The server's reading from the rows of page 1 and of the probe (:func:`probe_params`):
    the probe repeating page 1 means ``skip`` was ignored."""
    if first_page and probe == first_page:
        return "page"
    return "skip"


class PaginationPlan:
    """State of one paged read. Feed it pages in page order with :meth:`accept`.

    Args:
        limit: the page size requested.
        start_page: the first page to fetch (``> 1`` when resuming from a checkpoint).
        on_change: ``"raise"`` or ``"extend"``; see the module docstring.
        strict: exact checks of counts against totals (see the module docstring).
        uses_skip: the endpoint takes ``skip`` beside ``page``, so the server's reading must
            be known before pages after the first are fetched.
        reading: the server's reading when already known (learned by an earlier export).
    """

    def __init__(
        self,
        *,
        limit: int,
        start_page: int = 1,
        on_change: ChangePolicy = "raise",
        strict: bool = False,
        uses_skip: bool = False,
        reading: Reading | None = None,
    ) -> None:
        if on_change not in ("raise", "extend"):
            raise ValueError(f"on_change must be 'raise' or 'extend', got {on_change!r}")
        self.limit = limit
        self.start_page = start_page
        self.on_change: ChangePolicy = on_change
        self.strict = strict
        self.uses_skip = uses_skip
        self.reading: Reading | None = reading
        self.total_pages: int | None = None
        self.total_results: int | None = None
        self.known = False  # True once the first page has been accepted
        self.next_to_fetch = start_page
        self.next_to_accept = start_page
        self.bound = start_page  # the last page that may be fetched now
        self.ended = False  # the end of the result set is proven
        self.records_accepted = 0
        self.notes: list[str] = []  # discrepancies seen (tolerated), for logs and stats
        self.short_pages = 0  # pages other than the last holding fewer than ``limit`` rows
        self._lower = start_page  # the last page both totals agree exists
        self._upper = start_page  # the last page any reading says exists
        self._sequential = False  # no totals at all: one page at a time
        self._draining = False  # an empty page came early: read what was asked, no more
        self._prev: tuple[Any, Any] | None = None  # first and last row of the previous page

    # -- scheduling ---------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True when every page of the result set has been accepted."""
        return self.ended

    @property
    def needs_reading(self) -> bool:
        """The server's ``page``/``skip`` reading must be learned before the next page is
        fetched (see :func:`infer_reading`)."""
        if not self.uses_skip or self.reading is not None or self.ended:
            return False
        if self.start_page > 1:
            return True  # even the first page must be asked for in the server's terms
        return self.known and self.next_to_fetch <= self.bound

    def set_reading(self, reading: Reading) -> None:
        """Record the server's reading (learned by a probe, or remembered by the client)."""
        self.reading = reading

    def params(self, number: int) -> tuple[int, int]:
        """The ``(page, skip)`` values to send for page ``number``."""
        return request_params(number, self.limit, self.reading)

    def take_next(self) -> int | None:
        """Return the next page number to fetch now, or ``None`` when nothing more can be
        scheduled until an earlier page is accepted (or everything is scheduled)."""
        page = self.next_to_fetch
        if self.ended or page > self.bound or self.needs_reading:
            return None
        self.next_to_fetch += 1
        return page

    def skip_ahead(self, number: int) -> None:
        """Mark page ``number`` as fetched outside :meth:`take_next` (the reading probe that
        turned out to be page 2)."""
        if number == self.next_to_fetch:
            self.next_to_fetch += 1

    # -- checking -----------------------------------------------------------------------
    def expected_count(self, page_number: int) -> int | None:
        """Records page ``page_number`` holds when the totals are exact (``None`` if unknown)."""
        if self.total_pages is None or self.total_results is None:
            return None
        if page_number < self.total_pages:
            return self.limit
        if page_number == self.total_pages:
            return self.total_results - (self.total_pages - 1) * self.limit
        return 0

    @property
    def expected_records(self) -> int | None:
        """Records ``totalResults`` promises from ``start_page`` on (``None`` if not told)."""
        if self.total_results is None:
            return None
        return max(0, self.total_results - (self.start_page - 1) * self.limit)

    @property
    def shortfall(self) -> int:
        """Records ``totalResults`` promised that the server did not serve (0 until done)."""
        expected = self.expected_records
        if not self.ended or expected is None:
            return 0
        return max(0, expected - self.records_accepted)

    @property
    def surplus(self) -> int:
        """Records served beyond ``totalResults`` (an undercounting server; 0 until done)."""
        expected = self.expected_records
        if not self.ended or expected is None:
            return 0
        return max(0, self.records_accepted - expected)

    def accept(self, page_number: int, page: Page[Any], sent: tuple[int, int] | None = None) -> None:
        """Check ``page`` (the answer for ``page_number``, requested with ``sent`` =
        ``(page, skip)``) against the plan and advance.

        Raises:
            PaginationDriftError: the result set changed or the server answered another
                page than asked; records of every earlier page were already accepted.
        """
        if page_number != self.next_to_accept:
            raise ValueError(f"pages must be accepted in order: expected {self.next_to_accept}, got {page_number}")
        sent_page, sent_skip = sent if sent is not None else (page_number, (page_number - 1) * self.limit)
        if not self.known:
            self._learn(page)
        elif (page.total_pages, page.total_results) != (self.total_pages, self.total_results):
            self._on_totals_changed(page_number, page)
        results = page.results
        self._check_boundary(page_number, results, sent_page, sent_skip)
        self._check_echo(page_number, page, sent_page, sent_skip)
        count = len(results)
        if count > self.limit:
            self._drift(f"page {page_number} holds {count} records, more than the page size {self.limit}")
        if self.strict:
            self._accept_strict(page_number, page, count)
        else:
            self._accept_tolerant(page_number, page, count)
        self.records_accepted += count
        self.next_to_accept += 1

    def note(self, message: str) -> None:
        """Record a tolerated discrepancy (the first :data:`MAX_NOTES` are kept)."""
        if len(self.notes) < MAX_NOTES:
            self.notes.append(message)

    def _check_echo(self, number: int, page: Page[Any], sent_page: int, sent_skip: int) -> None:
        """The page and offset the server says it answered must be the ones asked for (an
        echo of what was sent, or of its meaning)."""
        if page.page not in (number, sent_page):
            self._drift(f"asked for page {number} but the server answered page {page.page}")
        offset = (number - 1) * self.limit
        if page.skip is not None and page.skip not in (offset, sent_skip):
            self._drift(f"asked for page {number} (offset {offset}) but the server answered offset {page.skip}")

    def _check_boundary(self, number: int, results: list[Any], sent_page: int, sent_skip: int) -> None:
        """Rows repeated across a page boundary: the same page served twice (a server that
        ignores the page parameters) or rows shifted by insertions before them."""
        # Only the first and last rows are kept: holding a whole page until the next one
        # arrives would keep its records alive (and out of cache) for nothing.
        prev = self._prev
        if prev is not None and results:
            first = results[0]
            if first == prev[0]:
                self._drift(
                    f"page {number} repeats the rows of page {number - 1}: the server ignores the paging "
                    f"parameters it was sent (page={sent_page}, skip={sent_skip})"
                )
            if first == prev[1]:
                self._drift(f"page {number} starts with the last row of page {number - 1}: rows moved meanwhile")
        self._prev = (results[0], results[-1]) if results else None

    def _learn(self, page: Page[Any]) -> None:
        self.known = True
        self.limit = page.limit or self.limit
        self.total_results = page.total_results
        self.total_pages = page.total_pages
        count = len(page.results)
        if (
            0 < count < self.limit
            and self.total_pages is not None
            and self.total_pages > 1
            and self.total_results is not None
            and math.ceil(self.total_results / count) == self.total_pages
        ):
            # Fewer rows than asked, more pages to come, and the server's totals are those of
            # pages of exactly this size: it serves its own page size and ignores (without
            # saying) the limit it was sent. Page numbers and offsets follow its size from
            # here, or rows between its pages and ours would be skipped.
            self.note(
                f"the server answers {count} rows per page where {self.limit} were asked and its totals "
                f"agree ({self.total_results} rows in {self.total_pages} pages): following its page size"
            )
            self.limit = count
        from_results = None
        if self.total_results is not None:
            from_results = math.ceil(self.total_results / self.limit) if self.limit else 0
        readings = [n for n in (self.total_pages, from_results) if n is not None]
        if not readings:
            self._sequential = True
            self._lower = self._upper = self.start_page
            self.bound = self.start_page
            return
        if self.total_pages is not None and from_results is not None and from_results != self.total_pages:
            message = (
                f"server reports totalPages={self.total_pages} but totalResults={self.total_results} "
                f"at limit={self.limit} needs {from_results} pages"
            )
            if self.strict:
                self._drift(message)
            self.note(message + ": following the pages until a short page ends them")
        self._lower, self._upper = min(readings), max(readings)
        last = self.total_pages if self.strict and self.total_pages is not None else self._lower
        # resuming past the end: only legitimate exactly one past the last page
        if self._upper and self.start_page > self._upper + 1:
            self._drift(f"resume page {self.start_page} is beyond the last page {self._upper}")
        self.bound = max(self.start_page, last)

    def _accept_strict(self, number: int, page: Page[Any], count: int) -> None:
        if self._sequential:
            self._accept_sequential(number, page, count)
            return
        expected = self.expected_count(number)
        if expected is not None and count != expected:
            self._drift(
                f"page {number} holds {count} records where {expected} were expected "
                f"(totalResults={self.total_results}, limit={self.limit})"
            )
        if self.total_pages is not None and number >= self.total_pages:
            self.ended = True

    def _accept_tolerant(self, number: int, page: Page[Any], count: int) -> None:
        if self._sequential:
            self._accept_sequential(number, page, count)
            return
        if count == 0 or self._draining:
            if count == 0:
                if number >= self.bound or number >= self._lower:
                    self.ended = True  # nothing asked for after it, or the totals end here
                    return
                if not self._draining:
                    # Empty where the totals promise more: the server counts rows it does not
                    # serve. Read the pages already asked for (rows there are not lost), ask no more.
                    self._draining = True
                    self.bound = max(number, self.next_to_fetch - 1)
                    self.ended = self.bound <= number
                    self.note(f"page {number} is empty although the totals promise {self._lower} pages")
                return
            self._draining = False  # rows again after an empty page: back to the plan
            self.bound = max(self.bound, self._lower)
            self.note(f"page {number} holds rows after an empty page")
        if count < self.limit:
            if number >= self._lower:
                self.ended = True  # a short page where the totals put the end (or after it)
                return
            self.short_pages += 1
            self.note(f"page {number} holds {count} of {self.limit} rows although more pages follow")
            return
        # a full page: the end only if it is the last one scheduled and nothing says more
        if number < self.bound:
            return
        expected = self.expected_records
        served = self.records_accepted + count
        more = number < self._upper or page.has_more is True or (expected is not None and served > expected)
        if not more:
            self.ended = True
        elif number < self._upper:
            self.bound = self._upper if number > self._lower else number + 1
        else:
            self.bound = number + 1  # beyond every reading: one page at a time until a short one

    def _accept_sequential(self, number: int, page: Page[Any], count: int) -> None:
        more = (page.has_more and count > 0) if page.has_more is not None else count >= self.limit
        if more:
            self.bound = number + 1
        else:
            self.ended = True

    def _on_totals_changed(self, page_number: int, page: Page[Any]) -> None:
        old = (self.total_pages, self.total_results)
        new_total = page.total_results
        grew = new_total is not None and self.total_results is not None and new_total > self.total_results
        if self.on_change == "extend" and grew and new_total is not None and page.total_pages is not None:
            # Append-only growth: every page accepted so far was full (a partial page can only
            # be the last one, which is never behind the pages still to accept), so they stay
            # valid; the plan simply grows to the new last page.
            self.total_pages = page.total_pages
            self.total_results = new_total
            from_results = math.ceil(new_total / self.limit) if self.limit else 0
            self._lower = max(self._lower, min(page.total_pages, from_results))
            self._upper = max(self._upper, page.total_pages, from_results)
            self.bound = max(self.bound, page.total_pages if self.strict else self._lower)
            return
        self._drift(
            f"the result set changed during the export: totalPages/totalResults went from "
            f"{old[0]}/{old[1]} to {page.total_pages}/{page.total_results} at page {page_number}"
        )

    def _drift(self, message: str) -> None:
        raise PaginationDriftError(message, resume_page=self.next_to_accept)

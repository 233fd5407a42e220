"""What a client saw, for people and for metrics: live counters (:class:`ClientStats`) and
instrumentation hooks (:class:`Hooks`) called with one event per request, response, retry
and page. Plain data, no I/O: the transport fills them, the paging stream reports pages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..ratelimit.concurrency import AdaptiveConcurrency

__all__ = ["ClientStats", "Hooks", "PageEvent", "RequestEvent", "ResponseEvent", "RetryEvent"]


@dataclass(frozen=True)
class RequestEvent:
    """Passed to ``on_request`` before an attempt is sent."""

    method: str
    path: str
    attempt: int


@dataclass(frozen=True)
class ResponseEvent:
    """Passed to ``on_response`` when an attempt got an HTTP answer."""

    method: str
    path: str
    attempt: int
    status: int
    elapsed: float
    bytes: int


@dataclass(frozen=True)
class RetryEvent:
    """Passed to ``on_retry`` before sleeping for another attempt."""

    method: str
    path: str
    attempt: int
    cause: str
    wait: float


@dataclass(frozen=True)
class PageEvent:
    """Passed to ``on_page`` each time a page has been checked and handed to the caller."""

    path: str
    page: int
    records: int
    total_pages: int | None
    total_results: int | None


@dataclass
class Hooks:
    """Instrumentation callbacks; each is called synchronously and must be quick.
    Exceptions raised by a hook propagate (a broken metric should be noticed)."""

    on_request: Callable[[RequestEvent], None] | None = None
    on_response: Callable[[ResponseEvent], None] | None = None
    on_retry: Callable[[RetryEvent], None] | None = None
    on_page: Callable[[PageEvent], None] | None = None


@dataclass
class ClientStats:
    """Counters of one client, live. ``wasted_requests`` are attempts that did not yield
    data (429s, retried failures): each one costs rate budget for nothing."""

    requests: int = 0
    responses: Counter[int] = field(default_factory=Counter)
    pages: int = 0
    records: int = 0
    bytes_received: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    wasted_requests: int = 0
    #: records ``totalResults`` promised that the server did not serve (summed over streams)
    shortfall: int = 0
    #: records served beyond ``totalResults``
    surplus: int = 0
    #: tolerated paging discrepancies (totals that disagree, short or empty pages)
    discrepancies: int = 0
    #: requests spent learning how the server reads ``page``/``skip`` (not pages delivered)
    probe_requests: int = 0
    #: the learned reading per endpoint (``"page"`` or ``"skip"``)
    paging_readings: dict[str, str] = field(default_factory=dict)
    #: first pages asked again at the documented 100 after the server refused a larger ``limit``
    page_size_refusals: int = 0
    #: 429s that carried ``Retry-After``, and 429s that did not
    throttled_with_hint: int = 0
    throttled_without_hint: int = 0
    #: wall-clock time (``time.time()``) of the next try while the client holds for the rate
    #: budget, else the last one (compare with ``time.time()``)
    budget_wait_until: float | None = None
    _concurrency: AdaptiveConcurrency | None = field(default=None, repr=False)

    @property
    def concurrency_limit(self) -> int:
        """The current in-flight limit (lowered after 429s when adaptive)."""
        return self._concurrency.limit if self._concurrency else 0

    @property
    def pace(self) -> float | None:
        """Requests per second the client learned from 429s (None until it had to)."""
        return self._concurrency.current_pace() if self._concurrency else None

    @property
    def holds(self) -> int:
        """Times the client held every request for the rate budget (429s without Retry-After)."""
        return self._concurrency.holds if self._concurrency else 0

    @property
    def waiting_for_budget(self) -> float:
        """Seconds until the next try while the client waits for the rate budget, else 0."""
        if self.budget_wait_until is None or self._concurrency is None:
            return 0.0
        remaining = self._concurrency.paused_until - self._concurrency._clock()
        return max(0.0, remaining)

    @property
    def paused_seconds(self) -> float:
        """Total time requests spent held by ``Retry-After`` pauses."""
        return self._concurrency.paused_seconds if self._concurrency else 0.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot."""
        return {
            "requests": self.requests,
            "responses": {str(k): v for k, v in sorted(self.responses.items())},
            "pages": self.pages,
            "records": self.records,
            "bytes_received": self.bytes_received,
            "retries": dict(self.retries),
            "throttled": self.throttled,
            "wasted_requests": self.wasted_requests,
            "shortfall": self.shortfall,
            "surplus": self.surplus,
            "discrepancies": self.discrepancies,
            "probe_requests": self.probe_requests,
            "paging_readings": dict(self.paging_readings),
            "concurrency_limit": self.concurrency_limit,
            "pace": None if self.pace is None else round(self.pace, 2),
            "paused_seconds": round(self.paused_seconds, 3),
            "holds": self.holds,
        }

"""Client-side request budgets with Kore.ai's semantics: rolling windows, all checked
together (e.g. 600 per 60 s *and* 18,000 per hour).

:class:`SlidingWindowLog` is the pure accounting (no clock, no I/O); :class:`RateLimit`
wraps it with an asyncio wait. Why not ``aiolimiter``: its leaky bucket lets a full
bucket's burst through and then keeps draining, so it admits up to twice the budget in
one rolling window, which is exactly what makes Kore answer 429. A sliding log is exact.
For a budget shared by several processes see :mod:`korecampaign_async.ratelimit.shared`.
"""

from __future__ import annotations

import asyncio
import bisect
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

from ..errors import InvalidParameterError

__all__ = ["PRESETS", "RateLimit", "RateLimiter", "SlidingWindowLog", "parse_windows"]

Window = tuple[int, float]

#: Published Kore.ai tiers (rate-limits.md): (requests, seconds) windows checked together.
PRESETS: dict[str, tuple[Window, ...]] = {
    "runtime": ((600, 60.0), (18_000, 3_600.0)),
    "designtime": ((60, 60.0), (1_800, 3_600.0)),
    "admin": ((60, 60.0), (1_800, 3_600.0)),
}

_UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}
_WINDOW_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*\.?\d*)\s*([a-z]*)\s*$")


def parse_windows(spec: str) -> tuple[Window, ...]:
    """Parse ``"600/60s,18000/1h"`` (or a preset name, or ``"10/s"``) into windows."""
    spec = spec.strip()
    if spec in PRESETS:
        return PRESETS[spec]
    windows: list[Window] = []
    for part in spec.split(","):
        m = _WINDOW_RE.match(part.lower())
        unit = m.group(3) if m else ""
        if not m or (unit not in _UNITS and unit != ""):
            raise InvalidParameterError(
                "rate_limit",
                spec,
                "'N/PERIOD' windows such as '600/60s,18000/1h' (units ms, s, m, h) or a preset: " + ", ".join(PRESETS),
            )
        amount = float(m.group(2)) if m.group(2) else 1.0
        windows.append((int(m.group(1)), amount * _UNITS[unit or "s"]))
    return _check_windows(windows)


def _check_windows(windows: Iterable[Window]) -> tuple[Window, ...]:
    out = tuple((int(n), float(p)) for n, p in windows)
    if not out or any(n < 1 or p <= 0 for n, p in out):
        raise InvalidParameterError("rate_limit", out, "at least one window of N >= 1 requests per period > 0 s")
    return out


class SlidingWindowLog:
    """Exact rolling-window accounting over several windows at once.

    Keeps the timestamps of the most recent ``max(N)`` admissions; a new request may go at
    ``now`` when every window ``(N, period)`` holds fewer than ``N`` timestamps in
    ``(now - period - margin, now]``. ``margin`` absorbs latency jitter between this
    clock and the server's.
    """

    def __init__(self, windows: Sequence[Window], *, margin: float = 0.0) -> None:
        self.windows = _check_windows(windows)
        self.margin = margin
        self._stamps: list[float] = []
        self._keep = max(n for n, _ in self.windows)

    def delay(self, now: float) -> float:
        """Seconds to wait before a request may be admitted at ``now`` (0 = go now)."""
        wait = 0.0
        stamps = self._stamps
        for limit, period in self.windows:
            horizon = now - period - self.margin
            inside = len(stamps) - bisect.bisect_right(stamps, horizon)
            if inside >= limit:
                blocking = stamps[len(stamps) - limit]  # the oldest stamp that must leave
                wait = max(wait, blocking + period + self.margin - now)
        return wait

    def record(self, now: float) -> None:
        """Count one admission at ``now``."""
        self._stamps.append(now)
        if len(self._stamps) > 2 * self._keep:
            del self._stamps[: len(self._stamps) - self._keep]


@runtime_checkable
class RateLimiter(Protocol):
    """What the client needs from a rate limit: wait until one request may be sent."""

    async def acquire(self) -> object:
        """Return when one request may be sent now (with anything the limiter wants back
        about this request, or ``None``)."""
        ...


class RateLimit:
    """An in-process request budget shared by every call of one client.

    ``RateLimit(requests=600, per=60)`` is one rolling window;
    ``RateLimit.windows((600, 60), (18_000, 3_600))`` checks several together;
    ``RateLimit.preset("runtime")`` uses the published tier. Waiters are served in order.
    """

    def __init__(
        self,
        requests: int | None = None,
        per: float | None = None,
        *,
        windows: Sequence[Window] | None = None,
        margin: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if windows is None:
            if requests is None or per is None:
                raise InvalidParameterError(
                    "rate_limit", (requests, per), "requests=N and per=SECONDS, or windows=[...]"
                )
            windows = [(requests, per)]
        self._log = SlidingWindowLog(windows, margin=margin)
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self.waited_seconds = 0.0

    @property
    def limits(self) -> tuple[Window, ...]:
        """The configured windows as ``(requests, seconds)`` pairs."""
        return self._log.windows

    @classmethod
    def windows(cls, *windows: Window, margin: float = 0.05) -> RateLimit:
        """Several rolling windows, all checked together."""
        return cls(windows=list(windows), margin=margin)

    @classmethod
    def preset(cls, name: str) -> RateLimit:
        """A published Kore.ai tier: ``runtime``, ``designtime`` or ``admin``."""
        if name not in PRESETS:
            raise InvalidParameterError("rate_limit preset", name, "one of " + ", ".join(PRESETS))
        return cls(windows=PRESETS[name])

    @classmethod
    def parse(cls, spec: str) -> RateLimit:
        """From a spec such as ``"600/60s,18000/1h"`` or a preset name."""
        return cls(windows=parse_windows(spec))

    def requests_per_second(self) -> float:
        """The sustained rate the tightest window allows."""
        return min(n / p for n, p in self._log.windows)

    async def acquire(self) -> None:
        """Wait until every window has room, then count the request."""
        async with self._lock:
            while True:
                now = self._clock()
                wait = self._log.delay(now)
                if wait <= 0:
                    self._log.record(now)
                    return
                self.waited_seconds += wait
                await self._sleep(wait)

    def __repr__(self) -> str:
        spec = ",".join(f"{n}/{p:g}s" for n, p in self._log.windows)
        return f"RateLimit({spec!r})"

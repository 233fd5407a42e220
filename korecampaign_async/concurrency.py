"""Adaptive in-flight limit (AIMD) and the client-wide ``Retry-After`` pause.

One :class:`AdaptiveConcurrency` per client bounds how many requests are in flight.
With ``adaptive=True`` a 429 halves the limit (multiplicative decrease, floor 1) and a
run of successes as long as the current limit raises it by one (additive increase,
ceiling ``max_limit``), as TCP congestion control does. Only a 429 for a request that
*started after* the last decrease lowers the limit again, so one burst of 429s from the
same window counts once. A ``Retry-After`` pauses every new request of the client
until it passes, not only the one that received it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

__all__ = ["AdaptiveConcurrency"]


class AdaptiveConcurrency:
    """Bound and adapt the number of concurrent requests.

    Args:
        max_limit: the ceiling (``max_concurrency`` of the client).
        adaptive: adapt on 429 / success; when False the limit stays at ``max_limit``.
        clock: monotonic clock, injectable for tests.
        sleep: coroutine used to wait out a pause, injectable for tests.
    """

    def __init__(
        self,
        max_limit: int,
        *,
        adaptive: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if max_limit < 1:
            raise ValueError("max_limit must be >= 1")
        self.max_limit = max_limit
        self.limit = max_limit
        self.adaptive = adaptive
        self.in_flight = 0
        self.paused_seconds = 0.0
        self.decreases = 0
        self._clock = clock
        self._sleep = sleep
        self._paused_until = 0.0
        self._successes = 0
        self._started = 0  # sequence number of the last request admitted
        self._last_decrease_seq = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> int:
        """Wait for a slot (and for any pause to pass); return the request's sequence number."""
        await self._wait_pause()
        if self.in_flight >= self.limit or self._waiters:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut
            except BaseException:
                if fut.done() and not fut.cancelled():
                    # we were handed a slot but are leaving: give it back
                    self.in_flight -= 1
                    self._wake()
                elif fut in self._waiters:
                    self._waiters.remove(fut)
                raise
        else:
            self.in_flight += 1
        self._started += 1
        return self._started

    def release(self) -> None:
        """Give back the slot taken by :meth:`acquire`."""
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            fut = self._waiters.popleft()
            if not fut.done():
                self.in_flight += 1
                fut.set_result(None)

    async def _wait_pause(self) -> None:
        while True:
            remaining = self._paused_until - self._clock()
            if remaining <= 0:
                return
            start = self._clock()
            await self._sleep(remaining)
            self.paused_seconds += self._clock() - start

    def pause(self, seconds: float) -> None:
        """Hold every request not yet sent for ``seconds`` (from a ``Retry-After``)."""
        if seconds > 0:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def on_success(self) -> None:
        """Record a successful response; additive increase after ``limit`` successes."""
        if not self.adaptive or self.limit >= self.max_limit:
            return
        self._successes += 1
        if self._successes >= self.limit:
            self._successes = 0
            self.limit += 1
            self._wake()

    def on_throttled(self, seq: int) -> None:
        """Record a 429 for the request numbered ``seq``; multiplicative decrease."""
        if not self.adaptive or seq <= self._last_decrease_seq:
            return
        self._last_decrease_seq = self._started
        self._successes = 0
        new = max(1, self.limit // 2)
        if new < self.limit:
            self.limit = new
            self.decreases += 1

"""Adaptive in-flight limit (AIMD) and the client-wide ``Retry-After`` pause.

One :class:`AdaptiveConcurrency` per client bounds how many requests are in flight.
With ``adaptive=True`` a 429 that signals congestion (see :meth:`AdaptiveConcurrency.is_congested`)
halves the limit (multiplicative decrease, floor 1) and a
run of successes as long as the current limit raises it by one (additive increase,
ceiling ``max_limit``), as TCP congestion control does. Only a 429 for a request that
*started after* the last decrease lowers the limit again, so one burst of 429s from the
same window counts once. Its ``Retry-After`` pauses every new request of the client
until it passes, not only the one that received it. A stray 429 (isolated, short
``Retry-After``) only delays its own retry.

Concurrency alone cannot respect a *rate* limit when responses are fast: any in-flight
limit sends as fast as the server answers. So when the budget is clearly exhausted (a long
``Retry-After``, or half of the recent answers are 429s) the episode also *learns a pace*:
the server admitted ``S`` requests in the cycle that just ended, and the window frees
after ``Retry-After``, so its budget is about ``S / (cycle + Retry-After)`` requests per
second. Requests are then spaced at 95 % of that estimate; after
``probe_after`` seconds without a 429 the pace grows by ``probe_step`` (compounded) per
second, so a limit that was raised (or an estimate that was low) is found again, and once
it has doubled without a 429 pacing is dropped altogether.

A request waiting to be retried (backoff or ``Retry-After``) holds no slot: it *rests*
through :meth:`AdaptiveConcurrency.rest`, which counts it in ``resting`` so a stream can put
a spare worker on the slot meanwhile (:meth:`AdaptiveConcurrency.wait_for_rest`).

**429s without ``Retry-After``** (Kore documents none) cannot say when the window frees.
When they are budget-shaped the client *holds*: every request waits, then a single probe
goes out; each probe refused makes the next wait longer (``hold_initial``, growing by
``hold_growth`` up to ``hold_max``), so a 2 s window costs a probe or two and a 1 h window a
few dozen, never a storm. When a probe is admitted the window has freed: the requests the
server admitted over the recent run (since the client was last idle, at most the last hour)
divided by its length is the rate the binding window allows, and the client paces at 95 %
of it. A second, longer window shows itself the same way (a long hold after a burst that
the short window allowed) and lowers the pace again. A pace learned from a hold is not
probed above the rate it measured: the windows that set it do not move.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from .inference import WindowInference
from .windows import SlidingWindowLog, Window

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
        learn_rate: bool = True,
        infer_windows: bool = True,
        long_retry_after: float = 1.0,
        congestion_count: int = 5,
        congestion_window: int = 20,
        probe_after: float = 5.0,
        probe_step: float = 0.05,
        hold_initial: float = 1.0,
        hold_growth: float = 1.5,
        hold_max: float = 60.0,
        idle_reset: float = 60.0,
        on_hold: Callable[[float, float], None] | None = None,
        on_windows: Callable[[list[Window]], None] | None = None,
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
        self.resting = 0  # requests sleeping before a retry (they hold no slot)
        self._rest_waiters: list[asyncio.Future[None]] = []
        # congestion detection: outcomes of the recent responses (True = 429)
        self.long_retry_after = long_retry_after
        self.congestion_count = congestion_count
        self._recent: deque[bool] = deque(maxlen=congestion_window)
        # learned pacing
        self.learn_rate = learn_rate and adaptive
        self.probe_after = probe_after
        self.probe_step = probe_step
        self.pace: float | None = None  # requests per second, None = not paced
        self._pace_set_at = 0.0
        self._next_slot = 0.0
        self._cycle_start: float | None = None  # first request of the current cycle
        self._cycle_successes = 0
        # holds (budget-shaped 429s without Retry-After)
        self.hold_initial = hold_initial
        self.hold_growth = hold_growth
        self.hold_max = hold_max
        self.on_hold = on_hold  # called with (wait, waited so far) each time a hold is set or grows
        self.holds = 0  # holds so far
        self._hold_wait: float | None = None  # the current hold's wait; None = not holding
        self._hold_since = 0.0
        self._hold_seq = 0  # requests numbered above this one are probes of the hold
        self._limit_after_hold = max_limit
        self._pace_cap: float | None = None  # the rate a hold measured: never probed above
        # the recent run, for measuring the rate a window allows
        self.idle_reset = idle_reset
        self._run_start: float | None = None
        self._last_success = 0.0
        self._buckets: deque[list[float]] = deque(maxlen=3700)  # [second, successes] over the last hour
        # the server's windows, inferred from the send log (no Retry-After needed)
        self.inference = WindowInference() if self.learn_rate and infer_windows else None
        self.on_windows = on_windows
        self.learned_windows: list[Window] = []
        self._windows: SlidingWindowLog | None = None
        self._spacing = 0.0  # with learned windows: sends at least this far apart (no bursts)
        self._next_send = 0.0
        self._sent_at: dict[int, float] = {}
        #: a budget shared by a fleet (``RedisRateLimit``): its log holds every process's
        #: requests, so windows are inferred from it and paced by it (see :meth:`share`)
        self._shared: Any = None
        self._inferring: asyncio.Task[None] | None = None
        self._adopting: asyncio.Task[None] | None = None
        self._probing = False  # this worker probes its fleet's hold (see _fleet_hold)
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def holding(self) -> bool:
        """True while budget-shaped 429s without ``Retry-After`` hold the client."""
        return self._hold_wait is not None

    @property
    def paused_until(self) -> float:
        """The clock time before which no request is sent (a pause or a hold)."""
        return self._paused_until

    def current_pace(self, now: float | None = None) -> float | None:
        """The pace in requests per second right now (with probing growth), or None."""
        if self.pace is None:
            return None
        now = self._clock() if now is None else now
        quiet = now - self._pace_set_at - self.probe_after
        if quiet <= 0:
            return self.pace
        grown: float = self.pace * (1 + self.probe_step) ** quiet
        if self._pace_cap is not None:  # measured by a hold: the windows that set it stay put
            return min(grown, self._pace_cap)
        if grown > 2 * self.pace:  # no 429 while doubling the pace: the limit is not binding
            self.pace = None
            return None
        return grown

    async def _wait_pace(self) -> None:
        while True:
            now = self._clock()
            pace = self.current_pace(now)
            if pace is None:
                return
            slot = max(now, self._next_slot)
            if slot <= now:
                self._next_slot = now + 1.0 / pace
                return
            await self._sleep(slot - now)

    def try_acquire(self) -> int | None:
        """Take a slot at once if nothing stands in the way (no pause, no pace, a free slot,
        nobody queued before us); return the request's sequence number, else ``None``.
        The common case of :meth:`acquire`, without creating a coroutine."""
        if self.pace is None and self.in_flight < self.limit and not self._waiters:
            now = self._clock()
            if now >= self._paused_until and (self._windows is None or self._window_wait(now) <= 0):
                self.in_flight += 1
                return self._admit(now)
        return None

    def _admit(self, now: float) -> int:
        """Number the request about to be sent, count it in the learned windows, log its time."""
        self._started += 1
        if self._cycle_start is None:
            self._cycle_start = now
        if self._windows is not None:
            self._windows.record(now)
            self._next_send = now + self._spacing
        if self.inference is not None:
            if len(self._sent_at) > 10_000:  # answers that never came (errors): forget the oldest
                for key in list(self._sent_at)[:5_000]:
                    del self._sent_at[key]
            self._sent_at[self._started] = now
        return self._started

    async def acquire(self) -> int:
        """Wait for a slot, any pause and the pace; return the request's sequence number."""
        seq = self.try_acquire()
        if seq is not None:
            return seq
        while True:
            await self._wait_pause()
            await self._take_slot()
            if self._paused_until > self._clock():
                # a 429 arrived while we queued for the slot: give it back and wait the pause out
                self.release()
                continue
            try:
                await self._wait_pace()
                await self._wait_windows()
            except BaseException:
                self.release()
                raise
            if self._paused_until > self._clock():
                self.release()  # a pause or hold began while we waited for the pace
                continue
            break
        return self._admit(self._clock())

    async def _wait_windows(self) -> None:
        """Wait until every learned window has room (checked and counted without a pause
        between: :meth:`_admit` records the request at once)."""
        while self._windows is not None:
            wait = self._window_wait(self._clock())
            if wait <= 0:
                return
            await self._sleep(wait)

    def _window_wait(self, now: float) -> float:
        """Seconds until the learned windows admit a request sent evenly (spaced by the
        fastest window's rate: a burst that a longer window cuts short costs one 429, not a
        burst of them)."""
        assert self._windows is not None
        return max(self._windows.delay(now), self._next_send - now)

    def share(self, budget: Any) -> None:
        """Infer windows from ``budget``'s fleet-wide log (``shared_sends``) and pace by
        installing them there (``set_windows``), instead of in this process alone."""
        self._shared = budget

    async def _fleet_hold(self) -> None:
        """A fleet's hold: the worker that claims it probes (and learns) as a single process
        does; the others send nothing and take the windows it publishes, or claim the probing
        when it is given up. Windows another worker published already end the hold at once."""
        await self._adopt_shared()
        claim = getattr(self._shared, "claim_probe", None)
        if self._hold_wait is None or claim is None:
            return
        ttl = max(120.0, 2 * self.hold_max)
        while self._hold_wait is not None:
            if await claim(ttl):
                self._probing = True
                return
            self.pause(1.0)  # a follower: no probe leaves while the prober learns
            await self._sleep(0.25)
            await self._adopt_shared()

    async def _adopt_shared(self) -> None:
        """With a fleet, at a hold's start: windows another worker inferred (in the shared
        profile) that this worker does not pace by yet end the hold at once."""
        load = getattr(self._shared, "load_profile", None)
        data = await load() if load is not None else None
        if not data:
            return
        try:
            shared = [(int(n), float(w)) for n, w in json.loads(data).get("windows") or []]
        except (ValueError, TypeError, AttributeError):
            return
        news = [w for w in shared if w not in self.learned_windows]
        if not news or self._hold_wait is None:
            return
        self.learned_windows = sorted({*self.learned_windows, *shared}, key=lambda w: w[1])
        self._shared.set_windows(self.learned_windows)
        self._hold_wait = None  # paced by them from now on: no probe needed
        self._paused_until = min(self._paused_until, self._clock())
        self.limit = max(1, self._limit_after_hold)
        self._wake()

    async def _infer_shared(self) -> None:
        """At a hold's end, with a fleet: the windows the whole fleet's log shows."""
        assert self.inference is not None
        sends = await self._shared.shared_sends(3_700.0)
        if sends is not None:
            self.inference.replace_admissions(sends)
        windows = self.inference.infer(self.learned_windows)
        if windows != self.learned_windows:
            self.learned_windows = windows
            self._shared.set_windows(windows)
            if self.on_windows is not None:
                self.on_windows(list(windows))

    def sending(self, seq: int, at: float | None = None) -> None:
        """The request numbered ``seq`` leaves now (after a configured budget held it), or was
        counted at ``at`` by a fleet's shared log (the clock its admissions are read with)."""
        if seq in self._sent_at:
            self._sent_at[seq] = self._clock() if at is None else at

    def install_windows(self, windows: Sequence[Window]) -> None:
        """Pace by ``windows`` from now on (learned, or remembered from an earlier run)."""
        learned = [(int(n), float(w)) for n, w in windows if n >= 1 and w > 0]
        self.learned_windows = learned
        if not learned:
            self._windows = None
            return
        log = SlidingWindowLog(learned, margin=0.05)
        self._spacing = min(w / n for n, w in learned)
        if self.inference is not None:  # what was sent within the longest window still counts
            horizon = self._clock() - max(w for _, w in learned) - 0.05
            for at in self.inference.recent_admissions(horizon):
                log.record(at)
        self._windows = log
        self.pace = None  # the windows pace exactly; a rate estimate would only slow them
        self._pace_cap = None

    async def _take_slot(self) -> None:
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return
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

    async def rest(self, seconds: float) -> None:
        """Sleep ``seconds`` before a retry, counted in ``resting`` meanwhile (the request
        holds no slot while it rests; spare workers may use it)."""
        self.resting += 1
        waiters, self._rest_waiters = self._rest_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)
        try:
            await self._sleep(seconds)
        finally:
            self.resting -= 1

    async def wait_for_rest(self) -> None:
        """Return when the next request starts resting (see :meth:`rest`)."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._rest_waiters.append(fut)
        try:
            await fut
        finally:
            if fut in self._rest_waiters:  # left early (cancelled)
                self._rest_waiters.remove(fut)

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
            await self._sleep(remaining)

    def pause(self, seconds: float) -> None:
        """Hold every request not yet sent for ``seconds`` (from a ``Retry-After``)."""
        if seconds > 0:
            now = self._clock()
            until = now + seconds
            if until > self._paused_until:
                # wall-clock time covered by pauses (overlapping pauses count once)
                self.paused_seconds += until - max(self._paused_until, now)
                self._paused_until = until

    def on_success(self, seq: int | None = None) -> None:
        """Record a successful response (of the request numbered ``seq``); additive
        increase after ``limit`` successes; the end of a hold when a request sent after it
        began (a probe) was admitted."""
        self._cycle_successes += 1
        self._recent.append(False)
        now = self._clock()
        if self.inference is not None and seq is not None:
            sent = self._sent_at.pop(seq, None)
            if sent is not None:
                self.inference.admitted(sent)
                self.inference.round_trip(now - sent)
        if self._run_start is None or now - self._last_success > self.idle_reset:
            self._run_start = now
            self._buckets.clear()
        self._last_success = now
        second = float(int(now))
        buckets = self._buckets
        if buckets and buckets[-1][0] == second:
            buckets[-1][1] += 1
        else:
            buckets.append([second, 1.0])
        if self._hold_wait is not None and (seq is None or seq > self._hold_seq):
            self._end_hold(now)
        if not self.adaptive or self.limit >= self.max_limit:
            return
        self._successes += 1
        if self._successes >= self.limit:
            self._successes = 0
            self.limit += 1
            self._wake()

    def is_congested(self, retry_after: float | None) -> bool:
        """Does the latest 429 look like the budget running out (rather than a stray one)?

        Yes when the server asks for a long wait (``Retry-After >= long_retry_after``) or when
        429s are frequent among the recent responses (``>= congestion_count`` of the last
        ``len(recent)``). A stray 429 (a proxy hiccup, a random fault) only delays its own
        retry: pausing the whole client or halving its concurrency for it would cost far more
        throughput than the one request."""
        if retry_after is not None and retry_after >= self.long_retry_after:
            return True
        return sum(self._recent) >= self.congestion_count

    def measured_rate(self, now: float | None = None) -> float | None:
        """Successes per second over the recent run (since the client was last idle, at
        most the last hour), or ``None`` before any success."""
        now = self._clock() if now is None else now
        if self._run_start is None:
            return None
        start = max(self._run_start, now - 3600.0)
        span = now - start
        if span <= 0:
            return None
        first = float(int(start))
        count = sum(c for sec, c in self._buckets if sec >= first)
        return count / span

    def _start_hold(self, now: float) -> None:
        if self._shared is not None and self.inference is not None:
            with contextlib.suppress(RuntimeError):  # one worker of a fleet probes, the others wait
                self._adopting = asyncio.get_running_loop().create_task(self._fleet_hold())
        self.holds += 1
        self._hold_since = now
        self._limit_after_hold = max(1, self.limit // 2)
        self.limit = 1  # one probe at a time while holding
        self._hold(self.hold_initial, now)

    def _in_background(self, job: Awaitable[Any]) -> None:
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to tell the fleet
            task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(job)  # type: ignore[arg-type]
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _grow_hold(self, now: float) -> None:
        assert self._hold_wait is not None
        if self._probing:  # still probing: keep the claim
            self._in_background(self._shared.claim_probe(max(120.0, 2 * self.hold_max), refresh=True))
        self._hold(min(self._hold_wait * self.hold_growth, self.hold_max), now)

    def _hold(self, wait: float, now: float) -> None:
        """Hold every request for ``wait``; requests admitted after now are its probes. With
        a send log, the probe goes as soon as a window length servers use would free a slot
        (see :meth:`~korecampaign_async.ratelimit.inference.WindowInference.next_admission`),
        when that is sooner: a refused probe rules that length out."""
        self._hold_wait = wait
        if self.inference is not None:
            at = self.inference.next_admission(now)
            if at is not None:
                wait = min(wait, max(0.05, at - now + 0.05))
        self._hold_seq = self._started
        self.pause(wait)
        if self.on_hold is not None:
            self.on_hold(wait, now - self._hold_since)

    def _end_hold(self, now: float) -> None:
        """A probe was admitted: the window freed. Pace by the windows the send log shows
        (:mod:`.inference`); when it cannot tell yet, at 95 % of the rate it allowed."""
        self._hold_wait = None
        if self._probing:
            self._probing = False
            self._in_background(self._shared.release_probe())
        if self.inference is not None and self._shared is not None:
            with contextlib.suppress(RuntimeError):  # no running loop: nothing to infer with
                self._inferring = asyncio.get_running_loop().create_task(self._infer_shared())
        elif self.inference is not None:
            windows = self.inference.infer(self.learned_windows)
            if windows != self.learned_windows:
                self.install_windows(windows)
                if self.on_windows is not None:
                    self.on_windows(list(windows))
        rate = self.measured_rate(now)
        learned = self._windows is not None or self._shared is not None
        if not learned and self.learn_rate and rate is not None and rate > 0:
            self.pace = 0.95 * rate
            self._pace_cap = rate
            self._pace_set_at = now
            self._next_slot = now
            self._cycle_start = None
            self._cycle_successes = 0
        self.limit = max(1, self._limit_after_hold)
        self._successes = 0
        self._wake()

    def on_throttled(self, seq: int, retry_after: float | None = None) -> bool:
        """Record a 429 for the request numbered ``seq``. When it signals congestion: pause
        every new request for ``retry_after`` and halve the limit (once per episode: only a
        429 for a request sent after the last decrease lowers it again). When the budget is
        clearly exhausted, also learn a pace from the successes since the last estimate.
        Returns whether the 429 was treated as congestion."""
        self._recent.append(True)
        if not self.adaptive:
            return False
        now = self._clock()
        sent = self._sent_at.pop(seq, None)
        if self.inference is not None and sent is not None and retry_after is None:
            self.inference.refused(sent)
            self.inference.round_trip(now - sent)
        if retry_after is None and self._hold_wait is not None:
            if seq > self._hold_seq:  # a probe sent after the hold began was refused: wait longer
                self._grow_hold(now)
            return True  # sent before the hold began: part of the same burst
        # With a send log, a 429 without Retry-After is evidence of a full window (Kore's
        # 429s come without one): hold at once, and let the log say which window it was
        # (a stray 429 costs a short hold: the first round length that could free a slot).
        evidence = retry_after is None and self.inference is not None and sent is not None
        if not evidence and not self.is_congested(retry_after):
            return False
        if retry_after is not None:
            self.pause(retry_after)
            if self.on_hold is not None and retry_after >= self.hold_initial * 5:
                self.on_hold(retry_after, 0.0)
        else:
            # budget-shaped and no hint when the window frees: hold, probing one at a time
            self._start_hold(now)
            return True
        severe = (retry_after or 0.0) >= self.long_retry_after or 2 * sum(self._recent) >= len(self._recent)
        if self.learn_rate and severe and self._cycle_successes >= 3 and self._cycle_start is not None:
            window = max(1e-3, now - self._cycle_start + (retry_after or 0.0))
            self.pace = 0.95 * self._cycle_successes / window
            self._pace_cap = None  # a new estimate: a cap measured by an earlier hold no longer applies
            self._pace_set_at = now
            self._next_slot = now + (retry_after or 0.0)
            self._cycle_start = None
            self._cycle_successes = 0
        if seq > self._last_decrease_seq:
            self._last_decrease_seq = self._started
            self._successes = 0
            new = max(1, self.limit // 2)
            if new < self.limit:
                self.limit = new
                self.decreases += 1
        return True

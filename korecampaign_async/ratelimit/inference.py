"""The server's rolling windows, inferred from a client's own send log. Pure code, an
injectable clock nowhere needed: it is fed times and asked questions.

A server that limits requests with rolling windows ``(L, W)`` ("at most ``L`` requests in any
``W`` seconds", several checked together, as Kore does) leaves evidence in every answer:

* an **admission** at ``t`` says that, for every window, fewer than ``L`` of the requests it
  counted fell in ``(t - W, t)``: for a candidate length ``W`` the limit is at least the most
  admissions ever seen inside one span of ``W`` seconds (``L_W``);
* a **refusal** (a 429) at ``r`` says that *some* window was full: for its length ``W``, at
  least ``L`` admissions fell in ``(r - W, r)``.

A candidate ``W`` explains a refusal when the admissions in ``(r - W, r)`` reach ``L_W``. The
lengths that explain every refusal the known windows do not, while the admissions bound ``L``
from below, bracket the window: too short, and the refused request's window was not full; too
long, and a later admission would have been refused. The client probes one request at a time
while a window is full (its *hold*), so the bracket ends at the admission that found it free.

From the bracket a window is chosen the way a server is configured: one of Kore's published
tiers when it fits (:data:`~korecampaign_async.ratelimit.windows.PRESETS`), else the *roundest*
length in the bracket (whole minutes, then whole seconds, then halves, tenths...): a window of
2 s probed at 1.44 s (refused) and 2.05 s (admitted) is 2 s, not 2.05 s. A wrong choice (too
short) is corrected by the next 429, whose evidence rules it out. Requests are then paced
exactly by the inferred windows (a sliding-window log), as if they had been configured.

Only this client's requests are in its log: a fleet sharing one budget must share the log too
(configure a :class:`~korecampaign_async.ratelimit.RedisRateLimit`).
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Iterable, Sequence

from .windows import PRESETS, Window

__all__ = ["WindowInference", "roundest"]

#: Candidate window lengths are checked on a geometric grid this fine (1 %).
GRID_STEP = 0.01
#: The shortest and longest windows considered (seconds).
MIN_WINDOW, MAX_WINDOW = 0.05, 4_000.0
#: The jitter between this client's clock and the server's that evidence is read with (plus 2 %
#: of a window's length): a stall of the client's event loop or the network bunches requests the
#: client spaced. A window whose every fitting length is shorter than it is noise, not a window.
JITTER = 0.05
#: Admissions kept (the most recent), for the longest windows.
HISTORY = 20_000
#: Round trips kept (the most recent) to measure how late our times may be at the server.
ROUND_TRIPS = 64
#: Refusals kept (the most recent).
REFUSALS = 200
#: Window lengths servers are configured with, tried in turn while a window is full (each
#: probe that is refused rules one out): the next probe goes when the first of them would
#: free a slot, not later.
ROUND_LENGTHS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600)
_TIERS = sorted({w for tier in PRESETS.values() for w in tier}, key=lambda w: w[1])


def roundest(low: float, high: float) -> float:
    """The roundest length in ``(low, high]``: the one with the fewest significant digits,
    the largest among ties (so the choice stays on the safe side). ``high`` when none is rounder."""
    if high <= low:
        return high
    for unit in (3600.0, 600.0, 60.0, 30.0, 10.0, 5.0, 1.0, 0.5, 0.25, 0.1, 0.05, 0.01):
        top = math.floor(high / unit) * unit
        if top > low + 1e-9 and top > 0:
            return round(top, 6)
    return high


def _grid(low: float, high: float) -> list[float]:
    out = []
    w = max(MIN_WINDOW, low)
    while w <= high:
        out.append(w)
        w *= 1 + GRID_STEP
    return out


class WindowInference:
    """The send log of one client and what it says about the server's windows."""

    def __init__(self) -> None:
        self._admitted: deque[float] = deque(maxlen=HISTORY)
        self._refused: deque[float] = deque(maxlen=REFUSALS)
        self._round_trips: deque[float] = deque(maxlen=ROUND_TRIPS)

    def round_trip(self, seconds: float) -> None:
        """A request took ``seconds`` from its logged time to its answer: the time it reached
        the server is somewhere in between (a loaded event loop or network widens it)."""
        if seconds >= 0:
            self._round_trips.append(seconds)

    @property
    def jitter(self) -> float:
        """How far apart our time of a request and the server's may be: :data:`JITTER`, or the
        longest recent round trip when the requests take longer (a request is never seen by
        the server later than its answer comes back)."""
        return max(JITTER, max(self._round_trips, default=0.0))

    def admitted(self, at: float) -> None:
        """A request sent at ``at`` was admitted."""
        log = self._admitted
        if not log or at >= log[-1]:
            log.append(at)
        else:  # answers arrive out of order; sends are kept in order
            items = list(log)
            bisect.insort(items, at)
            log.clear()
            log.extend(items[-HISTORY:])

    def replace_admissions(self, stamps: Iterable[float]) -> None:
        """Use ``stamps`` as the admissions (a fleet's shared log: every process's requests)."""
        self._admitted.clear()
        self._admitted.extend(sorted(stamps)[-HISTORY:])

    def refused(self, at: float) -> None:
        """A request sent at ``at`` was refused (a 429 of the budget)."""
        self._refused.append(at)

    @property
    def admissions(self) -> int:
        return len(self._admitted)

    def recent_admissions(self, after: float) -> list[float]:
        """Send times of the admissions after ``after``, oldest first."""
        stamps = list(self._admitted)
        return stamps[bisect.bisect_right(stamps, after) :]

    # -- questions -----------------------------------------------------------------------------
    def _limit_for(self, stamps: Sequence[float], width: float) -> int:
        """The most admissions seen in one span shorter than ``width`` (the limit is at least that)."""
        best, i = 0, 0
        for j, t in enumerate(stamps):
            while t - stamps[i] >= width:
                i += 1
            best = max(best, j - i + 1)
        return best

    @staticmethod
    def _inside(stamps: Sequence[float], at: float, width: float) -> int:
        """Admissions in ``(at - width, at)``."""
        return bisect.bisect_left(stamps, at) - bisect.bisect_right(stamps, at - width)

    def next_admission(self, now: float) -> float | None:
        """While a window is full (after a refusal): the earliest time after ``now`` at which a
        request would be admitted if the window had one of the :data:`ROUND_LENGTHS` that the
        log does not rule out; ``None`` when the log cannot say."""
        if not self._refused or not self._admitted:
            return None
        stamps = list(self._admitted)
        last = self._refused[-1]
        best: float | None = None
        for width in ROUND_LENGTHS:
            limit = self._limit_for(stamps, width)
            if not limit or self._inside(stamps, last, width) < limit:
                continue  # this length does not explain the last refusal: ruled out
            first = bisect.bisect_right(stamps, now - width)
            inside = len(stamps) - first
            at = now if inside < limit else stamps[first + inside - limit] + width
            best = at if best is None else min(best, at)
        return best

    def explains(self, window: Window, at: float) -> bool:
        """Whether ``window`` was full when the request sent at ``at`` was refused."""
        limit, width = window
        return self._inside(list(self._admitted), at, width) >= limit

    def infer(self, known: Iterable[Window] = ()) -> list[Window]:
        """The windows the log shows: ``known`` ones kept while no admissions exceeded them,
        plus one for each group of refusals they do not explain (none for refusals the log
        cannot bound yet: no admission after them)."""
        stamps = list(self._admitted)
        # a known window stays while no admissions exceeded it (2 % slack in its length: clocks
        # and latency jitter move the edges a little)
        windows = [w for w in known if self._limit_for(stamps, w[1] * 0.98) <= w[0]]
        for _ in range(4):  # a short window, a long one, and room for a correction
            found = self._one_more(stamps, windows)
            if found is None or found in windows:
                break
            windows.append(found)
        return sorted(windows, key=lambda w: w[1])

    def _one_more(self, stamps: list[float], windows: list[Window]) -> Window | None:
        """A window explaining the latest refusal the ``windows`` do not, or ``None``."""
        # a refusal a known window explains, give or take the jitter between our clock and the
        # server's (2 % of its length, and 50 ms or the recent round trips), is that window's:
        # not a sign of another one
        jitter = self.jitter
        open_refusals = [
            r for r in self._refused if not any(self._inside(stamps, r, w * 1.02 + jitter) >= n for n, w in windows)
        ]
        if not open_refusals or not stamps or stamps[-1] <= max(open_refusals):
            return None  # nothing to explain, or no admission after it to bound the window
        last = max(open_refusals)
        high = min(MAX_WINDOW, stamps[-1] - stamps[0] + MIN_WINDOW)
        feasible: list[tuple[float, int]] = []
        for width in _grid(MIN_WINDOW, high):
            limit = self._limit_for(stamps, width)
            if limit and self._inside(stamps, last, width) >= limit:
                feasible.append((width, limit))
        if not feasible:
            return None

        # the lengths that explain the latest refusal; among them those explaining the most of
        # the other open ones (refusals of another, still unknown window do not count against)
        def score(width: float) -> int:
            limit = self._limit_for(stamps, width)
            if not limit or self._inside(stamps, last, width) < limit:
                return -1
            return sum(self._inside(stamps, r, width) >= limit for r in open_refusals)

        scored = [(score(w), w) for w, _ in feasible]
        best = max(s for s, _ in scored)
        lengths = [w for s, w in scored if s == best]
        # the grid is 1 % coarse: find the bracket's ends exactly (a window of 20 s must not
        # look like one of 19.97 s, whose roundest length is 15)
        low, high_w = lengths[0] / (1 + GRID_STEP), lengths[-1]
        inside, outside = high_w, high_w * (1 + GRID_STEP)
        for _ in range(30):
            middle = (inside + outside) / 2
            inside, outside = (middle, outside) if score(middle) == best else (inside, middle)
        high_w = inside
        outside, inside = low, lengths[0]
        for _ in range(30):
            middle = (inside + outside) / 2
            inside, outside = (middle, outside) if score(middle) == best else (inside, middle)
        low = outside
        if high_w < MIN_WINDOW + JITTER:
            # only lengths within the jitter of the shortest considered explain it: requests a
            # stall bunched on their way (seen under load: "19 in 52 ms" beside a 20/1 s window)
            return None
        for limit, width in _TIERS:  # a published tier that fits the evidence
            fits = low < width <= high_w * (1 + GRID_STEP) and self._limit_for(stamps, width) <= limit
            if fits and self._inside(stamps, last, width) >= limit:
                return (limit, width)
        width = roundest(low, high_w)
        return (self._limit_for(stamps, width), width)

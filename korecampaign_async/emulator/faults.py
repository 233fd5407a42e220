"""What goes wrong, on purpose: scripted and random faults, and Kore-style rolling rate
windows (a 429 once a window is full)."""

from __future__ import annotations

import random
import time
from collections import deque
from typing import TYPE_CHECKING, Literal

from ..ratelimit.windows import SlidingWindowLog, parse_windows

if TYPE_CHECKING:
    from .config import EmulatorConfig

__all__ = ["RATE_LIMIT_MESSAGE", "FaultKind", "Faults", "RateGate"]

RATE_LIMIT_MESSAGE = "Rate limit for this API has been reached. Please try again later"

#: A fault a request can get: a status, a dropped connection, a truncated body, an HTML page,
#: or, for writes, ``slow-after-write`` (applied, then answered ``slow_seconds`` late, past the
#: client's timeout) and ``drop-after-write`` (applied, then the connection is dropped).
FaultKind = Literal[
    "429", "500", "502", "503", "504", "drop", "malformed", "html", "slow-after-write", "drop-after-write"
]


class Faults:
    """Scripted faults first (in order, each for one request, optionally for one endpoint),
    then random ones with the configured probabilities."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)
        self._scripted: deque[tuple[FaultKind, str | None]] = deque()

    def inject(self, *faults: FaultKind, endpoint: str | None = None) -> None:
        for fault in faults:
            self._scripted.append((fault, endpoint))

    def jitter(self, high: float) -> float:
        return self._random.uniform(0, high)

    def pick(self, endpoint: str) -> FaultKind | None:
        for i, (fault, target) in enumerate(self._scripted):
            if target is None or target == endpoint:
                del self._scripted[i]
                return fault
        cfg = self.config
        roll = self._random.random()
        for kind, p in (
            ("429", cfg.fault_429),
            ("503", cfg.fault_5xx),
            ("drop", cfg.fault_drop),
            ("malformed", cfg.fault_malformed),
        ):
            if roll < p:
                return kind  # type: ignore[return-value]
            roll -= p
        return None


class RateGate:
    """The configured rolling windows, per stream or per account: ``delay()`` is 0 when a
    request is admitted (and recorded), else the seconds until one would be."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._windows = parse_windows(config.rate_limit) if config.rate_limit else None
        self._logs: dict[str, SlidingWindowLog] = {}

    @property
    def enabled(self) -> bool:
        return self._windows is not None

    def delay(self) -> float:
        if self._windows is None:
            return 0.0
        key = self.config.stream_id if self.config.rate_limit_key == "stream" else self.config.account_id
        log = self._logs.setdefault(key, SlidingWindowLog(self._windows))
        now = time.monotonic()
        wait = log.delay(now)
        if wait <= 0:
            log.record(now)
        return wait

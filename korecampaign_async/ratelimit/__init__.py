"""Rate budgets: how many requests may leave, and how fast.

* :mod:`.windows`: Kore-style rolling windows checked together (``600/60s,18000/1h``), an
  exact sliding-window log per process (:class:`RateLimit`), and the :class:`RateLimiter`
  protocol the transport takes.
* :mod:`.shared`: the same windows shared by every process through Redis
  (:class:`RedisRateLimit`, extra ``redis``).
* :mod:`.concurrency`: adaptive concurrency, the in-flight limit that backs off on 429 as
  one client.

Below the transport, above nothing but the errors. ``from korecampaign_async.ratelimit
import parse_windows`` keeps working.
"""

from __future__ import annotations

from .concurrency import AdaptiveConcurrency
from .shared import RedisRateLimit
from .windows import PRESETS, RateLimit, RateLimiter, SlidingWindowLog, Window, parse_windows

__all__ = [
    "PRESETS",
    "AdaptiveConcurrency",
    "RateLimit",
    "RateLimiter",
    "RedisRateLimit",
    "SlidingWindowLog",
    "Window",
    "parse_windows",
]

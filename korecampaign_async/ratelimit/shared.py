"""A request budget shared by every process and host through Redis.

One Lua script per acquire does the whole sliding-window-log check atomically on the
Redis server, with the Redis server's clock, so processes on hosts with skewed clocks
still share one exact rolling budget and there is no client-side read-modify-write race.
The script checks every window, and records the request only when all have room; when
one is full it returns how long until the oldest blocking request leaves the window.

Needs redis-py (``pip install korecampaign-async[redis]``); the SDK core never imports
this module unless :class:`RedisRateLimit` is used.

If Redis cannot be reached, ``fallback="local"`` (default) switches to an in-process
:class:`~korecampaign_async.ratelimit.RateLimit` at ``fallback_fraction`` of the budget
(each process takes its share, so a fleet of N workers should use about 1/N), logs a
warning (once per cause for the limiter's life: concurrent requests failing together, or
every reconnect attempt failing the same way, say it once), and tries Redis again every
``reconnect_after`` seconds; ``fallback="fail"``
raises :class:`~korecampaign_async.errors.RateLimiterUnavailableError`. Never unlimited.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import time
from collections.abc import Sequence
from typing import Any, Literal

from ..errors import InvalidParameterError, RateLimiterUnavailableError
from .windows import PRESETS, RateLimit, Window, _check_windows

__all__ = ["RedisRateLimit", "SLIDING_WINDOW_LUA"]

logger = logging.getLogger("korecampaign_async")

#: KEYS[1] zset of admissions; ARGV: member, margin_ms, then (limit, period_ms) pairs.
#: Returns the milliseconds to wait (> 0), or, when admitted, minus the time (Redis's clock,
#: milliseconds) it was counted at: the fleet's log and each worker's refusals then share a clock.
SLIDING_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local margin = tonumber(ARGV[2])
local wait = 0
local longest = 0
for i = 3, #ARGV, 2 do
  local limit = tonumber(ARGV[i])
  local period = tonumber(ARGV[i + 1]) + margin
  if period > longest then longest = period end
  local horizon = now - period
  local inside = redis.call('ZCOUNT', KEYS[1], '(' .. horizon, '+inf')
  if inside >= limit then
    local e = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', '(' .. horizon, 'WITHSCORES', 'LIMIT', limit - 1, 1)
    local w = tonumber(e[2]) + period - now
    if w > wait then wait = w end
  end
end
if wait > 0 then
  return tostring(wait)
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
redis.call('PEXPIRE', KEYS[1], math.ceil(longest) + 1000)
return string.format('%.3f', -now)
"""


#: How long the shared log keeps the fleet's requests (beyond the windows' own lengths), and
#: the limit of the pseudo-window that keeps them (never reached).
RETAIN_SECONDS = 3_700.0
RETAIN_NEVER_FULL = 10**12


class RedisRateLimit:
    """Rolling-window budget shared through Redis.

    Args:
        url: a Redis URL such as ``redis://127.0.0.1:6379/0``.
        key: the Redis key of the budget. Every process using the same key shares it. When
            ``None`` the client binds a default of host + stream id (+ account id when
            ``per="account"``).
        windows: ``(requests, seconds)`` pairs checked together (default: the runtime tier).
        per: ``"stream"`` (bot-level limits) or ``"account"`` (account-level limits), used for
            the default key.
        fallback: ``"local"`` or ``"fail"`` when Redis is unreachable.
        fallback_fraction: share of the budget the local fallback uses.
        margin: seconds added to each window to absorb network jitter.
        reconnect_after: seconds on the local fallback before Redis is tried again.
        socket_timeout: seconds to wait for Redis (connecting, or an answer) before the
            fallback; a Redis that hangs costs each request in flight at most this long.
    """

    def __init__(
        self,
        url: str,
        *,
        key: str | None = None,
        windows: Sequence[Window] = PRESETS["runtime"],
        per: Literal["stream", "account"] = "stream",
        fallback: Literal["local", "fail"] = "local",
        fallback_fraction: float = 0.5,
        margin: float = 0.05,
        reconnect_after: float = 30.0,
        socket_timeout: float = 5.0,
        client: Any = None,
    ) -> None:
        if fallback not in ("local", "fail"):
            raise InvalidParameterError("fallback", fallback, "'local' or 'fail'")
        if not 0 < fallback_fraction <= 1:
            raise InvalidParameterError("fallback_fraction", fallback_fraction, "a fraction in (0, 1]")
        if per not in ("stream", "account"):
            raise InvalidParameterError("per", per, "'stream' or 'account'")
        self.url = url
        self.key = key
        self.windows = _check_windows(windows)
        self.per = per
        self.fallback = fallback
        self.fallback_fraction = fallback_fraction
        self.margin = margin
        #: set by a Contact Center client: its shared profile is kept apart from v2's
        self.profile_flavour = ""
        self.reconnect_after = reconnect_after
        self.socket_timeout = socket_timeout
        self._client = client
        self._warned: set[str] = set()  # causes already reported (once each)
        self._script: Any = None
        self._local: RateLimit | None = None
        self._degraded_since: float | None = None
        self._ids = itertools.count()
        self._prefix = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}:"
        self.acquired = 0
        self.waited_seconds = 0.0
        # local monotonic time minus Redis time: the smallest difference seen (a late reading
        # only adds the latency and event-loop delay of that moment, never takes any away)
        self._offset: float | None = None
        self._admitted_at: dict[str, float] = {}  # member -> Redis seconds it was counted at

    def bind_default_key(self, host: str, stream_id: str, account_id: str) -> None:
        """Called by the client: set the key from its host and ids if none was given."""
        if self.key is None:
            self.key = f"korecampaign:ratelimit:{host}:{stream_id}"
            if self.per == "account":
                self.key += f":{account_id}"

    @property
    def degraded(self) -> bool:
        """True while the local fallback is in use."""
        return self._degraded_since is not None

    def _redis(self) -> Any:
        if self._client is None:
            try:
                import redis.asyncio as redis_asyncio
            except ImportError as exc:  # pragma: no cover - depends on the extra
                raise RateLimiterUnavailableError(
                    "RedisRateLimit needs redis-py: pip install 'korecampaign-async[redis]'"
                ) from exc
            self._client = redis_asyncio.Redis.from_url(
                self.url, socket_timeout=self.socket_timeout, socket_connect_timeout=self.socket_timeout
            )
        if self._script is None:
            self._script = self._client.register_script(SLIDING_WINDOW_LUA)
        return self._script

    def _argv(self, member: str) -> list[Any]:
        args: list[Any] = [member, self.margin * 1000]
        for limit, period in self.windows:
            args += [limit, period * 1000]
        # a window that never fills: the log keeps the last hour of the fleet's requests, the
        # history window inference reads (korecampaign_async.ratelimit.inference)
        return [*args, RETAIN_NEVER_FULL, RETAIN_SECONDS * 1000]

    async def acquire(self) -> str | None:
        """Wait until the shared budget has room, then count the request in it. Returns the
        request's entry in the shared log (:meth:`forget` takes it back when the server
        refused the request), or ``None`` on the local fallback."""
        if self.key is None:
            self.key = "korecampaign:ratelimit:default"
        if self._degraded_since is not None:
            if time.monotonic() - self._degraded_since < self.reconnect_after:
                assert self._local is not None
                await self._local.acquire()
                return None
            self._degraded_since = None  # time to try Redis again
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        try:
            script = self._redis()
            while True:
                member = f"{self._prefix}{next(self._ids)}"
                wait_ms = float(await script(keys=[self.key], args=self._argv(member)))
                if wait_ms <= 0:
                    self.acquired += 1
                    if wait_ms < 0:  # the time it was counted at (older scripts answered 0)
                        self._observe_offset(-wait_ms / 1000, time.monotonic())
                        if len(self._admitted_at) > 20_000:
                            self._admitted_at.clear()
                        self._admitted_at[member] = -wait_ms / 1000
                    return member
                self.waited_seconds += wait_ms / 1000
                await asyncio.sleep(wait_ms / 1000)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            if self.fallback == "fail":
                raise RateLimiterUnavailableError(
                    f"Redis rate limit store {self._safe_url()} unreachable: {exc}"
                ) from None
            if self._local is None:
                scaled = [(max(1, int(n * self.fallback_fraction)), p) for n, p in self.windows]
                self._local = RateLimit(windows=scaled, margin=self.margin)
            cause = type(exc).__name__
            if cause not in self._warned:
                self._warned.add(cause)
                logger.warning(
                    "Redis rate limit store %s unreachable (%s); using a local limiter at %.0f%% of the budget, "
                    "trying Redis again every %gs",
                    self._safe_url(),
                    exc or cause,
                    self.fallback_fraction * 100,
                    self.reconnect_after,
                )
            if self._degraded_since is None:
                self._degraded_since = time.monotonic()
            await self._local.acquire()
            return None

    # -- windows learned by the fleet (korecampaign_async.ratelimit.inference) -------------------
    def set_windows(self, windows: Sequence[Window]) -> None:
        """Pace by ``windows`` too (the ones configured stay: every window is checked)."""
        merged = {(int(n), float(p)) for n, p in (*self.windows, *windows)}
        self.windows = _check_windows(sorted(merged, key=lambda w: w[1]))

    async def claim_probe(self, ttl: float, *, refresh: bool = False) -> bool:
        """Become the one worker of the fleet that probes a full window (the others wait for
        what it learns): ``True`` when this worker holds the claim (for ``ttl`` seconds)."""
        from redis.exceptions import RedisError

        name = f"{self.key or 'korecampaign:ratelimit:default'}:prober"
        try:
            self._redis()
            if refresh:
                return bool(await self._client.set(name, self._prefix, px=int(ttl * 1000), xx=True))
            if await self._client.set(name, self._prefix, px=int(ttl * 1000), nx=True):
                return True
            owner = await self._client.get(name)
            return owner is not None and bytes(owner).decode() == self._prefix
        except (RedisError, OSError):
            return True  # Redis away: probe alone, as a single process does

    async def release_probe(self) -> None:
        """Give up the claim of :meth:`claim_probe` (when this worker's hold ended)."""
        from redis.exceptions import RedisError

        name = f"{self.key or 'korecampaign:ratelimit:default'}:prober"
        with contextlib.suppress(RedisError, OSError):
            self._redis()
            owner = await self._client.get(name)
            if owner is not None and bytes(owner).decode() == self._prefix:
                await self._client.delete(name)

    async def forget(self, member: str) -> None:
        """Take a request the server refused out of the shared log: the server did not count it."""
        from redis.exceptions import RedisError

        with contextlib.suppress(RedisError, OSError):
            self._redis()
            await self._client.zrem(self.key, member)

    def _observe_offset(self, redis_seconds: float, local: float) -> None:
        offset = local - redis_seconds
        if self._offset is None or offset < self._offset:
            self._offset = offset

    def admitted_at(self, member: str) -> float | None:
        """When the shared log counted ``member``, on this process's ``time.monotonic`` clock
        mapped as :meth:`shared_sends` maps the fleet's log (``None`` if unknown): a refusal
        is placed on the same clock as the admissions it is compared with."""
        at = self._admitted_at.pop(member, None)
        if at is None or self._offset is None:
            return None
        return at + self._offset

    async def shared_sends(self, horizon: float) -> list[float] | None:
        """The fleet's counted requests of the last ``horizon`` seconds, as times on this
        process's ``time.monotonic`` clock (Redis keeps them on its own), oldest first;
        ``None`` when Redis cannot be read."""
        from redis.exceptions import RedisError

        try:
            self._redis()
            seconds, micros = await self._client.time()
            redis_now = int(seconds) + int(micros) / 1e6
            self._observe_offset(redis_now, time.monotonic())
            items = await self._client.zrangebyscore(self.key, (redis_now - horizon) * 1000, "+inf", withscores=True)
        except (RedisError, OSError):
            return None
        offset = self._offset
        assert offset is not None
        return sorted(float(score) / 1000 + offset for _, score in items)

    def _safe_url(self) -> str:
        # never print a password embedded in the URL
        from yarl import URL

        url = URL(self.url)
        return str(url.with_password("***")) if url.password else self.url

    # -- what the fleet learned about the server (korecampaign_async.transport.profile) --------
    def _profile_key(self) -> str:
        # one budget, but a profile per API flavour: v2 and Contact Center clients of one bot
        # share the windows' log, not what they learned about paging and addressing
        suffix = f":{self.profile_flavour}" if self.profile_flavour else ""
        return f"{self.key or 'korecampaign:ratelimit:default'}:profile{suffix}"

    async def load_profile(self) -> bytes | None:
        """The server profile the fleet shares (JSON), or ``None`` (none yet, Redis away)."""
        from redis.exceptions import RedisError

        try:
            self._redis()
            value = await self._client.get(self._profile_key())
        except (RedisError, OSError):
            return None
        return bytes(value) if value is not None else None

    async def save_profile(self, data: bytes) -> None:
        """Share a server profile (JSON) with the fleet; a Redis away is not an error here."""
        from redis.exceptions import RedisError

        with contextlib.suppress(RedisError, OSError):
            self._redis()
            await self._client.set(self._profile_key(), data)

    async def forget_profile(self) -> None:
        """Remove the shared server profile."""
        from redis.exceptions import RedisError

        with contextlib.suppress(RedisError, OSError):
            self._redis()
            await self._client.delete(self._profile_key())

    async def close(self) -> None:
        """Close the Redis connection pool."""
        if self._client is not None:
            await self._client.aclose()

    def __repr__(self) -> str:
        spec = ",".join(f"{n}/{p:g}s" for n, p in self.windows)
        return f"RedisRateLimit({self._safe_url()!r}, key={self.key!r}, windows={spec!r})"

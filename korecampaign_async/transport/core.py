"""The I/O layer: one pooled aiohttp session, retries, pacing, statistics and hooks.

:class:`Transport` sends one logical request and returns the decoded body. Around each
attempt it takes a slot from the client's :class:`~korecampaign_async.ratelimit.concurrency.AdaptiveConcurrency`,
then a token from the optional rate limit (right before sending, so the budget is
counted when the server sees the request), and classifies the answer:

* 2xx: decoded straight from bytes into the requested msgspec type. A syntax error
  (truncated body) is retried; a shape mismatch raises :class:`DecodeError` at once.
* 429, 502, 503, 504, connection errors, timeouts: retried by tenacity with exponential
  backoff and jitter, never sooner than ``Retry-After``; a 429 also pauses the whole
  client and lowers its in-flight limit.
* anything else: the typed error from :func:`~korecampaign_async.errors.error_for_status`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

import aiohttp
import msgspec
from multidict import CIMultiDictProxy
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
)
from yarl import URL

from ..errors import (
    DecodeError,
    KoreAPIError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    TransportError,
    error_for_status,
)
from ..ratelimit.concurrency import AdaptiveConcurrency
from ..ratelimit.windows import RateLimiter
from .auth import AuthProvider
from .events import ClientStats, Hooks, PageEvent, RequestEvent, ResponseEvent, RetryEvent

__all__ = [
    "RAW_BODY",
    "BodyDecoder",
    "ClientStats",
    "Hooks",
    "PageEvent",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "RetryPolicy",
    "Transport",
]

logger = logging.getLogger("korecampaign_async")

_otel_trace: Any = None
_tracer: Any = None
_SPAN_KIND: Any = None
try:  # optional OpenTelemetry spans (extra "otel"); a no-op without opentelemetry-api
    from opentelemetry import trace as _otel_api

    _otel_trace = _otel_api
    _tracer = _otel_api.get_tracer("korecampaign_async")
    _SPAN_KIND = _otel_api.SpanKind.CLIENT
except ImportError:  # pragma: no cover - depends on the environment
    pass


def _tracing_enabled() -> bool:
    """Spans only when OpenTelemetry is installed *and* an SDK tracer provider is set: the
    API's default proxy provider would create non-recording spans, costing microseconds per
    request for nothing. Asked once per pooled session (when it opens), not per request:
    set the tracer provider before the client's first request."""
    return _otel_trace is not None and not isinstance(
        _otel_trace.get_tracer_provider(), _otel_trace.ProxyTracerProvider
    )


T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class BodyDecoder(Protocol[T_co]):
    """What turns a response body into a result: a ``msgspec.json.Decoder``, or
    :data:`RAW_BODY`."""

    def decode(self, buf: bytes, /) -> T_co: ...


class _RawBody:
    """A :class:`BodyDecoder` that keeps the body as it is (after the HTML check)."""

    def decode(self, buf: bytes, /) -> bytes:
        return buf


#: Keep the response body undecoded (a stream decodes it when its consumer gets there).
RAW_BODY = _RawBody()

#: HTTP statuses retried by default. 500 is among them (a busy server's read usually
#: succeeds a moment later) but with a smaller attempt budget (``RetryPolicy.status_attempts``).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried.

    Attributes:
        max_attempts: attempts per request, the first included. Budget waits (429s the
            client recognised as its rate budget running out) do not count.
        max_time: give up retrying once this many seconds passed since the first attempt,
            time spent waiting for the rate budget not included.
        initial_backoff: first backoff in seconds; doubles per attempt (plus jitter). Short
            by default: a page being retried holds back the pages after it (records are
            delivered in order), so a quick first retry keeps the export moving.
        max_backoff: ceiling of one backoff.
        max_retry_after: ceiling applied to a server's ``Retry-After``.
        retry_statuses: the HTTP statuses retried (connection errors, timeouts and cut-off
            bodies always are).
        status_attempts: a smaller attempt budget for some statuses: 500 gets 3 by
            default (a deterministic 500 then costs two more requests, not the export).
        max_budget_wait: give up after waiting this many seconds in a row for the rate
            budget (429s the client recognised as the budget running out, with or without
            ``Retry-After``). ``None`` (default): keep waiting while the server keeps
            answering 429, so an export survives Kore's 1-hour window.
    """

    max_attempts: int = 6
    max_time: float = 300.0
    initial_backoff: float = 0.1
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    retry_statuses: frozenset[int] = RETRY_STATUSES
    status_attempts: Mapping[int, int] = field(default_factory=lambda: {500: 3})
    max_budget_wait: float | None = None

    @classmethod
    def instant(cls, max_attempts: int = 6) -> RetryPolicy:
        """A policy for tests: same attempts, no waiting (``Retry-After`` ignored)."""
        return cls(max_attempts=max_attempts, initial_backoff=0.0, max_backoff=0.0, max_retry_after=0.0)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if any(not isinstance(n, int) or n < 1 for n in self.status_attempts.values()):
            raise ValueError("status_attempts values must be integers >= 1")
        if self.max_budget_wait is not None and self.max_budget_wait < 0:
            raise ValueError("max_budget_wait must be None or >= 0")
        object.__setattr__(self, "retry_statuses", frozenset(self.retry_statuses))

    def attempts_for(self, status: int | None) -> int:
        """Attempts allowed for a failure with ``status`` (``None``: a network failure)."""
        if status is None:
            return self.max_attempts
        return min(self.max_attempts, self.status_attempts.get(status, self.max_attempts))


class _RetryBudget:
    """Retry accounting of one request: attempts and time that count against the policy,
    and waits for the rate budget that do not.

    A 429 the client recognised as its budget running out (``RateLimitError.budget``) is
    not the request's failure: every request would get it until the window frees, so it
    neither uses an attempt nor the ``max_time`` clock; ``max_budget_wait`` bounds a run
    of them instead. Its wait is the server's ``Retry-After`` when given, else nothing here:
    the client-wide hold in :class:`~korecampaign_async.ratelimit.concurrency.AdaptiveConcurrency`
    keeps the request until a probe is admitted."""

    __slots__ = ("attempts", "budget_since", "budget_time", "policy", "started")

    def __init__(self, policy: RetryPolicy, started: float) -> None:
        self.policy = policy
        self.started = started
        self.attempts = 0  # failed attempts that count
        self.budget_since: float | None = None
        self.budget_time = 0.0

    def stop(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        now = time.monotonic()
        if getattr(exc, "budget", False):
            if self.budget_since is None:
                self.budget_since = now
            limit = self.policy.max_budget_wait
            return limit is not None and now - self.budget_since >= limit
        if self.budget_since is not None:
            self.budget_time += now - self.budget_since
            self.budget_since = None
        self.attempts += 1
        status = exc.status if isinstance(exc, KoreAPIError) else None
        if self.attempts >= self.policy.attempts_for(status):
            return True
        return now - self.started - self.budget_time >= self.policy.max_time

    def wait(self, state: RetryCallState) -> float:
        """Exactly the server's ``Retry-After`` when it sent one (plus up to 10 % jitter so
        retries do not arrive together); nothing for a budget 429 without one (the hold
        waits); else exponential backoff, by the attempts that count, with jitter."""
        policy = self.policy
        if policy.max_backoff <= 0:
            return 0.0
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            hint = min(float(retry_after), policy.max_retry_after)
            return hint + random.uniform(0, hint * 0.1)
        if getattr(exc, "budget", False):
            return 0.0
        step: float = policy.initial_backoff * 2.0 ** max(0, self.attempts - 1)
        return min(step, policy.max_backoff) + random.uniform(0, policy.initial_backoff)


class _Transient(Exception):
    """A network-level failure worth retrying (wraps the aiohttp/timeout exception)."""

    def __init__(self, cause: str, exc: BaseException) -> None:
        super().__init__(cause)
        self.cause = cause
        self.exc = exc


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # HTTP-date form: fall back to our own backoff


def _server_message(body: bytes, content_type: str) -> str:
    """The server's error message, from a JSON body when it has one."""
    if "html" in content_type or body.lstrip()[:1] == b"<":
        return f"non-JSON error page ({content_type or 'unknown content type'})"
    try:
        doc = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return body[:200].decode("utf-8", "replace") or "empty body"
    if isinstance(doc, dict):
        for key in ("message", "msg", "error", "errors"):
            if doc.get(key):
                val = doc[key]
                if isinstance(val, list) and val and isinstance(val[0], dict):
                    val = val[0].get("msg") or val[0].get("message") or val[0]
                return str(val)
    return body[:200].decode("utf-8", "replace")


class Transport:
    """Send requests to one API base URL through one pooled session.

    Args:
        base_url: scheme, host and port, plus the API prefix path.
        auth: produces the ``auth`` header.
        headers: the other fixed headers (``iid``, ``accountId``).
        concurrency: the client's in-flight limiter.
        retry: the retry policy.
        timeout: seconds for one attempt (connect + response).
        hooks: instrumentation callbacks.
        hooks: instrumentation callbacks.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: AuthProvider,
        headers: Mapping[str, str],
        concurrency: AdaptiveConcurrency,
        rate_limit: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        hooks: Hooks | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._base_path = URL(self.base_url).path.rstrip("/")
        self._auth = auth
        self._headers = dict(headers)
        self.concurrency = concurrency
        self.rate_limit = rate_limit
        self._background: set[asyncio.Task[None]] = set()
        self.retry = retry or RetryPolicy()
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.hooks = hooks or Hooks()
        self.stats = ClientStats(_concurrency=concurrency)
        concurrency.on_hold = self._on_hold
        self._session: aiohttp.ClientSession | None = None
        self._session_token: str | None = None
        self._spans = False  # record OpenTelemetry spans (decided when the session opens)
        self._queries: dict[tuple[tuple[str, str], ...], str] = {}

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.concurrency.max_limit + 2, keepalive_timeout=30, enable_cleanup_closed=False
            )
            # Fixed headers (and the timeout) live on the session: per-request headers would be
            # merged into a new multidict on every request, a cost visible at high page rates.
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"Content-Type": "application/json", "Accept": "application/json", **self._headers},
                timeout=self.timeout,
                auto_decompress=True,
            )
            self._session_token = None
            self._spans = _tracing_enabled()
        return self._session

    def display_path(self, path: str) -> str:
        """The path as errors, logs and hooks show it: the base URL's path included."""
        return self._base_path + path

    async def close(self) -> None:
        """Close the pooled session."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    @property
    def closed(self) -> bool:
        """True when no session is open."""
        return self._session is None or self._session.closed

    # -- one logical request --------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        decoder: BodyDecoder[T],
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        idempotent: bool = True,
        root: str | None = None,
    ) -> T:
        """Send ``method path`` with retries; return the body decoded by ``decoder``.

        ``root`` replaces the base URL for this request (same host, session and budget).
        ``idempotent=False`` (creates, starts, contact imports) retries only failures that
        prove the request had no effect: a 429, a 503, a connection refused before anything
        was sent. Any other failure after sending (a timeout, a dropped connection, another
        5xx) raises :class:`~korecampaign_async.errors.OutcomeUnknownError` at once, for the
        caller to look at the server's state instead of sending the write twice.

        The first attempt runs directly; only when it fails with a retryable error does
        tenacity take over (it then replays that first failure as attempt 1, so waits,
        stops and hooks behave exactly as if it had run every attempt). Building a tenacity
        controller per request costs more than the rest of the client's per-page work."""
        if root is None:
            display_path = self.display_path(path)
            url = self.base_url + path
        else:  # another API root on the same host (the API 1.1 add-contacts call)
            display_path = URL(root).path.rstrip("/") + path
            url = root.rstrip("/") + path
        if params:
            key = tuple(params.items())
            query = self._queries.get(key)
            if query is None:
                query = self._queries[key] = urlencode(params)
                if len(self._queries) > 256:  # bounded: ids vary per call
                    self._queries.clear()
            url += "?" + query
        started = time.monotonic()
        retryable = self._is_retryable if idempotent else self._is_retryable_write
        try:
            return await self._attempt(method, url, display_path, decoder, body, 1)
        except Exception as exc:
            if not retryable(exc):
                if idempotent:
                    raise
                raise self._unknown_outcome(exc, method, display_path) from None
            first_failure = exc
        budget = _RetryBudget(self.retry, started)
        retrying = AsyncRetrying(
            stop=budget.stop,
            wait=budget.wait,
            retry=retry_if_exception(retryable),
            reraise=True,
            before_sleep=lambda state: self._before_sleep(method, display_path, state),
            sleep=self.concurrency.rest,
        )
        attempt_no = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempt_no = attempt.retry_state.attempt_number
                    if attempt_no == 1:
                        raise first_failure
                    return await self._attempt(method, url, display_path, decoder, body, attempt_no)
        except Exception as exc:
            if not idempotent and not retryable(exc):
                raise self._unknown_outcome(exc, method, display_path) from None
            if isinstance(exc, _Transient):
                raise TransportError(
                    str(exc.exc) or exc.cause, method=method, path=display_path, attempts=attempt_no
                ) from exc.exc
            raise
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _unknown_outcome(self, exc: Exception, method: str, path: str) -> Exception:
        """A write's failure as the caller must see it: ``OutcomeUnknownError`` when the
        request may have reached the server, else the failure itself (a 400 is an answer)."""
        if isinstance(exc, _Transient):
            cause = exc.cause
        elif isinstance(exc, KoreAPIError) and not isinstance(exc, DecodeError) and exc.status >= 500:
            cause = f"HTTP {exc.status}"
        else:
            return exc
        return OutcomeUnknownError(
            f"{method} {path}",
            method=method,
            path=path,
            cause=cause,
            unknown="the request may have been applied; it was not sent again",
        )

    async def _attempt(
        self,
        method: str,
        url: str,
        display_path: str,
        decoder: BodyDecoder[T],
        body: bytes | None,
        attempt: int,
    ) -> T:
        session = self._get_session()
        seq = self.concurrency.try_acquire()
        if seq is None:
            seq = await self.concurrency.acquire()
        entry: object = None  # the request's entry in a shared budget's log
        try:
            if self.rate_limit is not None:
                entry = await self.rate_limit.acquire()
                # the budget may have held it: its send time is now, or (a fleet's shared log) the
                # time the log counted it, on the clock the fleet's admissions are read with
                admitted_at = getattr(self.rate_limit, "admitted_at", None)
                at = admitted_at(entry) if admitted_at is not None and isinstance(entry, str) else None
                self.concurrency.sending(seq, at)
            if self.hooks.on_request:
                self.hooks.on_request(RequestEvent(method, display_path, attempt))
            token = self._auth.token()
            if token is not self._session_token:  # minted anew (or first use): update the session
                session.headers["auth"] = token
                self._session_token = token
            self.stats.requests += 1
            start = time.perf_counter()
            try:
                if self._spans:
                    data, status, headers = await self._send_traced(session, method, url, body, display_path, attempt)
                else:
                    async with session.request(method, url, data=body) as resp:
                        data = await resp.read()
                        status = resp.status
                        headers = resp.headers
            except TimeoutError as exc:
                self.stats.wasted_requests += 1
                raise _Transient("timeout", exc) from exc
            except aiohttp.ClientConnectorError as exc:  # the connection was never made
                self.stats.wasted_requests += 1
                raise _Transient("connect", exc) from exc
            except aiohttp.ClientError as exc:
                self.stats.wasted_requests += 1
                raise _Transient("connection", exc) from exc
        finally:
            self.concurrency.release()
        elapsed = time.perf_counter() - start
        self.stats.responses[status] += 1
        self.stats.bytes_received += len(data)
        logger.debug("%s %s -> %d attempt=%d %.1fms", method, display_path, status, attempt, elapsed * 1000)
        if self.hooks.on_response:
            self.hooks.on_response(ResponseEvent(method, display_path, attempt, status, elapsed, len(data)))
        content_type = headers.get("Content-Type", "")
        if 200 <= status < 300:
            result = self.decode(
                decoder, data, method=method, path=display_path, status=status, content_type=content_type
            )
            self.concurrency.on_success(seq)
            return result
        retry_after = _retry_after(headers)
        self.stats.wasted_requests += 1
        message = _server_message(data, content_type)
        text = data[:500].decode("utf-8", "replace")
        error = error_for_status(status, message, method=method, path=display_path, body=text, retry_after=retry_after)
        if status == 429:
            self.stats.throttled += 1
            if retry_after is None:
                self.stats.throttled_without_hint += 1
            else:
                self.stats.throttled_with_hint += 1
            budget = self.concurrency.on_throttled(
                seq, None if retry_after is None else min(retry_after, self.retry.max_retry_after)
            )
            forget = getattr(self.rate_limit, "forget", None)
            if forget is not None and isinstance(entry, str) and retry_after is None:
                # the server did not count it: neither should the fleet's shared log
                task = asyncio.get_running_loop().create_task(forget(entry))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
            if isinstance(error, RateLimitError):
                error.budget = budget
        raise error

    async def _send_traced(
        self, session: aiohttp.ClientSession, method: str, url: str, body: bytes | None, path: str, attempt: int
    ) -> tuple[bytes, int, CIMultiDictProxy[str]]:
        """One attempt inside an OpenTelemetry CLIENT span."""
        attributes = {"http.request.method": method, "url.path": path, "http.request.resend_count": attempt - 1}
        with _tracer.start_as_current_span(f"{method} {path}", kind=_SPAN_KIND, attributes=attributes) as span:
            async with session.request(method, url, data=body) as resp:
                data = await resp.read()
            span.set_attribute("http.response.status_code", resp.status)
            return data, resp.status, resp.headers

    def decode(
        self,
        decoder: BodyDecoder[T],
        data: bytes,
        *,
        method: str,
        path: str,
        status: int = 200,
        content_type: str = "application/json",
    ) -> T:
        """Decode a 2xx body, or raise :class:`DecodeError` (HTML page, malformed JSON, a
        shape mismatch); malformed JSON is marked transient (worth fetching again)."""
        first = data[:1]
        if first == b"<" or "html" in content_type or (first.isspace() and data.lstrip()[:1] == b"<"):
            self.stats.wasted_requests += 1
            raise DecodeError(
                f"expected JSON but got an HTML page ({content_type or 'no content type'})",
                status=status,
                method=method,
                path=path,
                body=data[:500].decode("utf-8", "replace"),
            )
        try:
            result = decoder.decode(data)
        except msgspec.ValidationError as exc:
            self.stats.wasted_requests += 1
            raise DecodeError(
                f"response does not match the documented shape: {exc}",
                status=status,
                method=method,
                path=path,
                body=data[:500].decode("utf-8", "replace"),
            ) from None
        except msgspec.DecodeError as exc:
            self.stats.wasted_requests += 1
            err = DecodeError(
                f"response body is not valid JSON: {exc}",
                status=status,
                method=method,
                path=path,
                body=data[:500].decode("utf-8", "replace"),
            )
            err.transient = True  # type: ignore[attr-defined]
            raise err from None
        return result

    # -- retry plumbing -------------------------------------------------------------------
    def _is_retryable_write(self, exc: BaseException) -> bool:
        """A write is retried only when the failure proves it had no effect."""
        if isinstance(exc, _Transient):
            return exc.cause == "connect"  # refused or unresolved: nothing was sent
        if isinstance(exc, KoreAPIError) and not isinstance(exc, DecodeError):
            return exc.status in (429, 503) and exc.status in self.retry.retry_statuses
        return False

    def _is_retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, _Transient):
            return True
        if isinstance(exc, KoreAPIError) and not isinstance(exc, DecodeError):
            return exc.status in self.retry.retry_statuses and isinstance(exc, (RateLimitError, ServerError))
        if isinstance(exc, DecodeError):
            return bool(getattr(exc, "transient", False))
        return False

    def _on_hold(self, wait: float, waited: float) -> None:
        """The client holds every request for the rate budget (see concurrency.py)."""
        until = time.time() + wait
        self.stats.budget_wait_until = until
        if wait >= 5.0:
            logger.warning(
                "rate budget exhausted (HTTP 429): holding every request for %.1fs, next try at %s "
                "(waiting %.0fs so far)",
                wait,
                time.strftime("%H:%M:%S", time.localtime(until)),
                waited,
            )
        else:
            logger.info("rate budget exhausted (HTTP 429): holding every request for %.1fs", wait)

    def _before_sleep(self, method: str, path: str, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient):
            cause = exc.cause
        elif isinstance(exc, KoreAPIError):
            cause = "decode" if isinstance(exc, DecodeError) else str(exc.status)
        else:
            cause = type(exc).__name__
        self.stats.retries[cause] += 1
        wait = state.next_action.sleep if state.next_action else 0.0
        logger.info(
            "retrying %s %s after %s (attempt %d, waiting %.2fs)", method, path, cause, state.attempt_number, wait
        )
        if self.hooks.on_retry:
            self.hooks.on_retry(RetryEvent(method, path, state.attempt_number, cause, wait))

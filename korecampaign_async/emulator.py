"""A local emulator of the Campaign Management API v2, on aiohttp.web.

It serves the documented paths, methods, headers, envelopes and pagination math, checks
the JWT signature and the ``iid``/``accountId`` headers, and generates seeded synthetic
data of any size lazily (a million contacts cost no memory until a page is asked for).
It can inject latency and faults (429 with ``Retry-After``, 5xx, dropped connections,
malformed bodies), enforce Kore-style rolling rate-limit windows, change a result set in
the middle of an export, and it counts every request so tests can prove that no page was
fetched twice.

Run it from the shell::

    python -m korecampaign_async.emulator --port 8080 --contacts 100000

or in tests::

    async with run_emulator(EmulatorConfig(contacts=1_000)) as emu:
        async with KoreCampaignClient(**emu.client_kwargs()) as client: ...

The credentials it accepts are made up for the emulator and printed by ``env()``; they
are not real Kore.ai credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import time
import warnings
from collections import Counter, deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

import jwt
import msgspec
from aiohttp import web
from jwt.warnings import InsecureKeyLengthWarning

from .auth import JWTAuth
from .ratelimit import SlidingWindowLog, parse_windows

__all__ = [
    "PAGING_MODES",
    "Emulator",
    "EmulatorConfig",
    "EmulatorStats",
    "EchoMode",
    "PagingMode",
    "main",
    "run_emulator",
]

RATE_LIMIT_MESSAGE = "Rate limit for this API has been reached. Please try again later"
STATUSES = ("Active", "Completed", "Ready", "Paused", "Preparing", "Stopped", "Scheduled", "Rescheduled")
DIALING_MODES = ("Progressive", "Preview")
OUTCOMES = ("completed", "", "completed", "busy", "noAnswer")
BOT_STATUSES = ("userHangUp", "agentHangUp", "botHangUp", "transferred")
DISPOSITIONS = ((), ("System Generated",), ("Requires Supervisor Attention",), ("Callback", "VIP"))
EPOCH = datetime(2025, 12, 1, tzinfo=UTC)

FaultKind = Literal["429", "500", "502", "503", "504", "drop", "malformed", "html"]

#: How the server maps ``page`` and ``skip`` to an offset when a request sends both (the
#: docs do not say): ``page`` wins (skip ignored), ``skip-wins`` (page used only without
#: skip), ``skip`` only (page ignored), ``additive`` (skip counts from the page's start), or
#: ``none`` (both ignored: always the first page; a broken server, for tests).
PagingMode = Literal["page", "skip-wins", "skip", "additive", "none"]
PAGING_MODES: tuple[PagingMode, ...] = ("page", "skip-wins", "skip", "additive", "none")
#: What the list endpoints echo as ``skip`` (and the status endpoint as ``page``): the offset
#: actually used, the value the request sent, or nothing.
EchoMode = Literal["effective", "request", "none"]
_encode = msgspec.json.Encoder().encode


@dataclass
class EmulatorConfig:
    """What the emulator serves and how it misbehaves.

    Data: ``campaigns`` campaigns (even index voice, odd index SMS), each voice campaign with
    ``contacts`` contact-status rows (``contact_counts`` overrides per campaign id), and
    ``contact_lists`` lists of ``list_contacts`` contacts each.
    Faults: each ``fault_*`` is the probability that a request gets that fault.
    ``rate_limit`` is a window spec such as ``"600/60s,18000/1h"``, counted per stream
    (``rate_limit_key="stream"``) or per account.
    Timing: every answer is sent ``latency_ms`` (plus ``0..jitter_ms``) after its request
    arrived, the emulator's own work included.
    Readings the docs leave open: ``paging`` (see :data:`PagingMode`), ``echo`` (see
    :data:`EchoMode`), ``overcount`` (``totalResults`` counts this many rows more than are
    served, while ``totalPages`` follows the served rows, as in the contact-status sample),
    ``rate_limit_retry_after`` (send ``Retry-After`` with rate-limit 429s; Kore promises none).
    """

    stream_id: str = "st-emulator-0001"
    account_id: str = "acc-emulator-0001"
    iid: str | None = None
    client_id: str = "cs-emulator-client"
    client_secret: str = "emulator-only-secret-not-a-real-credential"
    campaigns: int = 20
    contacts: int = 1_000
    contact_counts: dict[str, int] = field(default_factory=dict)
    contact_lists: int = 5
    list_contacts: int = 1_000
    seed: int = 7
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    fault_429: float = 0.0
    fault_5xx: float = 0.0
    fault_drop: float = 0.0
    fault_malformed: float = 0.0
    retry_after: float = 0.05
    rate_limit: str | None = None
    rate_limit_key: Literal["stream", "account"] = "stream"
    max_limit: int = 100
    page_cache: int = 2048
    paging: PagingMode = "page"
    echo: EchoMode = "effective"
    overcount: int = 0
    rate_limit_retry_after: bool = True
    generation: int = 0

    @property
    def effective_iid(self) -> str:
        """The ``iid`` header value the emulator expects."""
        return self.iid or self.stream_id


class _PageArgs(NamedTuple):
    offset: int
    limit: int
    echo_page: int | None
    echo_skip: int | None


@dataclass
class EmulatorStats:
    """What the emulator saw. ``pages_served`` counts successful page answers per
    ``(endpoint, resource id, page, limit)``: a value above 1 is a page fetched twice."""

    requests: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_endpoint: Counter[str] = field(default_factory=Counter)
    pages_served: Counter[tuple[str, str, int, int]] = field(default_factory=Counter)
    throttled: int = 0
    admitted_times: list[float] = field(default_factory=list)
    arrival_times: list[float] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def duplicate_pages(self) -> dict[tuple[str, str, int, int], int]:
        """Pages answered successfully more than once."""
        return {k: v for k, v in self.pages_served.items() if v > 1}


def campaign_id(index: int) -> str:
    """The id of the emulator's campaign number ``index``."""
    return f"cd-emu-{index:06d}"


def contact_list_id(index: int) -> str:
    """The id of the emulator's contact list number ``index``."""
    return f"cl-emu-{index:06d}"


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class Emulator:
    """The emulator application and its state. Use :func:`run_emulator` to serve it."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.stats = EmulatorStats()
        self._random = random.Random(self.config.seed)
        self._scripted: deque[tuple[FaultKind, str | None]] = deque()
        self._valid_tokens: set[str] = set()
        self._windows: dict[str, SlidingWindowLog] = {}
        self._rate_windows = parse_windows(self.config.rate_limit) if self.config.rate_limit else None
        self._campaign_cache: dict[int, dict[str, Any]] = {}
        self.generation = self.config.generation
        self._page_cache: dict[tuple[str, int, int, int], bytes] = {}
        self.url = ""
        self._runner: web.AppRunner | None = None
        self.app = web.Application()
        prefix = "/campaign/api/v2/public/{stream_id}/campaign"
        self.app.router.add_post(prefix + "/getAllCampaignDetails", self._list_campaigns)
        self.app.router.add_get(prefix + "/contactList/{list_id}/getAllContacts", self._list_contacts)
        self.app.router.add_post(prefix + "/{campaign_id}/status", self._campaign_status)
        self.app.router.add_get(prefix + "/{campaign_id}", self._get_campaign)
        self.app.router.add_post("/_emulator/advance", self._advance)

    # -- control ------------------------------------------------------------------------
    def inject(self, *faults: FaultKind, endpoint: str | None = None) -> None:
        """Queue faults for the next requests (to ``endpoint`` = ``status``, ``campaigns``,
        ``campaign`` or ``contacts`` when given), one fault per request, in order."""
        for fault in faults:
            self._scripted.append((fault, endpoint))

    def set_contact_count(self, campaign: str, count: int) -> None:
        """Change how many contact-status rows ``campaign`` has (e.g. mid-export)."""
        self.config.contact_counts[campaign] = count

    def client_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for :class:`~korecampaign_async.KoreCampaignClient` pointing here."""
        cfg = self.config
        kwargs: dict[str, Any] = {
            "host": self.url,
            "stream_id": cfg.stream_id,
            "account_id": cfg.account_id,
            "iid": cfg.effective_iid,
            "auth": JWTAuth(cfg.client_id, cfg.client_secret),
        }
        kwargs.update(overrides)
        return kwargs

    def env(self) -> dict[str, str]:
        """``KORE_*`` environment variables pointing the CLI or SDK here."""
        cfg = self.config
        return {
            "KORE_HOST": self.url,
            "KORE_STREAM_ID": cfg.stream_id,
            "KORE_ACCOUNT_ID": cfg.account_id,
            "KORE_IID": cfg.effective_iid,
            "KORE_CLIENT_ID": cfg.client_id,
            "KORE_CLIENT_SECRET": cfg.client_secret,
        }

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 = any free port); return the base URL."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, backlog=1024)
        await site.start()
        bound = self._runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        return self.url

    async def stop(self) -> None:
        """Stop serving and close every connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- data -----------------------------------------------------------------------------
    def _status_of(self, index: int) -> str:
        status = STATUSES[index % len(STATUSES)]
        if self.generation and status not in ("Completed", "Stopped") and (index // 2) % 4 < self.generation:
            return "Completed"
        return status

    def campaign(self, index: int) -> dict[str, Any]:
        """The JSON document of campaign ``index`` (voice when even, SMS when odd)."""
        cached = self._campaign_cache.get(index)
        if cached is not None:
            return cached
        created = EPOCH + timedelta(minutes=37 * index, milliseconds=index * 7)
        updated = created + timedelta(minutes=5 + self.generation, milliseconds=311)
        voice = index % 2 == 0
        doc: dict[str, Any] = {
            "name": f"{'Voice' if voice else 'SMS'} Campaign {index}",
            "description": f"Synthetic campaign number {index}",
            "status": self._status_of(index),
            "priority": str(index % 5 + 1),
            "dncLists": {"id": "cl-emu-dnc", "name": "DNC list"} if voice else {"name": "DNC list"},
            "isFiltersEnabled": False,
            "createdAt": _iso(created),
            "updatedAt": _iso(updated),
            "campaignInstanceUpdatedAt": _iso(updated),
            "schedule": {"isSchedulingEnabled": False, "isRecurrenceEnabled": index % 3 == 0},
            "contactLists": [f"List {index % 7}"],
        }
        if voice:
            # voice campaigns carry "_id" as in the docs' voice sample; SMS ones "id"
            doc = {"_id": campaign_id(index), "lname": doc["name"].lower(), **doc}
            doc["dialingMode"] = DIALING_MODES[(index // 2) % 2]
            doc["connection"] = "Default Queue"
            doc["experienceFlow"] = f"cf-emu-{index:06d}"
            doc["dialingStrategy"] = {
                "callerId": {"phoneNumber": "+14846500000"},
                "callingHours": {
                    "frequency": "WEEKLY",
                    "days": [{"start": "9:00 AM", "end": "6:00 PM", "day": d} for d in ("MO", "TU", "WE", "TH", "FR")],
                    "timezone": "Asia/Kolkata",
                },
                "dialingOrder": "FIFO",
                "maxAttemptsPerRecord": 3,
                "defaultRetryPeriod": 10,
                "maxRingTime": 30,
                "useSystemMappings": False,
            }
        else:
            doc["id"] = campaign_id(index)
            doc["message"] = {"message": "TWVzc2FnZSBmb3IgeW91"}
            doc["totalMessagesSent"] = index * 3
            doc["campaignExecutionType"] = "NORMAL"
            doc["format"] = "simple"
        self._campaign_cache[index] = doc
        return doc

    def _cache(self, key: tuple[str, int, int, int], body: bytes) -> None:
        """Keep encoded status pages (bounded, oldest evicted) so that the emulator's own CPU
        is not what a client benchmark measures."""
        if self.config.page_cache <= 0:
            return
        if len(self._page_cache) >= self.config.page_cache:
            del self._page_cache[next(iter(self._page_cache))]
        self._page_cache[key] = body

    def _campaign_index(self, cid: str) -> int | None:
        if not cid.startswith("cd-emu-"):
            return None
        try:
            index = int(cid[7:])
        except ValueError:
            return None
        return index if 0 <= index < self.config.campaigns and cid == campaign_id(index) else None

    def contact_count(self, cid: str) -> int:
        """Rows of the contact status of campaign ``cid``."""
        return self.config.contact_counts.get(cid, self.config.contacts)

    @staticmethod
    def status_row(ci: int, r: int, generation: int = 0) -> dict[str, Any]:
        """Contact-status row ``r`` of campaign index ``ci`` at ``generation`` (deterministic).

        Each generation moves a fifth more of the rows forward (rows with ``r % 10 < 2 *
        generation``): one more attempt and a ``completed`` outcome."""
        n = (ci * 1_000_003 + r * 7919) % 10**10
        attempts = r % 3 + 1
        row: dict[str, Any] = {
            "phoneNumber": f"91{n:010d}",
            "uniqueId": f"u-{ci}-{r}",
            "dialerOutcome": OUTCOMES[r % len(OUTCOMES)],
            "numberOfAttemptsSoFar": attempts,
            "botSessionId": f"{(ci << 32) ^ r:024x}",
            "agentDispositionCodes": list(DISPOSITIONS[r % len(DISPOSITIONS)]),
            "botOutboundStatus": BOT_STATUSES[r % len(BOT_STATUSES)],
            "botOutboundStatusDetail": "user_hangup" if r % 2 else "Client side",
        }
        moved = min(generation, 5)
        if r % 10 < 2 * moved:
            row["numberOfAttemptsSoFar"] = attempts + generation
            row["dialerOutcome"] = "completed"
        return row

    def advance(self, steps: int = 1) -> int:
        """Move the data forward between syncs, as a live account would: contact outcomes
        fill in and attempts count up (a fifth more rows per step), and campaigns that can
        still change reach ``Completed`` (a quarter more per step). Rows are removed with
        :meth:`set_contact_count`. Returns the new generation. Also ``POST
        /_emulator/advance?steps=N`` on a running emulator, or ``--generation N`` at start."""
        self.generation += steps
        self._campaign_cache.clear()
        self._page_cache.clear()
        return self.generation

    @staticmethod
    def list_contact(li: int, r: int) -> dict[str, Any]:
        """Contact ``r`` of contact list index ``li`` (deterministic)."""
        created = EPOCH + timedelta(seconds=r, milliseconds=li)
        return {
            "_id": f"c-{li:04d}-{r:08d}",
            "phoneNumber": f"+1{(li * 7_777_777 + r) % 10**10:010d}",
            "createdAt": _iso(created),
            "updatedAt": _iso(created + timedelta(minutes=1)),
        }

    # -- request plumbing ---------------------------------------------------------------
    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(
            status=status,
            body=_encode({"status": "error", "message": message}),
            content_type="application/json",
            headers=headers,
        )

    def _check_auth(self, request: web.Request, *, account_query: bool) -> web.Response | None:
        cfg = self.config
        if request.match_info["stream_id"] != cfg.stream_id:
            return self._error(404, f"stream {request.match_info['stream_id']} not found")
        token = request.headers.get("auth")
        if not token:
            return self._error(401, "missing auth header")
        if token not in self._valid_tokens:
            try:
                with warnings.catch_warnings():  # a short made-up secret is the test's business
                    warnings.simplefilter("ignore", InsecureKeyLengthWarning)
                    claims = jwt.decode(token, cfg.client_secret, algorithms=["HS256", "HS512"])
            except jwt.PyJWTError as exc:
                return self._error(401, f"invalid token: {exc}")
            if claims.get("appId") != cfg.client_id:
                return self._error(401, "invalid token: unknown appId")
            if len(self._valid_tokens) > 1000:
                self._valid_tokens.clear()
            self._valid_tokens.add(token)
        if request.headers.get("iid") != cfg.effective_iid:
            return self._error(401, "missing or wrong iid header")
        if request.headers.get("accountId") != cfg.account_id:
            return self._error(401, "missing or wrong accountId header")
        if account_query:
            value = request.query.get("accountId")
            if value is None:
                return self._error(400, '"accountId" query parameter is required')
            if value != cfg.account_id:
                return self._error(403, "accountId does not match the token")
        return None

    def _rate_limited(self) -> web.Response | None:
        self.stats.arrival_times.append(time.monotonic())
        if self._rate_windows is None:
            self.stats.admitted_times.append(time.monotonic())
            return None
        key = self.config.stream_id if self.config.rate_limit_key == "stream" else self.config.account_id
        log = self._windows.setdefault(key, SlidingWindowLog(self._rate_windows))
        now = time.monotonic()
        wait = log.delay(now)
        if wait > 0:
            self.stats.throttled += 1
            hint = {"Retry-After": f"{max(wait, 0.001):.3f}"} if self.config.rate_limit_retry_after else None
            return self._error(429, RATE_LIMIT_MESSAGE, hint)
        log.record(now)
        self.stats.admitted_times.append(now)
        return None

    def _fault(self, endpoint: str) -> FaultKind | None:
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

    async def _serve(
        self, request: web.Request, endpoint: str, *, account_query: bool, build: Any
    ) -> web.StreamResponse:
        stats = self.stats
        stats.requests += 1
        stats.by_endpoint[endpoint] += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            response = await self._respond(request, endpoint, account_query, build)
        finally:
            stats.in_flight -= 1
        stats.by_status[response.status] += 1
        return response

    async def _respond(
        self, request: web.Request, endpoint: str, account_query: bool, build: Any
    ) -> web.StreamResponse:
        # The configured latency is the time from a request's arrival to its answer: the
        # answer is prepared at once and held until then. (Sleeping first and working after
        # would make answers due together wait for each other in this single process, a
        # delay no real, parallel server adds.)
        cfg = self.config
        loop = asyncio.get_running_loop()
        due = loop.time()
        if cfg.latency_ms or cfg.jitter_ms:
            due += (cfg.latency_ms + self._random.uniform(0, cfg.jitter_ms)) / 1000
        try:
            body = await request.read()
        except ConnectionResetError:  # the client went away (cancelled request)
            return web.Response(status=499)
        response, drop = self._answer(request, endpoint, account_query, build, body)
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if drop and request.transport is not None:
            request.transport.close()
        return response

    def _answer(
        self, request: web.Request, endpoint: str, account_query: bool, build: Any, body: bytes
    ) -> tuple[web.Response, bool]:
        """The response to send, and whether to drop the connection instead."""
        cfg = self.config
        denied = self._check_auth(request, account_query=account_query)
        if denied is not None:
            return denied, False
        limited = self._rate_limited()
        if limited is not None:
            return limited, False
        fault = self._fault(endpoint)
        if fault == "429":
            return self._error(429, RATE_LIMIT_MESSAGE, {"Retry-After": f"{cfg.retry_after:g}"}), False
        if fault in ("500", "502", "503", "504"):
            return self._error(int(fault), "Service temporarily unavailable"), False
        if fault == "drop":
            return web.Response(status=599), True
        if fault == "html":
            html = "<html><body>Bad Gateway</body></html>"
            return web.Response(status=502, text=html, content_type="text/html"), False
        try:
            payload = msgspec.json.decode(body) if body else {}
        except msgspec.DecodeError:
            return self._error(400, "request body is not valid JSON"), False
        result = build(request, payload)
        if isinstance(result, web.Response):
            return result, False
        data, page_key = result
        encoded = data if isinstance(data, bytes) else _encode(data)
        if fault == "malformed":
            encoded = encoded[: max(1, len(encoded) // 2)]
        elif page_key is not None:
            self.stats.pages_served[page_key] += 1
        return web.Response(body=encoded, content_type="application/json"), False

    def _page_args(self, source: Any, default_limit: int, *, takes_skip: bool = True) -> _PageArgs | str:
        """Validate ``page``/``limit``/``skip`` and apply the configured reading (to the
        endpoints documented with both; the status endpoint documents ``page`` only);
        return the offset, limit and what to echo, or an error message."""
        if not isinstance(source, dict):
            return "request body must be a JSON object"
        max_limit = self.config.max_limit
        limit = source.get("limit", default_limit)
        page = source.get("page", 1)
        skip = source.get("skip")
        if limit == "":
            limit = default_limit
        if page == "":
            page = 1
        if skip == "":
            skip = None
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= max_limit:
            return f'"limit" must be an integer between 1 and {max_limit}'
        if not isinstance(page, int) or isinstance(page, bool) or page < 1:
            return '"page" must be an integer greater than or equal to 1'
        if skip is not None and (not isinstance(skip, int) or isinstance(skip, bool) or skip < 0):
            return '"skip" must be an integer greater than or equal to 0'
        mode = self.config.paging if takes_skip else "page"
        by_page = (page - 1) * limit
        if mode == "page":  # skip only when no page was sent
            offset = skip if skip is not None and "page" not in source else by_page
        elif mode == "skip-wins":
            offset = skip if skip is not None else by_page
        elif mode == "skip":
            offset = skip or 0
        elif mode == "additive":
            offset = by_page + (skip or 0)
        else:  # "none"
            offset = 0
        echo = self.config.echo
        if echo == "effective":
            return _PageArgs(offset, limit, offset // limit + 1, offset)
        if echo == "request":
            return _PageArgs(offset, limit, page, skip if skip is not None else by_page)
        return _PageArgs(offset, limit, None, None)

    def _totals(self, total: int, limit: int) -> dict[str, int]:
        """``totalPages`` from the rows served; ``totalResults`` plus the configured overcount."""
        return {"totalPages": math.ceil(total / limit), "totalResults": total + self.config.overcount}

    # -- endpoints --------------------------------------------------------------------------
    async def _advance(self, request: web.Request) -> web.StreamResponse:
        """Admin call (emulator only, no auth): ``POST /_emulator/advance?steps=N``."""
        try:
            steps = int(request.query.get("steps", "1"))
        except ValueError:
            return self._error(400, '"steps" must be an integer')
        return web.json_response({"generation": self.advance(steps)})

    async def _campaign_status(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            cid = req.match_info["campaign_id"]
            index = self._campaign_index(cid)
            if index is None:
                return self._error(404, f"Campaign {cid} not found")
            if index % 2:
                return self._error(400, f"Campaign {cid} is not a voice campaign")
            total = self.contact_count(cid)
            if req.query.get("view") != "contacts":
                return {"status": "success", "data": {"campaignId": cid, "totalContacts": total}}, None
            args = self._page_args(payload, 10, takes_skip=False)
            if isinstance(args, str):
                return self._error(400, args)
            offset, limit = args.offset, args.limit
            key = (cid, offset, limit, total)
            body = self._page_cache.get(key)
            if body is None:
                generation = self.generation
                rows = [self.status_row(index, r, generation) for r in range(offset, min(offset + limit, total))]
                data: dict[str, Any] = {"results": rows}
                if args.echo_page is not None:
                    data["page"] = args.echo_page
                data["limit"] = limit
                data.update(self._totals(total, limit))
                body = _encode({"status": "success", "data": data})
                self._cache(key, body)
            return body, ("status", cid, offset // limit + 1, limit)

        return await self._serve(request, "status", account_query=False, build=build)

    async def _list_contacts(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            lid = req.match_info["list_id"]
            try:
                index = int(lid[7:]) if lid.startswith("cl-emu-") else -1
            except ValueError:
                index = -1
            if not 0 <= index < self.config.contact_lists or lid != contact_list_id(index):
                return self._error(404, f"Contact list {lid} not found")
            query: dict[str, Any] = {}
            for key in ("page", "limit", "skip"):
                if key in req.query:
                    try:
                        query[key] = int(req.query[key])
                    except ValueError:
                        return self._error(400, f'"{key}" must be an integer')
            args = self._page_args(query, 50)
            if isinstance(args, str):
                return self._error(400, args)
            offset, limit = args.offset, args.limit
            total = self.config.list_contacts
            rows = [self.list_contact(index, r) for r in range(offset, min(offset + limit, total))]
            # pagination fields beside "data", as the contact-list page documents them
            doc: dict[str, Any] = {
                "status": "success",
                "message": "Contacts retrieved successfully",
                "data": {"results": rows},
            }
            if args.echo_skip is not None:
                doc["skip"] = args.echo_skip
            doc.update(limit=limit, hasMore=offset + limit < total, **self._totals(total, limit))
            return doc, ("contacts", lid, offset // limit + 1, limit)

        return await self._serve(request, "contacts", account_query=True, build=build)

    async def _get_campaign(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            cid = req.match_info["campaign_id"]
            index = self._campaign_index(cid)
            if index is None:
                return self._error(404, f"Campaign {cid} not found")
            doc = self.campaign(index)
            return {"status": "success", "message": f"Campaign {doc['name']} retrieved successfully", "data": doc}, None

        return await self._serve(request, "campaign", account_query=True, build=build)

    async def _list_campaigns(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            if not isinstance(payload, dict):
                return self._error(400, "request body must be a JSON object")
            ctype = payload.get("type")
            if ctype not in ("voice", "sms"):
                return self._error(400, '"type" must be one of [voice, sms]')
            args = self._page_args(payload, 10)
            if isinstance(args, str):
                return self._error(400, args)
            offset, limit = args.offset, args.limit
            try:
                matches = self._matching_campaigns(ctype, payload)
            except ValueError as exc:
                return self._error(400, str(exc))
            total = len(matches)
            rows = matches[offset : offset + limit]
            data: dict[str, Any] = {"results": rows}
            if args.echo_skip is not None:
                data["skip"] = args.echo_skip
            data.update(limit=limit, hasMore=offset + limit < total, **self._totals(total, limit))
            key = (
                "campaigns",
                ctype + msgspec.json.encode(payload.get("filters")).decode(),
                offset // limit + 1,
                limit,
            )
            return {"status": "success", "message": "Campaign retrieved successfully", "data": data}, key

        return await self._serve(request, "campaigns", account_query=True, build=build)

    def _matching_campaigns(self, ctype: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
        filters = payload.get("filters") or {}
        if not isinstance(filters, dict):
            raise ValueError('"filters" must be an object')
        status = filters.get("status")
        priority = filters.get("priority")
        mode = filters.get("dialingMode")
        for name, values, allowed in (
            ("status", status, STATUSES),
            ("priority", priority, (1, 2, 3, 4, 5)),
            ("dialingMode", mode, DIALING_MODES),
        ):
            if values is not None and (not isinstance(values, list) or any(v not in allowed for v in values)):
                raise ValueError(f'"filters.{name}" must be an array of {list(allowed)}')
        start = payload.get("startDate")
        end = payload.get("endDate")
        out = []
        for index in range(0 if ctype == "voice" else 1, self.config.campaigns, 2):
            doc = self.campaign(index)
            if status and doc["status"] not in status:
                continue
            if priority and int(doc["priority"]) not in priority:
                continue
            if mode and doc.get("dialingMode") not in mode:
                continue
            if start and doc["createdAt"] < start:
                continue
            if end and doc["createdAt"] > end:
                continue
            out.append(doc)
        sort_by = payload.get("sortBy") or {}
        if not isinstance(sort_by, dict):
            raise ValueError('"sortBy" must be an object')
        for key, direction in reversed(list(sort_by.items())):
            if key not in ("name", "createdAt", "updatedAt") or direction not in ("asc", "desc"):
                raise ValueError('"sortBy" fields: name, createdAt, updatedAt; directions: asc, desc')
            out.sort(key=lambda d: d[key], reverse=direction == "desc")
        return out


@asynccontextmanager
async def run_emulator(
    config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[Emulator]:
    """Serve an :class:`Emulator` for the duration of the ``async with`` block."""
    emulator = Emulator(config)
    await emulator.start(host, port)
    try:
        yield emulator
    finally:
        await emulator.stop()


def build_parser(prog: str = "python -m korecampaign_async.emulator") -> argparse.ArgumentParser:
    """The emulator's command-line options (shared with ``korecampaign emulator``)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a local emulator of the Kore.ai Campaign Management API v2.",
        epilog="example: %(prog)s --port 8080 --contacts 100000 --latency-ms 50 --fault-rate 0.05",
    )
    add_emulator_arguments(parser)
    return parser


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator options to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (0 = any free port; default 8080)")
    parser.add_argument("--stream-id", default="st-emulator-0001", help="the bot id served (default st-emulator-0001)")
    parser.add_argument("--campaigns", type=int, default=20, help="number of campaigns (default 20)")
    parser.add_argument("--contacts", type=int, default=10_000, help="contact-status rows per voice campaign")
    parser.add_argument("--contact-lists", type=int, default=5, help="number of contact lists")
    parser.add_argument("--list-contacts", type=int, default=10_000, help="contacts per contact list")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="time from a request's arrival to its answer")
    parser.add_argument(
        "--uvloop",
        action="store_true",
        help="serve on uvloop (installed by the 'bench' extra): less per-request overhead of its own",
    )
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="random extra latency, 0..N ms")
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="fraction of requests that fail, split evenly between 429, 503, dropped connection, malformed body",
    )
    parser.add_argument("--fault-429", type=float, default=None, help="fraction answered 429 (overrides --fault-rate)")
    parser.add_argument("--fault-5xx", type=float, default=None, help="fraction answered 503 (overrides --fault-rate)")
    parser.add_argument("--fault-drop", type=float, default=None, help="fraction of dropped connections")
    parser.add_argument("--fault-malformed", type=float, default=None, help="fraction of truncated bodies")
    parser.add_argument("--retry-after", type=float, default=0.05, help="Retry-After seconds sent with injected 429s")
    parser.add_argument("--rate-limit", default=None, help="rolling windows such as 600/60s,18000/1h (or a preset)")
    parser.add_argument(
        "--rate-limit-key",
        choices=("stream", "account"),
        default="stream",
        help="count the limit per stream or per account",
    )
    parser.add_argument(
        "--no-retry-after",
        action="store_true",
        help="answer rate-limit 429s without a Retry-After header (as Kore documents them)",
    )
    parser.add_argument(
        "--paging",
        choices=PAGING_MODES,
        default="page",
        help="how page and skip map to an offset when both are sent: page wins (default), skip wins, "
        "skip only, additive (skip counts from the page's start), or none (both ignored)",
    )
    parser.add_argument(
        "--echo",
        choices=("effective", "request", "none"),
        default="effective",
        help="what responses echo as skip/page: the offset used (default), the values sent, or nothing",
    )
    parser.add_argument(
        "--overcount",
        type=int,
        default=0,
        help="totalResults counts N rows more than are served (totalPages follows the served rows)",
    )
    parser.add_argument(
        "--generation",
        type=int,
        default=0,
        help="start with the data moved forward N steps (outcomes filled in, campaigns completed); "
        "POST /_emulator/advance?steps=N moves it further while serving",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic data and faults")
    parser.add_argument("--page-cache", type=int, default=2048, help="encoded pages kept in memory (0 = none)")


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """Turn parsed emulator options into an :class:`EmulatorConfig`."""
    share = args.fault_rate / 4
    if args.rate_limit:
        parse_windows(args.rate_limit)  # fail early with a clear message
    return EmulatorConfig(
        stream_id=args.stream_id,
        campaigns=args.campaigns,
        contacts=args.contacts,
        contact_lists=args.contact_lists,
        list_contacts=args.list_contacts,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        fault_429=share if args.fault_429 is None else args.fault_429,
        fault_5xx=share if args.fault_5xx is None else args.fault_5xx,
        fault_drop=share if args.fault_drop is None else args.fault_drop,
        fault_malformed=share if args.fault_malformed is None else args.fault_malformed,
        retry_after=args.retry_after,
        rate_limit=args.rate_limit,
        rate_limit_key=args.rate_limit_key,
        rate_limit_retry_after=not args.no_retry_after,
        paging=args.paging,
        echo=args.echo,
        overcount=args.overcount,
        generation=args.generation,
        seed=args.seed,
        page_cache=args.page_cache,
    )


async def serve_forever(config: EmulatorConfig, host: str, port: int, *, announce: bool = True) -> None:
    """Serve until cancelled, printing how to point the SDK and CLI here."""
    async with run_emulator(config, host=host, port=port) as emu:
        if announce:
            print(f"Kore.ai Campaign API emulator listening on {emu.url}", flush=True)
            print("Point the CLI or SDK at it with:", flush=True)
            for key, value in emu.env().items():
                print(f"  export {key}={value}", flush=True)
            ids = ", ".join(campaign_id(i) for i in range(0, min(config.campaigns, 6), 2))
            print(f"Voice campaigns: {ids} ...; contact lists: {contact_list_id(0)} ...", flush=True)
        await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m korecampaign_async.emulator``."""
    args = build_parser().parse_args(argv)
    with suppress(KeyboardInterrupt):
        serve = serve_forever(config_from_args(args), args.host, args.port)
        if args.uvloop:
            import uvloop  # optional: the "bench" extra installs it

            uvloop.run(serve)
        else:
            asyncio.run(serve)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

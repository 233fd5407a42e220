"""The emulator's server: routes, checks and timing (the package docstring has the overview).

It serves the documented paths and methods, checks the JWT signature and the ``iid`` /
``accountId`` headers, applies the configured readings of what the docs leave open (page
and skip, echoes, totals), holds each answer until its latency has passed, and counts every
request so tests can prove that no page was fetched twice. Generated data comes from
:mod:`.data`, what writes changed from :mod:`.state`, faults and rate windows from
:mod:`.faults`. ``python -m korecampaign_async.emulator --port 8080 --contacts 100000`` serves it
from the shell; ``async with run_emulator(EmulatorConfig(...)) as emu`` in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

import jwt
import msgspec
from aiohttp import web

from ..ratelimit.windows import parse_windows
from ..transport.auth import JWTAuth, quiet_key_length_warning
from .data import (
    DIALING_MODES,
    STATUSES,
    campaign_id,
    contact_list_id,
    generated_campaign,
    iso,
    list_contact,
    list_name,
    status_row,
)
from .faults import RATE_LIMIT_MESSAGE, FaultKind, Faults, RateGate
from .state import STARTABLE, State

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
    Writes (:mod:`korecampaign_async.emulator.state`): a started campaign dials its contacts
    over ``run_seconds``; a created one is ``Preparing`` for ``prepare_seconds``; added
    contacts appear ``import_delay`` seconds after the call; ``state_file`` persists the
    state; the ``slow-after-write`` fault holds an applied write's answer ``slow_seconds``;
    ``lists_method`` is what ``getAllListDetails`` accepts (the page says POST, its curl GETs),
    ``lists_paging`` how it pages: ``all`` lists at once (the sample), ``totals`` (pages of
    ``lists_page_size`` with ``totalPages``), ``has-more`` (only ``hasMore``), or ``ignored``
    (``hasMore`` true but every page the first).
    ``page_cap`` (0 = none): the server serves at most this many rows per page whatever
    ``limit`` asked (its totals follow its own page size; with ``echo="none"`` it does not
    say so). Readings the docs leave open: ``paging`` (see :data:`PagingMode`), ``echo`` (see
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
    state_file: str | None = None
    run_seconds: float = 20.0
    prepare_seconds: float = 0.2
    import_delay: float = 0.0
    slow_seconds: float = 3.0
    lists_method: Literal["POST", "GET", "both"] = "both"
    lists_paging: Literal["all", "totals", "has-more", "ignored"] = "all"
    lists_page_size: int = 2
    page_cap: int = 0

    @property
    def effective_iid(self) -> str:
        """The ``iid`` header value the emulator expects."""
        return self.iid or self.stream_id


class _PageArgs(NamedTuple):
    offset: int
    limit: int
    echo_page: int | None
    echo_skip: int | None
    echo_limit: int | None


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


class Emulator:
    """The emulator application and its state. Use :func:`run_emulator` to serve it."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.stats = EmulatorStats()
        self.faults = Faults(self.config)
        self._rate = RateGate(self.config)
        self._valid_tokens: set[str] = set()
        self._campaign_cache: dict[int, dict[str, Any]] = {}
        self.generation = self.config.generation
        self._page_cache: dict[tuple[str, int, int, int], bytes] = {}
        self.url = ""
        self._runner: web.AppRunner | None = None
        self.state = State(self.config)
        self.app = web.Application()
        prefix = "/campaign/api/v2/public/{stream_id}/campaign"
        router = self.app.router
        router.add_post(prefix + "/getAllCampaignDetails", self._list_campaigns)
        router.add_post(prefix + "/contactList/createContactList", self._create_list)
        router.add_route("*", prefix + "/contactList/getAllListDetails", self._all_lists)
        router.add_get(prefix + "/contactList/{list_id}/getAllContacts", self._list_contacts)
        router.add_get(prefix + "/contactList/{list_id}", self._get_list)
        router.add_put(prefix + "/contactList/{list_id}", self._update_list)
        router.add_delete(prefix + "/contactList/{list_id}", self._delete_list)
        router.add_post(prefix + "/schedule", self._schedule)
        router.add_post(prefix + "/trigger/{campaign_id}", self._trigger)
        router.add_post(prefix, self._create_campaign)
        router.add_post(prefix + "/{campaign_id}/status", self._campaign_status)
        router.add_post(prefix + "/{instance_id}/callContactAt", self._call_back)
        router.add_get(prefix + "/{campaign_id}", self._get_campaign)
        router.add_put(prefix + "/{campaign_id}", self._update_campaign)
        router.add_delete(prefix + "/{campaign_id}", self._delete_campaign)
        router.add_post("/api/1.1/public/{stream_id}/campaign/contactList/addContacts", self._add_contacts)
        router.add_post("/_emulator/advance", self._advance)

    # -- control ------------------------------------------------------------------------
    def inject(self, *faults: FaultKind, endpoint: str | None = None) -> None:
        """Queue faults for the next requests (to ``endpoint`` = ``status``, ``campaigns``,
        ``campaign`` or ``contacts`` when given), one fault per request, in order."""
        self.faults.inject(*faults, endpoint=endpoint)

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
    def campaign(self, index: int) -> dict[str, Any]:
        """The JSON document of campaign ``index`` (voice when even, SMS when odd), with
        what the state changed (a start, a stop, an update, a schedule) applied."""
        cached = self._campaign_cache.get(index)
        if cached is None:
            cached = self._campaign_cache[index] = generated_campaign(index, self.generation)
        return self.state.overlay(cached)

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
        if cid in self.state.deleted:
            return None
        return index if 0 <= index < self.config.campaigns and cid == campaign_id(index) else None

    def contact_count(self, cid: str) -> int:
        """Rows of the contact status of campaign ``cid``."""
        return self.config.contact_counts.get(cid, self.config.contacts)

    status_row = staticmethod(status_row)
    list_contact = staticmethod(list_contact)

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
                with quiet_key_length_warning():  # a short made-up secret is the test's business
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
        now = time.monotonic()
        self.stats.arrival_times.append(now)
        wait = self._rate.delay()
        if wait > 0:
            self.stats.throttled += 1
            hint = {"Retry-After": f"{max(wait, 0.001):.3f}"} if self.config.rate_limit_retry_after else None
            return self._error(429, RATE_LIMIT_MESSAGE, hint)
        self.stats.admitted_times.append(now)
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
            due += (cfg.latency_ms + self.faults.jitter(cfg.jitter_ms)) / 1000
        try:
            body = await request.read()
        except ConnectionResetError:  # the client went away (cancelled request)
            return web.Response(status=499)
        response, action = self._answer(request, endpoint, account_query, build, body)
        delay = due - loop.time()
        if action == "slow-after-write":
            delay += cfg.slow_seconds  # applied, and answered too late for the client
        if delay > 0:
            await asyncio.sleep(delay)
        if action in ("drop", "drop-after-write") and request.transport is not None:
            request.transport.close()
        return response

    def _answer(
        self, request: web.Request, endpoint: str, account_query: bool, build: Any, body: bytes
    ) -> tuple[web.Response, str | None]:
        """The response to send, and what to do instead (drop the connection, answer late)."""
        cfg = self.config
        denied = self._check_auth(request, account_query=account_query)
        if denied is not None:
            return denied, None
        limited = self._rate_limited()
        if limited is not None:
            return limited, None
        fault = self.faults.pick(endpoint)
        if fault == "429":
            return self._error(429, RATE_LIMIT_MESSAGE, {"Retry-After": f"{cfg.retry_after:g}"}), None
        if fault in ("500", "502", "503", "504"):
            return self._error(int(fault), "Service temporarily unavailable"), None
        if fault == "drop":
            return web.Response(status=599), "drop"
        if fault == "html":
            html = "<html><body>Bad Gateway</body></html>"
            return web.Response(status=502, text=html, content_type="text/html"), None
        try:
            payload = msgspec.json.decode(body) if body else {}
        except msgspec.DecodeError:
            return self._error(400, "request body is not valid JSON"), None
        result = build(request, payload)
        if isinstance(result, web.Response):
            return result, fault if fault in ("slow-after-write", "drop-after-write") else None
        data, page_key = result
        encoded = data if isinstance(data, bytes) else _encode(data)
        if fault == "malformed":
            encoded = encoded[: max(1, len(encoded) // 2)]
        elif page_key is not None:
            self.stats.pages_served[page_key] += 1
        return web.Response(body=encoded, content_type="application/json"), (
            fault if fault in ("slow-after-write", "drop-after-write") else None
        )

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
        if self.config.page_cap and limit > self.config.page_cap:
            limit = self.config.page_cap  # the server's own page size, whatever was asked
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
            return _PageArgs(offset, limit, offset // limit + 1, offset, limit)
        if echo == "request":
            return _PageArgs(offset, limit, page, skip if skip is not None else by_page, limit)
        return _PageArgs(offset, limit, None, None, None)

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
            found = self._campaign_or_404(req)
            if isinstance(found, web.Response):
                return found
            cid, doc, ctype = found
            if req.query.get("view") != "contacts":  # view=status: the documented summary
                return {"status": "success", "data": {"id": cid, "status": doc["status"], "name": doc["name"]}}, None
            if ctype != "voice":
                return self._error(400, f"Campaign {cid} is not a voice campaign")
            args = self._page_args(payload, 10, takes_skip=False)
            if isinstance(args, str):
                return self._error(400, args)
            offset, limit = args.offset, args.limit
            index = self._campaign_index(cid)
            if index is None:  # a created campaign: its lists' contacts, dialled as its run goes
                rows_all = self.state.status_rows(cid, self._campaign_contacts(doc))
                total = len(rows_all)
                rows = rows_all[offset : offset + limit]
                body = _encode({"status": "success", "data": self._status_data(rows, args, total)})
                return body, ("status", cid, offset // limit + 1, limit)
            total = self.contact_count(cid)
            key = (cid, offset, limit, total)
            cached = self._page_cache.get(key)
            if cached is None:
                generation = self.generation
                rows = [self.status_row(index, r, generation) for r in range(offset, min(offset + limit, total))]
                cached = _encode({"status": "success", "data": self._status_data(rows, args, total)})
                self._cache(key, cached)
            return cached, ("status", cid, offset // limit + 1, limit)

        return await self._serve(request, "status", account_query=False, build=build)

    def _status_data(self, rows: list[dict[str, Any]], args: _PageArgs, total: int) -> dict[str, Any]:
        data: dict[str, Any] = {"results": rows}
        if args.echo_page is not None:
            data["page"] = args.echo_page
        if args.echo_limit is not None:
            data["limit"] = args.echo_limit
        data.update(self._totals(total, args.limit))
        return data

    def _campaign_doc(self, cid: str) -> tuple[dict[str, Any], str] | None:
        """A campaign's document now (generated or created, runs applied) and its type."""
        index = self._campaign_index(cid)
        if index is not None:
            return self.campaign(index), "voice" if index % 2 == 0 else "sms"
        created = self.state.campaigns.get(cid)
        if created is None:
            return None
        return self.state.overlay(State.public(created)), str(created["_type"])

    def _campaign_or_404(self, req: web.Request) -> tuple[str, dict[str, Any], str] | web.Response:
        """The campaign of the path (id, document now, type), or the 404 answer."""
        cid = req.match_info["campaign_id"]
        found = self._campaign_doc(cid)
        if found is None:
            return self._error(404, f"Campaign {cid} not found")
        return cid, found[0], found[1]

    def _created_campaigns(self, ctype: str) -> list[dict[str, Any]]:
        return [self.state.overlay(State.public(doc)) for doc in self.state.campaigns.values() if doc["_type"] == ctype]

    def _list_by_name(self, name: str) -> tuple[str, int | None] | None:
        """The id of the list named ``name`` (case-insensitive) and its generated index."""
        folded = name.casefold()
        for index in range(self.config.contact_lists):
            lid = contact_list_id(index)
            if lid not in self.state.deleted_lists and list_name(index).casefold() == folded:
                return lid, index
        for lid, doc in self.state.lists.items():
            if str(doc["name"]).casefold() == folded:
                return lid, None
        return None

    def _list_index(self, lid: str) -> int | None:
        try:
            index = int(lid[7:]) if lid.startswith("cl-emu-") else -1
        except ValueError:
            return None
        ok = 0 <= index < self.config.contact_lists and lid == contact_list_id(index)
        return index if ok and lid not in self.state.deleted_lists else None

    def _campaign_contacts(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        contacts: list[dict[str, Any]] = []
        for name in doc.get("contactLists") or []:
            found = self._list_by_name(str(name))
            if found is None:
                continue
            total, contact = self.state.list_contacts(*found)
            contacts.extend(contact(r) for r in range(total))
        return contacts

    def _name_taken(self, name: str, ctype: str | None = None) -> bool:
        folded = name.casefold()
        for c in ("voice", "sms") if ctype is None else (ctype,):
            start = 0 if c == "voice" else 1
            for index in range(start, self.config.campaigns, 2):
                if campaign_id(index) not in self.state.deleted and self.campaign(index)["name"].casefold() == folded:
                    return True
            if any(str(d["name"]).casefold() == folded for d in self._created_campaigns(c)):
                return True
        return False

    async def _list_contacts(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            lid = req.match_info["list_id"]
            index = self._list_index(lid)
            if index is None and lid not in self.state.lists:
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
            total, contact = self.state.list_contacts(lid, index)
            rows = [contact(r) for r in range(offset, min(offset + limit, total))]
            # pagination fields beside "data", as the contact-list page documents them
            doc: dict[str, Any] = {
                "status": "success",
                "message": "Contacts retrieved successfully",
                "data": {"results": rows},
            }
            if args.echo_skip is not None:
                doc["skip"] = args.echo_skip
            if args.echo_limit is not None:
                doc["limit"] = limit
            doc.update(hasMore=offset + limit < total, **self._totals(total, limit))
            return doc, ("contacts", lid, offset // limit + 1, limit)

        return await self._serve(request, "contacts", account_query=True, build=build)

    async def _get_campaign(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            found = self._campaign_or_404(req)
            if isinstance(found, web.Response):
                return found
            doc = found[1]
            return {"status": "success", "message": f"Campaign {doc['name']} retrieved successfully", "data": doc}, None

        return await self._serve(request, "campaign", account_query=True, build=build)

    # -- writes -------------------------------------------------------------------------------
    def _check_campaign_body(self, payload: Any, ctype: str, *, partial: bool = False) -> str | None:
        """The server's own checks of a campaign body (not the SDK's): required fields,
        the documented enums and limits, contact lists that exist."""
        if not isinstance(payload, dict):
            return "request body must be a JSON object"
        required = ["name", "description", "contactLists"] if not partial else []
        missing = [k for k in required if not payload.get(k)]
        if missing:
            return f'"{missing[0]}" is required'
        if "name" in payload and (not isinstance(payload["name"], str) or len(payload["name"]) > 48):
            return '"name" must be a string of at most 48 characters'
        if "description" in payload and len(str(payload["description"])) > 256:
            return '"description" must be at most 256 characters'
        for name in payload.get("contactLists") or []:
            if self._list_by_name(str(name)) is None:
                return f"Contact list {name} does not exist"
        if "priority" in payload and str(payload["priority"]) not in ("1", "2", "3", "4", "5"):
            return '"priority" must be one of 1, 2, 3, 4, 5'
        if (
            ctype == "voice"
            and "dialingMode" in payload
            and payload["dialingMode"]
            not in (
                "Agentless",
                "Progressive",
                "Preview",
            )
        ):
            return '"dialingMode" must be one of Agentless, Progressive, Preview'
        if ctype == "sms" and "format" in payload and payload["format"] not in ("simple", "advanced"):
            return '"format" must be one of simple, advanced'
        return None

    async def _create_campaign(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            ctype = req.query.get("campaignType")
            if ctype not in ("voice", "sms"):
                return self._error(400, '"campaignType" must be one of [voice, sms]')
            problem = self._check_campaign_body(payload, ctype)
            if problem:
                return self._error(400, problem)
            if self._name_taken(payload["name"]):
                return self._error(400, f"Campaign with name {payload['name']} already exists")
            doc = self.state.create_campaign(ctype, payload)
            message = f"Campaign {doc['name']} creation in progress"
            return {"status": "success", "message": message, "data": doc}, None

        return await self._serve(request, "create", account_query=True, build=build)

    async def _update_campaign(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            found = self._campaign_or_404(req)
            if isinstance(found, web.Response):
                return found
            cid, doc, ctype = found
            problem = self._check_campaign_body(payload, ctype, partial=True)
            if problem:
                return self._error(400, problem)
            name = payload.get("name")
            if name and str(name).casefold() != doc["name"].casefold() and self._name_taken(name):
                return self._error(400, f"Campaign with name {name} already exists")
            self.state.update_campaign(cid, doc, payload)
            self._campaign_cache.clear()
            updated = self._campaign_doc(cid)
            assert updated is not None
            message = f"Campaign {updated[0]['name']} details updated successfully"
            return {"status": "success", "message": message, "id": cid, "data": updated[0]}, None

        return await self._serve(request, "update", account_query=True, build=build)

    async def _delete_campaign(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            found = self._campaign_or_404(req)
            if isinstance(found, web.Response):
                return found
            cid, doc, _ = found
            if doc["status"] == "Active":
                return self._error(400, f"Campaign {doc['name']} is active: stop it before deleting it")
            self.state.delete_campaign(cid)
            return {"status": "success", "message": f"Campaign {doc['name']} deleted successfully", "data": doc}, None

        return await self._serve(request, "delete", account_query=True, build=build)

    async def _trigger(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            trigger = req.query.get("trigger")
            if trigger not in ("play", "stop"):
                return self._error(400, '"trigger" must be one of [play, stop]')
            found = self._campaign_or_404(req)
            if isinstance(found, web.Response):
                return found
            cid, doc, ctype = found
            if req.query.get("campaignType") != ctype:
                return self._error(400, f"Campaign {cid} is a {ctype} campaign")
            now = iso(datetime.now(UTC))
            if trigger == "play":
                if doc["status"] == "Active":
                    return self._error(400, f"Campaign {doc['name']} is already active")
                if doc["status"] not in STARTABLE:
                    return self._error(400, f"Campaign {doc['name']} cannot start while {doc['status']}")
                instance = self.state.start(cid)
                self._campaign_cache.clear()
                answer: dict[str, Any] = {"status": "Active", "message": "Campaign Started"}
                if ctype == "voice":
                    answer.update(totalCallsCompleted=0, updatedAt=now, campaignInstanceId=instance)
                else:
                    answer["updatedAt"] = now
                return answer, None
            if doc["status"] != "Active":
                return self._error(400, f"Campaign {doc['name']} is not active")
            stopped = self.state.stop(cid)
            self._campaign_cache.clear()
            answer = {"status": "Stopped", "message": "Campaign Stopped", "updatedAt": now}
            if ctype == "voice":
                answer["campaignInstanceId"] = stopped
            else:
                answer["campaignExecutionType"] = "NORMAL"
            return answer, None

        return await self._serve(request, "trigger", account_query=True, build=build)

    async def _schedule(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            name = req.query.get("campaignName", "")
            enable = req.query.get("enableSchedule")
            if enable not in ("true", "false"):
                return self._error(400, '"enableSchedule" must be true or false')
            cid = self._campaign_id_by_name(name)
            if cid is None:
                return self._error(404, f"Campaign {name} not found")
            if enable == "true":
                if not isinstance(payload, dict) or not {"startDateTime", "endDateTime", "recurrenceObject"} <= set(
                    payload
                ):
                    return self._error(400, '"startDateTime", "endDateTime" and "recurrenceObject" are required')
                schedule = {"isSchedulingEnabled": True, "isRecurrenceEnabled": True, **payload}
                message = f"Campaign {name} scheduled successfully"
            else:
                schedule = {"isSchedulingEnabled": False}
                message = f"Campaign {name} schedule disabled successfully"
            self.state.set_schedule(cid, schedule)
            self._campaign_cache.clear()
            return {"status": "success", "message": message, "id": cid}, None

        return await self._serve(request, "schedule", account_query=False, build=build)

    def _campaign_id_by_name(self, name: str) -> str | None:
        folded = name.casefold()
        for index in range(self.config.campaigns):
            cid = campaign_id(index)
            if cid not in self.state.deleted and self.campaign(index)["name"].casefold() == folded:
                return cid
        return next((cid for cid, d in self.state.campaigns.items() if str(d["name"]).casefold() == folded), None)

    async def _call_back(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            instance = req.match_info["instance_id"]
            if self.state.instance_campaign(instance) is None:
                return self._error(404, f"Campaign instance {instance} not found")
            if not isinstance(payload, list):
                return self._error(400, "request body must be an array of call-backs")
            now = datetime.now(UTC)
            results = []
            for item in payload:
                item_id = item.get("campaignDialingListId") if isinstance(item, dict) else None
                try:
                    when = datetime.fromisoformat(str(item.get("timeToContact", "")).replace("Z", "+00:00"))
                except (ValueError, AttributeError):
                    results.append({"campaignDialingListId": item_id, "status": "failed", "reason": "invalid_time"})
                    continue
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                ok = when > now
                entry: dict[str, Any] = {"campaignDialingListId": item_id, "status": "success" if ok else "failed"}
                if not ok:
                    entry["reason"] = "time_in_past"
                results.append(entry)
            return {"status": "success", "data": results}, None

        return await self._serve(request, "callback", account_query=False, build=build)

    # -- contact lists ------------------------------------------------------------------------
    def _list_doc(self, lid: str) -> dict[str, Any] | None:
        index = self._list_index(lid)
        if index is not None:
            return self.state.generated_list(index)
        return self.state.list_doc(lid) if lid in self.state.lists else None

    async def _create_list(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            if not isinstance(payload, dict):
                return self._error(400, "request body must be a JSON object")
            name, description = payload.get("name"), payload.get("description")
            if not isinstance(name, str) or not name or len(name) > 48:
                return self._error(400, '"name" is required (at most 48 characters)')
            if not isinstance(description, str) or not description or len(description) > 256:
                return self._error(400, '"description" is required (at most 256 characters)')
            if payload.get("source") != "passiveApi":
                return self._error(400, '"source" must be "passiveApi"')
            if "allowDuplicates" in payload and not isinstance(payload["allowDuplicates"], bool):
                return self._error(400, '"allowDuplicates" must be a boolean')
            if self._list_by_name(name) is not None:
                return self._error(400, f"Contact list with name {name} already exists")
            doc = self.state.create_list(payload)
            return {"status": "success", "message": f"Contact list {name} created successfully", "data": doc}, None

        return await self._serve(request, "list-create", account_query=True, build=build)

    async def _get_list(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            lid = req.match_info["list_id"]
            doc = self._list_doc(lid)
            if doc is None:
                return self._error(404, f"Contact list {lid} not found")
            return {"status": "success", "message": "", "data": doc}, None

        return await self._serve(request, "list-get", account_query=True, build=build)

    async def _update_list(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            lid = req.match_info["list_id"]
            if lid not in self.state.lists:
                known = self._list_doc(lid) is not None
                return self._error(
                    400 if known else 404, f"Contact list {lid} {'is read-only' if known else 'not found'}"
                )
            if not isinstance(payload, dict) or not ({"name", "description"} & set(payload)):
                return self._error(400, '"name" or "description" is required')
            doc = self.state.lists[lid]
            for key in ("name", "description"):
                if key in payload:
                    doc[key] = payload[key]
            self.state.save()
            body = {"name": doc["name"], "listType": "call", "accountId": self.config.account_id}
            message = f"Contact list {doc['name']} updated successfully"
            return {"status": "success", "message": message, "data": {"contactListId": lid, "body": body}}, None

        return await self._serve(request, "list-update", account_query=True, build=build)

    async def _delete_list(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            lid = req.match_info["list_id"]
            doc = self._list_doc(lid)
            if doc is None:
                return self._error(404, f"Contact list {lid} not found")
            for ctype in ("voice", "sms"):
                for campaign in self._created_campaigns(ctype):
                    if doc["name"] in campaign.get("contactLists", []):
                        return self._error(400, f"Contact list {doc['name']} is in use by {campaign['name']}")
            self.state.delete_list(lid)
            message = f"Contact list {doc['name']} deleted successfully"
            return {"status": "success", "message": message, "data": doc}, None

        return await self._serve(request, "list-delete", account_query=True, build=build)

    async def _all_lists(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            allowed = ("POST", "GET") if self.config.lists_method == "both" else (self.config.lists_method,)
            if req.method not in allowed:
                return self._error(405, f"{req.method} not allowed")
            docs = [self.state.generated_list(i) for i in range(self.config.contact_lists)]
            docs = [d for d in docs if d["_id"] not in self.state.deleted_lists]
            docs.extend(self.state.list_doc(lid) for lid in self.state.lists)
            mode = self.config.lists_paging
            if mode == "all":
                return {"status": "success", "message": "", "data": docs}, None  # every list at once, as the sample
            source = payload if req.method == "POST" and isinstance(payload, dict) else dict(req.query)
            try:
                page = max(1, int(source.get("page", 1)))
            except (TypeError, ValueError):
                return self._error(400, '"page" must be an integer')
            size = self.config.lists_page_size
            offset = 0 if mode == "ignored" else (page - 1) * size
            doc: dict[str, Any] = {"status": "success", "message": "", "data": docs[offset : offset + size]}
            doc["hasMore"] = True if mode == "ignored" else offset + size < len(docs)
            if mode == "totals":
                doc.update(page=page, limit=size, totalPages=math.ceil(len(docs) / size), totalResults=len(docs))
            return doc, None

        return await self._serve(request, "lists", account_query=True, build=build)

    async def _add_contacts(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            if not isinstance(payload, dict):
                return self._error(400, "request body must be a JSON object")
            name = payload.get("contact_list_name")
            data = payload.get("data")
            if not isinstance(name, str) or not name:
                return self._error(400, '"contact_list_name" is required')
            if not isinstance(data, list) or not data:
                return self._error(400, '"data" must be a non-empty array of contacts')
            found = self._list_by_name(name)
            if found is None:
                return self._error(404, f"Contact list {name} not found")
            for i, contact in enumerate(data):
                if not isinstance(contact, dict) or not contact.get("phoneNumber"):
                    return self._error(400, f"data[{i}]: phoneNumber is required")
            self.state.queue_contacts(found[0], [dict(c) for c in data])
            return {"status": "success", "message": "Contacts queued for addition."}, None

        return await self._serve(request, "add-contacts", account_query=True, build=build)

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
            if args.echo_limit is not None:
                data["limit"] = limit
            data.update(hasMore=offset + limit < total, **self._totals(total, limit))
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
            if campaign_id(index) in self.state.deleted:
                continue
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
        for doc in self._created_campaigns(ctype):
            if (status and doc["status"] not in status) or (priority and int(doc["priority"]) not in priority):
                continue
            if (mode and doc.get("dialingMode") not in mode) or (start and doc["createdAt"] < start):
                continue
            if not (end and doc["createdAt"] > end):
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
    parser.add_argument(
        "--state-file", help="keep what writes create (campaigns, lists, contacts, runs) in this JSON file"
    )
    parser.add_argument(
        "--run-seconds", type=float, default=20.0, help="a started campaign dials all its contacts in this time"
    )
    parser.add_argument(
        "--import-delay",
        type=float,
        default=0.0,
        help="added contacts ('queued for addition') appear this many seconds after the call (default 0)",
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
        state_file=args.state_file,
        run_seconds=args.run_seconds,
        import_delay=args.import_delay,
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

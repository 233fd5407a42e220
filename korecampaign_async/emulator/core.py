"""The emulator's core, below its routes: configuration and state, the JWT and header
checks, the rate windows and faults applied to every request, the page/skip readings, the
latency, the statistics, and the lookups every route shares. The routes (:mod:`.routes`)
add the endpoints; :mod:`.server` assembles them."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jwt
import msgspec
from aiohttp import web

from ..transport.auth import JWTAuth, quiet_key_length_warning
from .config import EmulatorConfig
from .data import (
    campaign_id,
    contact_list_id,
    generated_campaign,
    list_contact,
    list_name,
    status_row,
)
from .faults import RATE_LIMIT_MESSAGE, FaultKind, Faults, RateGate
from .flavour import expectation, shape
from .state import State

__all__ = ["SERVE_CEILING", "STATUS_MAX_LIMIT", "EmulatorCore", "EmulatorStats"]

#: ``limit`` of the contact-status endpoint: 1..100, as its page documents.
STATUS_MAX_LIMIT = 100
#: The largest ``limit`` any endpoint takes, whatever its policy (a sanity bound).
SERVE_CEILING = 10_000

_encode = msgspec.json.Encoder().encode


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


class EmulatorCore:
    """State and request plumbing shared by the routes (see the module docstring)."""

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
            **({"api": cfg.api} if cfg.api != "v2" else {}),
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
            **({"KORE_API": cfg.api} if cfg.api != "v2" else {}),
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

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(
            status=status,
            body=_encode({"status": "error", "message": message}),
            content_type="application/json",
            headers=headers,
        )

    def _check_auth(self, request: web.Request, endpoint: str, *, account_query: bool) -> web.Response | None:
        cfg = self.config
        expected = expectation(cfg, endpoint, account_query)
        if request.match_info["stream_id"] != expected.path_id:
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
        if expected.headers and request.headers.get("iid") != cfg.effective_iid:
            return self._error(401, "missing or wrong iid header")
        if expected.headers and request.headers.get("accountId") != cfg.account_id:
            return self._error(401, "missing or wrong accountId header")
        if expected.account_query:
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
        denied = self._check_auth(request, endpoint, account_query=account_query)
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
        if cfg.api != "v2" and not isinstance(data, bytes):
            data = shape(cfg, endpoint, dict(request.query), data)
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
        # the status endpoint documents 1..100; the others no maximum: the configured policy
        max_limit = STATUS_MAX_LIMIT if not takes_skip else self.config.max_limit
        policy = "reject" if not takes_skip else self.config.limit_policy
        limit = source.get("limit", default_limit)
        page = source.get("page", 1)
        skip = source.get("skip")
        if limit == "":
            limit = default_limit
        if page == "":
            page = 1
        if skip == "":
            skip = None
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1 or limit > SERVE_CEILING:
            return f'"limit" must be an integer between 1 and {max_limit if policy == "reject" else SERVE_CEILING}'
        if limit > max_limit:
            if policy == "reject":
                return f'"limit" must be an integer between 1 and {max_limit}'
            if policy == "cap":
                limit = max_limit  # its own page size, whatever was asked (its totals follow it)
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

    def _campaign_id_by_name(self, name: str) -> str | None:
        folded = name.casefold()
        for index in range(self.config.campaigns):
            cid = campaign_id(index)
            if cid not in self.state.deleted and self.campaign(index)["name"].casefold() == folded:
                return cid
        return next((cid for cid, d in self.state.campaigns.items() if str(d["name"]).casefold() == folded), None)

    def _list_doc(self, lid: str) -> dict[str, Any] | None:
        index = self._list_index(lid)
        if index is not None:
            return self.state.generated_list(index)
        return self.state.list_doc(lid) if lid in self.state.lists else None

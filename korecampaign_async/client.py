"""The public client: endpoint methods over one :class:`~korecampaign_async.transport.Transport`.

Every method validates its arguments first (raising
:class:`~korecampaign_async.errors.InvalidParameterError` before any I/O), builds the
documented request, and decodes the answer straight into the structs of
:mod:`korecampaign_async.models`. The ``iter_*`` methods return a
:class:`~korecampaign_async.paging.stream.RecordStream` that pages concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, NamedTuple, Protocol, TypeVar

import msgspec
from yarl import URL

from .errors import ConfigurationError, DecodeError, InvalidParameterError, KoreAPIError, ValidationError
from .models.checks import (
    AUTO_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_UNDOCUMENTED_PAGE_SIZE,
    check_campaign_type,
    check_filters,
    check_id,
    check_iso_datetime,
    check_limit,
    check_page,
    check_page_size,
    check_sort,
)
from .models.records import (
    Campaign,
    CampaignContact,
    CampaignFilters,
    CampaignType,
    Contact,
    ContactStatusRequest,
    Envelope,
    ListCampaignsRequest,
    Page,
    PageData,
    to_page,
)
from .paging.plan import ChangePolicy, request_params
from .paging.stream import PageSizeCell, ReadingCell, RecordStream
from .ratelimit.concurrency import AdaptiveConcurrency
from .ratelimit.windows import RateLimit, RateLimiter
from .resources import Campaigns, ContactLists
from .transport.auth import AuthProvider, JWTAuth, resolve_auth
from .transport.core import RAW_BODY, BodyDecoder, ClientStats, Hooks, RetryPolicy, Transport
from .transport.flavour import (
    EDITION_KINDS,
    Addressing,
    ApiName,
    CallKind,
    Edition,
    EditionSetting,
    check_api,
    check_edition,
    other_edition,
    wrong_edition,
)
from .transport.profile import ProfileStore, ServerProfile, touched

__all__ = ["ENV_VARS", "KoreCampaignClient"]

T = TypeVar("T")
E = TypeVar("E")

logger = logging.getLogger("korecampaign_async")

#: Environment variables read by :meth:`KoreCampaignClient.from_env`.
ENV_VARS = (
    "KORE_HOST",
    "KORE_STREAM_ID",
    "KORE_ACCOUNT_ID",
    "KORE_IID",
    "KORE_CLIENT_ID",
    "KORE_CLIENT_SECRET",
    "KORE_TOKEN",
    "KORE_RATE_LIMIT",
    "KORE_API",
    "KORE_API_EDITION",
)

_CAMPAIGN_PAGE = msgspec.json.Decoder(Envelope[PageData[Campaign]])
_CAMPAIGN_ONE = msgspec.json.Decoder(Envelope[Campaign])
_STATUS_PAGE = msgspec.json.Decoder(Envelope[PageData[CampaignContact]])
_CONTACT_PAGE = msgspec.json.Decoder(Envelope[PageData[Contact]])
_encode = msgspec.json.Encoder().encode
_VIEW_CONTACTS = {"view": "contacts"}


class _Fetched(NamedTuple):
    """A page as a stream buffers it: the response body, decoded when the consumer gets there.

    Decoding at fetch time and consuming later left every buffered page's records to go
    cold in memory; decoded just before use, records are created, read and freed while
    they are still in the CPU cache, and the buffer holds compact bytes."""

    body: bytes
    number: int  # the page this body answers
    page: int  # the ``page`` value sent for it
    skip: int  # the ``skip`` value sent for it (ignored by endpoints without one)
    limit: int  # the ``limit`` value sent for it


class _PageRequest(Protocol):
    """Sends the request for one page of an endpoint (``page``, ``skip`` and ``limit`` values
    as the plan chose them), decoding the answer with ``decoder``."""

    def __call__(self, page: int, skip: int, limit: int, decoder: BodyDecoder[E], /) -> Awaitable[E]: ...


#: Endpoints by the name the client learns them under: the two that take ``page`` and
#: ``skip`` (whose reading is learned) and document no maximum ``limit`` (whose page size is).
_LEARNED_ENDPOINTS = ("campaigns", "contacts")


def _names_limit(exc: ValidationError) -> bool:
    """A 4xx that refuses the ``limit`` sent (its message names ``limit``)."""
    return "limit" in (exc.message or "").lower() or "limit" in (exc.body or "").lower()


# Ids are validated by check_id (letters, digits and - _ . ~ :), all legal in a URL path, so
# they are placed in paths as they are: no percent-encoding needed, none done per request.


class KoreCampaignClient:
    """Async client of the Kore.ai Campaign Management API v2, or of the same operations
    as Kore's Contact Center pages document them (``api="contact-center"``).

    Args:
        host: base URL such as ``https://platform.kore.ai`` (any scheme, host and port).
        stream_id: the bot / stream id (``st-...``), part of every v2 path.
        account_id: sent as the ``accountId`` header and query parameter.
        iid: the ``iid`` header (application id); defaults to ``stream_id`` with ``api="v2"``.
            The Contact Center pages put it in the path: required there (unless
            ``edition="stream"``).
        api: ``"v2"`` (``/campaign/api/v2/public/{streamId}``, the default) or
            ``"contact-center"`` (``/agentassist/api/v1/public/{IID}``, start/stop on
            ``/campaign/api/v1``); see :mod:`korecampaign_async.transport.flavour` and the
            "Contact Center" guide for what differs.
        edition: how a Contact Center server is addressed: ``"iid"`` (the application id in
            the path, ``iid``/``accountId`` headers: the current pages), ``"stream"`` (the
            stream id in the path, ``?accountId=``: Koredotcom/docs' older pages) or
            ``"auto"`` (the default: the current edition first, the other once when the
            server's answer shows it speaks that one; remembered in the profile).
        auth: a :class:`JWTAuth`, any object with ``token()``, or a ready-made token string.
        max_concurrency: ceiling of requests in flight for this client.
        adaptive: lower the in-flight limit on 429 and raise it back on success.
        rate_limit: a :class:`RateLimit`, :class:`RedisRateLimit` or any ``acquire()``-able
            budget shared by every call of the client. Off by default: Kore.ai does not
            document which tier the Campaign API is in, and a wrong guess would slow
            exports for nothing; adaptive concurrency handles 429s when it is off.
        retry: the :class:`RetryPolicy`.
        timeout: seconds for one request attempt.
        page_size: records per request of the ``iter_*`` methods. ``"auto"`` (the default):
            the contact-status endpoint uses its documented maximum (100); list campaigns and
            a contact list's contacts, which document none, ask the first page for 1,000 and
            keep what the server does: serves them (1,000 per request from then on), serves
            fewer with totals that agree (its own ceiling), or refuses the size with a 4xx
            naming ``limit`` (100, one request lost). What is learned is kept per endpoint
            (:attr:`page_sizes`). An integer is sent as given; the contact-status endpoint
            takes 1..100 (a larger one raises ``InvalidParameterError`` before any request).
        on_change: what paging does when the result set changes mid-export ("raise" or
            "extend"); see :mod:`korecampaign_async.paging.plan`.
        strict: exact paging checks: every page but the last full, the last holding exactly
            what ``totalResults`` leaves, both totals agreeing. Off by default: a real server
            may count rows it does not serve, and the export then follows the rows and
            reports the shortfall (``stream.shortfall``, ``stats.shortfall``) instead of failing.
        hooks: instrumentation callbacks (:class:`Hooks`).
        profile: remember what is learned about the server (its page/skip reading, page sizes,
            whether 429s carry ``Retry-After``, its rate windows) across processes:
            ``True`` (default) in a JSON file per host and stream in the user's cache directory
            (``KORECAMPAIGN_CACHE_DIR`` overrides), and in Redis when the budget is a
            :class:`RedisRateLimit` (read when the client is entered with ``async with``);
            ``False`` keeps it in memory; a :class:`~korecampaign_async.transport.profile.ProfileStore`
            chooses the directory. See :attr:`profile`.
    """

    def __init__(
        self,
        host: str,
        stream_id: str,
        account_id: str,
        auth: AuthProvider | str,
        *,
        iid: str | None = None,
        max_concurrency: int = 8,
        adaptive: bool = True,
        rate_limit: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        page_size: int | Literal["auto"] = "auto",
        prefetch: int | None = None,
        on_change: ChangePolicy = "raise",
        strict: bool = False,
        hooks: Hooks | None = None,
        profile: ProfileStore | bool = True,
        api: ApiName = "v2",
        edition: EditionSetting = "auto",
    ) -> None:
        self.api: ApiName = check_api(api)
        self.edition_setting: EditionSetting = check_edition(edition)
        if self.api == "contact-center" and self.edition_setting != "stream" and not iid:
            raise ConfigurationError(
                "api='contact-center' needs iid (KORE_IID, --iid): the application id the Contact Center pages put "
                "in the path and the iid header (or edition='stream' for the older pages, addressed by stream id)",
                missing=["KORE_IID"],
            )
        if not isinstance(host, str) or not host.startswith(("http://", "https://")):
            raise ConfigurationError(f"host must be an http(s) URL such as https://platform.kore.ai, got {host!r}")
        missing = [name for name, value in (("stream_id", stream_id), ("account_id", account_id)) if not value]
        if missing:
            raise ConfigurationError("missing client settings: " + ", ".join(missing), missing=missing)
        if not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise InvalidParameterError("max_concurrency", max_concurrency, "an integer >= 1")
        if timeout <= 0:
            raise InvalidParameterError("timeout", timeout, "a number of seconds > 0")
        if on_change not in ("raise", "extend"):
            raise InvalidParameterError("on_change", on_change, "'raise' or 'extend'")
        self.host = host.rstrip("/")
        self.stream_id = check_id(stream_id, "stream_id")
        self.account_id = account_id
        self.iid = check_id(iid, "iid") if iid else stream_id
        self._addressing = Addressing(self.api, host.rstrip("/"), self.stream_id, self.iid, account_id)
        #: the Contact Center edition requests go out in; confirmed by the first answer
        self._edition: Edition = "stream" if self.edition_setting == "stream" else "iid"
        self._edition_confirmed = self.api == "v2" or self.edition_setting != "auto"
        self.max_concurrency = max_concurrency
        self.page_size: int | Literal["auto"] = check_page_size(page_size, "page_size")
        #: page sizes the servers's answers showed each endpoint honours (``page_size="auto"``)
        self._page_sizes: dict[str, int] = {}
        # Pages fetched or buffered ahead of the consumer. Records are delivered in order, so a
        # page waiting for a retry holds back the pages after it; a deep window keeps the other
        # requests busy meanwhile. Memory bound: prefetch * page_size records (~15 MB at 256).
        self.prefetch = prefetch if prefetch is not None else max(256, 8 * max_concurrency)
        self.on_change: ChangePolicy = on_change
        self.strict = bool(strict)
        # The server's page/skip reading per endpoint taking both, learned once (pagination.py).
        self._readings = {name: ReadingCell(name, on_change=self._on_reading) for name in _LEARNED_ENDPOINTS}
        bind = getattr(rate_limit, "bind_default_key", None)
        if callable(bind):
            bind(self.host, self.stream_id, self.account_id)
        if self.api != "v2" and rate_limit is not None and hasattr(rate_limit, "profile_flavour"):
            rate_limit.profile_flavour = self.api  # the budget is shared; the learned profile is not
        self._auth = resolve_auth(auth)
        self._concurrency = AdaptiveConcurrency(max_concurrency, adaptive=adaptive)
        self._transport = Transport(
            self._addressing.root("api", self._edition),
            auth=self._auth,
            headers={"iid": self.iid, "accountId": self.account_id},
            concurrency=self._concurrency,
            rate_limit=rate_limit,
            retry=retry,
            timeout=timeout,
            hooks=hooks,
        )

        #: Campaign writes, triggers, schedules, call-backs, ``wait`` (:class:`.resources.Campaigns`).
        self.campaigns = Campaigns(self)
        #: Contact-list CRUD, listing and bulk import (:class:`.resources.ContactLists`).
        self.contact_lists = ContactLists(self)

        if profile is True or profile is False:
            self._profiles = ProfileStore(persist=profile)
        else:
            self._profiles = profile
        # what is learned of a Contact Center server is kept apart from the v2 API's
        self._profile_key = self.stream_id if self.api == "v2" else f"{self.stream_id}+contact-center"
        self._shared: set[asyncio.Task[None]] = set()  # profile writes to Redis in flight
        self._concurrency.on_windows = lambda windows: self._remember()
        if callable(getattr(rate_limit, "shared_sends", None)) and callable(getattr(rate_limit, "set_windows", None)):
            self._concurrency.share(rate_limit)  # a fleet: its shared log tells the windows, and paces them
        self._hints_saved = (0, 0)
        #: What this client knows about the server (see the ``profile`` argument): loaded from
        #: the saved profile, updated as streams learn, saved when something is learned.
        self.profile = self._profiles.load(self.host, self._profile_key) or ServerProfile(
            host=self.host, stream_id=self._profile_key
        )
        self._apply_profile()

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> KoreCampaignClient:
        """Build a client from ``KORE_*`` environment variables; keyword arguments win.

        Reads ``KORE_HOST``, ``KORE_STREAM_ID``, ``KORE_ACCOUNT_ID``, ``KORE_IID`` (optional),
        ``KORE_CLIENT_ID`` + ``KORE_CLIENT_SECRET`` or ``KORE_TOKEN``, ``KORE_RATE_LIMIT``
        (optional, e.g. ``600/60s,18000/1h`` or ``runtime``), ``KORE_API`` (``v2`` or
        ``contact-center``) and ``KORE_API_EDITION`` (``auto``, ``iid``, ``stream``). Raises
        :class:`ConfigurationError` listing every missing variable at once.
        """
        source = os.environ if env is None else env

        def get(name: str) -> str:
            return (source.get(name) or "").strip()

        kwargs: dict[str, Any] = {}
        missing: list[str] = []
        for var, arg in (("KORE_HOST", "host"), ("KORE_STREAM_ID", "stream_id"), ("KORE_ACCOUNT_ID", "account_id")):
            value = overrides.pop(arg, None) or get(var)
            if value:
                kwargs[arg] = value
            else:
                missing.append(var)
        if "iid" not in overrides and get("KORE_IID"):
            kwargs["iid"] = get("KORE_IID")
        if "auth" not in overrides:
            if get("KORE_TOKEN"):
                kwargs["auth"] = get("KORE_TOKEN")
            elif get("KORE_CLIENT_ID") and get("KORE_CLIENT_SECRET"):
                kwargs["auth"] = JWTAuth(get("KORE_CLIENT_ID"), get("KORE_CLIENT_SECRET"))
            else:
                missing.extend(v for v in ("KORE_CLIENT_ID", "KORE_CLIENT_SECRET") if not get(v))
                missing.append("(or KORE_TOKEN)")
        if "rate_limit" not in overrides and get("KORE_RATE_LIMIT"):
            kwargs["rate_limit"] = RateLimit.parse(get("KORE_RATE_LIMIT"))
        if "api" not in overrides and get("KORE_API"):
            kwargs["api"] = check_api(get("KORE_API"), "KORE_API")
        if "edition" not in overrides and get("KORE_API_EDITION"):
            kwargs["edition"] = check_edition(get("KORE_API_EDITION"), "KORE_API_EDITION")
        if missing:
            raise ConfigurationError(
                "missing settings: " + ", ".join(missing), missing=[m for m in missing if m.startswith("KORE_")]
            )
        kwargs.update(overrides)
        return cls(**kwargs)

    async def __aenter__(self) -> KoreCampaignClient:
        load = getattr(self.rate_limit, "load_profile", None)
        if load is not None:  # a fleet shares what one worker learned (Redis)
            data = await load()
            shared = self._profiles.decode(data, "in Redis", self.host, self._profile_key) if data else None
            if shared is not None and shared.updated_at > self.profile.updated_at:
                self.profile = shared
                self._apply_profile()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the pooled HTTP session (saving what was learned about 429s first)."""
        stats = self.stats
        if (stats.throttled_with_hint, stats.throttled_without_hint) != self._hints_saved:
            self._remember()
        if self._shared:
            await asyncio.gather(*self._shared, return_exceptions=True)
        await self._transport.close()

    # -- the server profile -------------------------------------------------------------------
    def _apply_profile(self) -> None:
        """Use what the profile says (a reading not confirmed yet: see ``ReadingCell.remembered``)."""
        for name, cell in self._readings.items():
            value = self.profile.readings.get(name)
            cell.value = value if value in ("page", "skip") else None  # type: ignore[assignment]
            cell.remembered = cell.value is not None
            cell.echo = self.profile.echoes.get(name)
        self._page_sizes = {k: v for k, v in self.profile.page_sizes.items() if isinstance(v, int) and v > 0}
        if self.edition_setting == "auto" and self.api == "contact-center":
            # an edition remembered is used, not trusted: until an answer confirms it, a
            # wrong-edition answer still tries the other one
            self._edition = self.profile.edition if self.profile.edition in ("iid", "stream") else "iid"  # type: ignore[assignment]
            self._edition_confirmed = False
        if self.profile.windows:  # paced by the windows an earlier run inferred: no 429 to learn them again
            set_windows = getattr(self.rate_limit, "set_windows", None)
            if callable(set_windows):  # a fleet's shared budget paces every process
                set_windows(self.profile.windows)
                self._concurrency.learned_windows = list(self.profile.windows)
            else:
                self._concurrency.install_windows(self.profile.windows)

    def _on_reading(self, cell: ReadingCell) -> None:
        self._remember()

    def _on_page_size(self, endpoint: str, size: int) -> None:
        if self._page_sizes.get(endpoint) != size:
            self._page_sizes[endpoint] = size
            self._remember()

    def _remember(self) -> None:
        """Fold what was learned into :attr:`profile` and save it (file, and Redis when shared)."""
        profile = self.profile
        profile.readings = {name: cell.value for name, cell in self._readings.items() if cell.value is not None}
        profile.echoes = {name: cell.echo for name, cell in self._readings.items() if cell.echo is not None}
        profile.page_sizes = dict(self._page_sizes)
        profile.windows = list(self._concurrency.learned_windows)
        if self.api == "contact-center":
            profile.edition = self._edition
        stats = self.stats
        if stats.throttled_with_hint or stats.throttled_without_hint:
            profile.retry_after = stats.throttled_with_hint > 0
        self._hints_saved = (stats.throttled_with_hint, stats.throttled_without_hint)
        touched(profile)
        self._profiles.save(profile)
        share = getattr(self.rate_limit, "save_profile", None)
        if share is not None:
            with contextlib.suppress(RuntimeError):  # no running loop: the file is enough
                task = asyncio.get_running_loop().create_task(share(msgspec.json.encode(profile)))
                self._shared.add(task)
                task.add_done_callback(self._shared.discard)

    async def forget_profile(self) -> None:
        """Forget what was learned about the server: here, in the profile file and in Redis."""
        self._profiles.forget(self.host, self._profile_key)
        forget = getattr(self.rate_limit, "forget_profile", None)
        if forget is not None:
            await forget()
        self.profile = ServerProfile(host=self.host, stream_id=self._profile_key)
        self._apply_profile()

    def __repr__(self) -> str:
        return (
            f"KoreCampaignClient(host={self.host!r}, stream_id={self.stream_id!r}, "
            f"account_id={self.account_id!r}, auth={self._auth!r}, max_concurrency={self.max_concurrency}"
            + (f", api={self.api!r}, edition={self.edition!r}" if self.api != "v2" else "")
            + ")"
        )

    @property
    def stats(self) -> ClientStats:
        """Live counters: requests, pages, records, bytes, retries by cause, 429s..."""
        return self._transport.stats

    @property
    def transport(self) -> Transport:
        """The underlying transport (session, limiter, retry policy)."""
        return self._transport

    @property
    def rate_limit(self) -> RateLimiter | None:
        """The configured request budget, if any."""
        return self._transport.rate_limit

    @property
    def page_sizes(self) -> dict[str, int | None]:
        """The page size each endpoint honours, as far as this client learned it
        (``page_size="auto"``): ``None`` until a stream of that endpoint showed it."""
        return {name: self._page_sizes.get(name) for name in _LEARNED_ENDPOINTS}

    def page_size_for(self, endpoint: str) -> int:
        """The ``limit`` an ``iter_*`` stream of ``endpoint`` (``"status"``, ``"campaigns"``,
        ``"contacts"``) sends: the configured size, else what was learned, else the first
        ask of ``"auto"``."""
        if endpoint == "status":
            if isinstance(self.page_size, int):
                return check_limit(self.page_size, "page_size")  # its page documents 1..100
            return MAX_PAGE_SIZE
        if isinstance(self.page_size, int):
            return self.page_size
        return self._page_sizes.get(endpoint, AUTO_PAGE_SIZE)

    def _size_cell(self, endpoint: str, explicit: int | None) -> PageSizeCell:
        """The page size of a new stream of ``endpoint``; learned when it is ``"auto"``."""
        if explicit is not None:
            return PageSizeCell(explicit)
        auto = self.page_size == "auto" and endpoint in _LEARNED_ENDPOINTS
        return PageSizeCell(
            self.page_size_for(endpoint),
            auto=auto,
            on_learned=(lambda size: self._on_page_size(endpoint, size)) if auto else None,
        )

    @property
    def paging_readings(self) -> dict[str, str | None]:
        """What the client learned of how the server reads ``page`` and ``skip``, per
        endpoint taking both (``"page"``, ``"skip"``, or ``None`` until an export needed it)."""
        return {name: cell.value for name, cell in self._readings.items()}

    @property
    def edition(self) -> Edition | None:
        """The Contact Center edition requests go out in (``None`` with ``api="v2"``): as
        configured, or as the server's answers showed (``edition="auto"``)."""
        return None if self.api == "v2" else self._edition

    def check_supported(self, operation: str) -> None:
        """Raise :class:`~korecampaign_async.errors.UnsupportedOperationError` when this
        client's API flavour documents no ``operation`` (e.g. ``client.campaigns.schedule``)."""
        self._addressing.check_supported(operation)

    async def _call(
        self,
        kind: CallKind,
        method: str,
        path: str,
        decoder: BodyDecoder[E],
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        idempotent: bool = True,
        v2_account: bool = True,
    ) -> E:
        """Send one call addressed as the flavour and edition say (root, ``accountId``
        query; ``v2_account``: whether the v2 page's sample sends ``?accountId=``). Until an
        answer confirmed the Contact Center edition (``edition="auto"``), an answer that shows
        the other one (:func:`~korecampaign_async.transport.flavour.wrong_edition`: it did
        nothing) sends the same call once in the other edition, and what answers is learned."""
        edition = self._edition
        learning = not self._edition_confirmed and kind in EDITION_KINDS
        try:
            result = await self._send(kind, edition, method, path, decoder, params, body, idempotent, v2_account)
        except KoreAPIError as exc:
            if not learning or not wrong_edition(exc):
                raise
            first_error = exc
        else:
            if learning and not self._edition_confirmed and edition == self._edition:
                self._confirm_edition(edition, None)
            return result
        other = other_edition(edition)
        try:
            result = await self._send(kind, other, method, path, decoder, params, body, idempotent, v2_account)
        except KoreAPIError as exc:
            if wrong_edition(exc):
                raise first_error from None  # neither edition knows it: the first answer stands
            raise
        self._confirm_edition(other, first_error)
        return result

    def _send(
        self,
        kind: CallKind,
        edition: Edition,
        method: str,
        path: str,
        decoder: BodyDecoder[E],
        params: Mapping[str, str] | None,
        body: bytes | None,
        idempotent: bool,
        v2_account: bool,
    ) -> Awaitable[E]:
        """One attempt of :meth:`_call`, addressed for ``edition``."""
        return self._transport.request(
            method,
            path,
            decoder,
            params=self._addressing.params(kind, edition, params, v2=v2_account),
            body=body,
            idempotent=idempotent,
            root=self._addressing.root(kind, edition),
        )

    def _display_path(self, path: str, kind: CallKind = "api") -> str:
        """The URL path a call of ``kind`` to ``path`` goes to now (logs, ``check``)."""
        return URL(self._addressing.root(kind, self._edition)).path.rstrip("/") + path

    def _confirm_edition(self, edition: Edition, evidence: KoreAPIError | None) -> None:
        changed = edition != self._edition or self.profile.edition != edition
        if evidence is not None:
            self._transport.stats.discrepancies += 1
            logger.info(
                "the Contact Center server answers the %s edition (%s addressing): the %s edition got HTTP %d (%s)",
                edition,
                "stream id in the path, ?accountId=" if edition == "stream" else "application id in the path, headers",
                other_edition(edition),
                evidence.status,
                evidence.message,
            )
        self._edition = edition
        self._edition_confirmed = True
        if changed:
            self._remember()

    # -- campaigns --------------------------------------------------------------------------
    async def get_campaign(self, campaign_id: str) -> Campaign:
        """Fetch one campaign (``GET campaign/{campaignId}?accountId=``)."""
        cid = check_id(campaign_id, "campaign_id")
        envelope = await self._call("api", "GET", f"/campaign/{cid}", _CAMPAIGN_ONE)
        return envelope.data

    def _campaigns_body(
        self,
        type: CampaignType,
        page: int,
        limit: int,
        filters: CampaignFilters | Mapping[str, object] | None,
        sort_by: Mapping[str, str] | str | None,
        start_date: datetime | str | None,
        end_date: datetime | str | None,
    ) -> ListCampaignsRequest:
        ctype = check_campaign_type(type)
        start = check_iso_datetime(start_date, "startDate")
        end = check_iso_datetime(end_date, "endDate")
        if start and end and start > end:
            raise InvalidParameterError("endDate", end_date, f"a time at or after startDate ({start})")
        page_param, skip = request_params(
            check_page(page), check_limit(limit, maximum=MAX_UNDOCUMENTED_PAGE_SIZE), self._readings["campaigns"].value
        )
        return ListCampaignsRequest(
            type=ctype,
            page=page_param,
            limit=limit,
            skip=skip,
            start_date=start,
            end_date=end,
            sort_by=check_sort(sort_by),
            filters=check_filters(filters, ctype, api=self.api),
        )

    async def list_campaigns(
        self,
        type: CampaignType,
        *,
        page: int = 1,
        limit: int = MAX_PAGE_SIZE,
        filters: CampaignFilters | Mapping[str, object] | None = None,
        sort_by: Mapping[str, str] | str | None = None,
        start_date: datetime | str | None = None,
        end_date: datetime | str | None = None,
    ) -> Page[Campaign]:
        """One page of SMS or voice campaigns (``POST getAllCampaignDetails``).

        ``filters`` takes ``status``, ``priority`` and (voice only) ``dialingMode`` lists;
        ``sort_by`` a mapping such as ``{"createdAt": "desc"}`` or ``"createdAt:desc"``.
        """
        body = self._campaigns_body(type, page, limit, filters, sort_by, start_date, end_date)
        envelope = await self._campaigns_request(body, _CAMPAIGN_PAGE)
        return to_page(envelope, requested_page=page, requested_limit=body.limit)

    async def _campaigns_request(self, body: ListCampaignsRequest, decoder: BodyDecoder[E]) -> E:
        return await self._call("api", "POST", "/campaign/getAllCampaignDetails", decoder, body=_encode(body))

    def iter_campaigns(
        self,
        type: CampaignType,
        *,
        filters: CampaignFilters | Mapping[str, object] | None = None,
        sort_by: Mapping[str, str] | str | None = None,
        start_date: datetime | str | None = None,
        end_date: datetime | str | None = None,
        page_size: int | None = None,
        start_page: int = 1,
        on_change: ChangePolicy | None = None,
        strict: bool | None = None,
        prefetch: int | None = None,
    ) -> RecordStream[Campaign]:
        """Every matching campaign, all pages fetched concurrently, in API order.

        ``start_page`` resumes an interrupted export; ``strict``, ``on_change`` and
        ``prefetch`` override the client's settings for this stream."""
        explicit = None if page_size is None else check_limit(page_size, "page_size", MAX_UNDOCUMENTED_PAGE_SIZE)
        size = self._size_cell("campaigns", explicit)
        template = self._campaigns_body(type, start_page, size.value, filters, sort_by, start_date, end_date)

        def request(page: int, skip: int, limit: int, decoder: BodyDecoder[E]) -> Awaitable[E]:
            body = msgspec.structs.replace(template, page=page, skip=skip, limit=limit)
            return self._campaigns_request(body, decoder)

        return self._stream(
            request,
            _CAMPAIGN_PAGE,
            "POST",
            "/campaign/getAllCampaignDetails",
            size,
            start_page,
            on_change,
            prefetch,
            strict=strict,
            reading=self._readings["campaigns"],
            record_type=Campaign,
        )

    # -- campaign contacts ------------------------------------------------------------------
    async def get_campaign_contacts(
        self, campaign_id: str, *, page: int = 1, limit: int = MAX_PAGE_SIZE
    ) -> Page[CampaignContact]:
        """One page of a voice campaign's contact status (``POST campaign/{id}/status?view=contacts``)."""
        cid = check_id(campaign_id, "campaign_id")
        return await self._status_page(cid, check_page(page), check_limit(limit))

    async def _status_page(self, campaign_id: str, page: int, limit: int) -> Page[CampaignContact]:
        envelope = await self._status_request(campaign_id, page, limit, 0, _STATUS_PAGE)
        return to_page(envelope, requested_page=page, requested_limit=limit)

    async def _status_request(self, campaign_id: str, page: int, limit: int, skip: int, decoder: BodyDecoder[E]) -> E:
        """The status endpoint documents ``page`` and ``limit`` only: ``skip`` is not sent."""
        return await self._call(
            "api",
            "POST",
            f"/campaign/{campaign_id}/status",
            decoder,
            params=_VIEW_CONTACTS,
            body=_encode(ContactStatusRequest(page=page, limit=limit)),
            v2_account=False,  # the v2 page's URL has no accountId (the header carries it)
        )

    def iter_campaign_contacts(
        self,
        campaign_id: str,
        *,
        page_size: int | None = None,
        start_page: int = 1,
        on_change: ChangePolicy | None = None,
        prefetch: int | None = None,
        strict: bool | None = None,
    ) -> RecordStream[CampaignContact]:
        """Every contact-status row of a voice campaign, fetched concurrently, in API order.

        ``start_page`` resumes an interrupted export (see :attr:`RecordStream.next_page`);
        ``strict``, ``on_change`` and ``prefetch`` override the client's settings.
        """
        cid = check_id(campaign_id, "campaign_id")
        explicit = None if page_size is None else check_limit(page_size, "page_size")
        check_page(start_page, "start_page")
        return self._stream(
            lambda page, skip, limit, decoder: self._status_request(cid, page, limit, skip, decoder),
            _STATUS_PAGE,
            "POST",
            f"/campaign/{cid}/status",
            self._size_cell("status", explicit),
            start_page,
            on_change,
            prefetch,
            strict=strict,
            record_type=CampaignContact,
        )

    # -- contact lists ----------------------------------------------------------------------
    async def get_contact_list(
        self, contact_list_id: str, *, page: int = 1, limit: int = MAX_PAGE_SIZE
    ) -> Page[Contact]:
        """One page of a contact list (``GET campaign/contactList/{id}/getAllContacts``)."""
        lid = check_id(contact_list_id, "contact_list_id")
        limit = check_limit(limit, maximum=MAX_UNDOCUMENTED_PAGE_SIZE)
        page_param, skip = request_params(check_page(page), limit, self._readings["contacts"].value)
        envelope = await self._contacts_request(lid, page_param, limit, skip, _CONTACT_PAGE)
        return to_page(envelope, requested_page=page, requested_limit=limit)

    async def _contacts_request(
        self, contact_list_id: str, page: int, limit: int, skip: int, decoder: BodyDecoder[E]
    ) -> E:
        params = {"page": str(page), "limit": str(limit), "skip": str(skip)}
        return await self._call(
            "contacts", "GET", f"/campaign/contactList/{contact_list_id}/getAllContacts", decoder, params=params
        )

    def iter_contact_list(
        self,
        contact_list_id: str,
        *,
        page_size: int | None = None,
        start_page: int = 1,
        on_change: ChangePolicy | None = None,
        prefetch: int | None = None,
        strict: bool | None = None,
    ) -> RecordStream[Contact]:
        """Every contact of a contact list, fetched concurrently, in API order.

        ``start_page`` resumes an interrupted export; ``strict``, ``on_change`` and
        ``prefetch`` override the client's settings for this stream."""
        lid = check_id(contact_list_id, "contact_list_id")
        explicit = None if page_size is None else check_limit(page_size, "page_size", MAX_UNDOCUMENTED_PAGE_SIZE)
        check_page(start_page, "start_page")
        return self._stream(
            lambda page, skip, limit, decoder: self._contacts_request(lid, page, limit, skip, decoder),
            _CONTACT_PAGE,
            "GET",
            f"/campaign/contactList/{lid}/getAllContacts",
            self._size_cell("contacts", explicit),
            start_page,
            on_change,
            prefetch,
            strict=strict,
            reading=self._readings["contacts"],
            record_type=Contact,
        )

    # -- many campaigns under one budget ----------------------------------------------------
    def iter_contacts_of(
        self, campaign_ids: Sequence[str], *, per_campaign: int = 2, max_campaigns: int | None = None
    ) -> AsyncIterator[tuple[str, CampaignContact]]:
        """Contact-status rows of many voice campaigns as ``(campaign_id, record)`` pairs.

        All campaigns share this client's concurrency and rate budget. At most
        ``max_campaigns`` campaigns are read at once (default: enough to fill
        ``max_concurrency`` with ``per_campaign`` pages each) and each has at most
        ``per_campaign`` pages in flight or buffered, so memory stays bounded whatever the
        number of campaigns and no campaign starves (slots are granted first come, first
        served). Records of one campaign keep their API order. See :mod:`korecampaign_async.paging.many`.
        """
        from .paging.many import iter_contacts_of

        return iter_contacts_of(self, campaign_ids, per_campaign=per_campaign, max_campaigns=max_campaigns)

    # -- internals --------------------------------------------------------------------------
    def _stream(
        self,
        request: _PageRequest,
        decoder: msgspec.json.Decoder[Envelope[PageData[T]]],
        method: str,
        path: str,
        size: PageSizeCell,
        start_page: int,
        on_change: ChangePolicy | None = None,
        prefetch: int | None = None,
        strict: bool | None = None,
        reading: ReadingCell | None = None,
        record_type: type[Any] | None = None,
    ) -> RecordStream[T]:
        """A stream whose workers fetch response bodies (``request`` with :data:`RAW_BODY`)
        and whose consumer decodes each with ``decoder`` when it gets there (see
        :class:`_Fetched`). A body that turns out to be malformed JSON (cut off on the way)
        is requested again with ``decoder``, decoding on arrival, so the transport's retries
        apply to it as to any other page. The ``limit`` of every request is read from
        ``size`` (see :class:`~korecampaign_async.paging.stream.PageSizeCell`): a learned
        endpoint's first page may be refused for its size, and is then asked again with 100."""
        transport = self._transport
        display_path = transport.display_path(path)

        async def fetch(number: int, page: int, skip: int) -> _Fetched:
            limit = size.value
            try:
                body = await request(page, skip, limit, RAW_BODY)
            except ValidationError as exc:
                if not (size.auto and not size.confirmed and limit > MAX_PAGE_SIZE and _names_limit(exc)):
                    raise
                # The server refuses the size that has no documented maximum: the documented
                # page size instead, learned (and remembered) so no request is lost again.
                transport.stats.discrepancies += 1
                transport.stats.page_size_refusals += 1
                logger.warning(
                    "%s: the server refused limit=%d (%s); reading %d records per request instead",
                    display_path,
                    limit,
                    exc.message,
                    MAX_PAGE_SIZE,
                )
                size.value = limit = MAX_PAGE_SIZE
                body = await request(page, skip, limit, RAW_BODY)
            return _Fetched(body, number, page, skip, limit)

        async def materialize(fetched: _Fetched) -> Page[T]:
            try:
                envelope = transport.decode(decoder, fetched.body, method=method, path=display_path)
            except DecodeError as exc:
                if not getattr(exc, "transient", False):
                    raise
                transport.stats.retries["decode"] += 1
                envelope = await request(fetched.page, fetched.skip, fetched.limit, decoder)
            return to_page(envelope, requested_page=fetched.number, requested_limit=fetched.limit)

        return RecordStream(
            fetch,
            materialize=materialize,
            limit=size.value,
            start_page=start_page,
            prefetch=prefetch or self.prefetch,
            max_running=self.max_concurrency,
            on_change=on_change or self.on_change,
            strict=self.strict if strict is None else strict,
            reading=reading,
            path=path,
            stats=transport.stats,
            hooks=transport.hooks,
            concurrency=transport.concurrency,
            record_type=record_type,
            page_size=size,
        )

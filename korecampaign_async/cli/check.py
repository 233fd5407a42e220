"""``korecampaign check``: the first minute with real credentials.

Mints the JWT, calls each read endpoint once (list campaigns page 1 for voice and SMS, one
campaign, one page of a campaign's contacts and of a contact list when their ids are given),
learns which of ``page`` and ``skip`` the server reads when a list holds enough rows, and
reports round-trip times, whether 429s carry ``Retry-After`` (if one was seen), and what the
configured budget means for a 1,000,000-row export. It spends at most six requests and says
how many it spent; retries are off, so a failure costs one request, not six. Nothing secret
is part of the report (the client id is an identifier, not a credential).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import msgspec

from ..client import _CAMPAIGN_PAGE, _CONTACT_PAGE, KoreCampaignClient
from ..errors import AuthenticationError, KoreAPIError, KoreCampaignError, NotFoundError, RateLimitError
from ..models.records import Page, to_page
from ..paging.plan import READINGS, Reading, infer_reading, probe_params
from ..ratelimit.windows import RateLimit, SlidingWindowLog, parse_windows

__all__ = ["MAX_REQUESTS", "CheckReport", "EndpointCheck", "run_check"]

#: The most requests one check spends.
MAX_REQUESTS = 6
#: Rows per page in the check: small, yet enough to tell the page/skip readings apart.
PROBE_LIMIT = 2
#: Published Kore tiers, for the estimate when no budget is configured (rate-limits.md).
TIERS = {"runtime": "600/60s,18000/1h", "designtime": "60/60s,1800/1h"}


@dataclass
class EndpointCheck:
    """One call of the check."""

    name: str
    method: str
    path: str
    ok: bool
    status: int | None = None
    milliseconds: float | None = None
    detail: str = ""


@dataclass
class CheckReport:
    """What ``korecampaign check`` found. ``ok`` is False when any call failed."""

    host: str
    stream_id: str
    account_id: str
    api: str = "v2"
    edition: str | None = None
    auth: str = "not tried"
    endpoints: list[EndpointCheck] = field(default_factory=list)
    paging_reading: str | None = None
    paging_reading_detail: str = "not determined: no list held enough rows to compare"
    retry_after: str = "no 429 seen"
    budget: str = "not configured (the client learns the budget from 429s)"
    page_sizes: dict[str, str] = field(default_factory=dict)
    million_rows: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    max_requests: int = MAX_REQUESTS
    error: KoreCampaignError | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None and all(e.ok for e in self.endpoints)

    def as_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc.pop("error")
        doc["ok"] = self.ok
        return doc


def seconds_for(requests: int, spec: str) -> float:
    """Seconds a perfect client needs for ``requests`` under the rolling windows ``spec``."""
    # one request at a time through the exact rolling-window log (10,000 requests for a
    # million rows take a few milliseconds)
    log = SlidingWindowLog(parse_windows(spec))
    now = 0.0
    for _ in range(requests):
        now += max(0.0, log.delay(now))
        log.record(now)
    return now


def _spec_of(client: KoreCampaignClient) -> str | None:
    """The configured windows as a spec (``600/60s,18000/3600s``), or ``None``."""
    limiter = client.rate_limit
    if isinstance(limiter, RateLimit):
        windows: Any = limiter.limits
    else:  # RedisRateLimit keeps them as an attribute
        windows = getattr(limiter, "windows", None)
    if not windows or callable(windows):
        return None
    return ",".join(f"{n}/{period:g}s" for n, period in windows)


async def run_check(
    client: KoreCampaignClient,
    *,
    campaign_id: str | None = None,
    contact_list_id: str | None = None,
) -> CheckReport:
    """Run the check with ``client`` (build it with ``RetryPolicy(max_attempts=1)`` so each
    call costs one request). Ids are validated before any request."""
    from ..models.checks import check_id

    if campaign_id is not None:
        check_id(campaign_id, "campaign_id")
    if contact_list_id is not None:
        check_id(contact_list_id, "contact_list_id")
    report = CheckReport(host=client.host, stream_id=client.stream_id, account_id=client.account_id, api=client.api)
    before = client.stats.requests
    # endpoint -> (its page 1, the probe request, method, path)
    first_rows: dict[str, tuple[Page[Any], Callable[[], Awaitable[Page[Any]]], str, str]] = {}

    async def call(name: str, method: str, path: str, run: Callable[[], Awaitable[Any]]) -> Any:
        started = time.perf_counter()
        entry = EndpointCheck(name, method, client._display_path(path), ok=False)
        report.endpoints.append(entry)
        try:
            result = await run()
        except KoreAPIError as exc:
            entry.status, entry.detail = exc.status, exc.message
            if isinstance(exc, RateLimitError):
                report.retry_after = (
                    f"429s carry Retry-After ({exc.retry_after:g}s seen)"
                    if exc.retry_after is not None
                    else "429s come without Retry-After (the client holds and probes; see docs/api-notes.md)"
                )
            raise
        except KoreCampaignError as exc:
            entry.detail = str(exc)
            raise
        finally:
            entry.milliseconds = round((time.perf_counter() - started) * 1000, 1)
        entry.ok, entry.status = True, 200
        return result

    def list_request(kind: str, page: int, skip: int) -> Callable[[], Awaitable[Page[Any]]]:
        async def run() -> Page[Any]:
            body = client._campaigns_body(kind, 1, PROBE_LIMIT, None, None, None, None)  # type: ignore[arg-type]
            body = msgspec.structs.replace(body, page=page, skip=skip)
            envelope = await client._campaigns_request(body, _CAMPAIGN_PAGE)
            return to_page(envelope, requested_page=1, requested_limit=PROBE_LIMIT)

        return run

    def contacts_request(lid: str, page: int, skip: int) -> Callable[[], Awaitable[Page[Any]]]:
        async def run() -> Page[Any]:
            envelope = await client._contacts_request(lid, page, PROBE_LIMIT, skip, _CONTACT_PAGE)
            return to_page(envelope, requested_page=1, requested_limit=PROBE_LIMIT)

        return run

    try:
        client._auth.token()  # minting fails here, before any request, if the settings are wrong
        report.auth = "token minted; not yet sent"
        found_campaign: str | None = None
        for kind in ("voice", "sms"):
            page = await call(
                f"list {kind} campaigns",
                "POST",
                "/campaign/getAllCampaignDetails",
                list_request(kind, 1, 0),
            )
            report.auth = "ok"
            total = page.total_results if page.total_results is not None else len(page.results)
            report.endpoints[-1].detail = f"{total:,} campaign(s)"
            if page.results and found_campaign is None:
                found_campaign = page.results[0].id
            if total > PROBE_LIMIT and len(page.results) == PROBE_LIMIT:
                probe_page, probe_skip = probe_params(PROBE_LIMIT)
                first_rows.setdefault(
                    "campaigns",
                    (page, list_request(kind, probe_page, probe_skip), "POST", "/campaign/getAllCampaignDetails"),
                )
        target = campaign_id or found_campaign
        if target is not None:
            campaign = await call("get campaign", "GET", f"/campaign/{target}", lambda: client.get_campaign(target))
            report.endpoints[-1].detail = f"{campaign.name or target} ({campaign.status or 'status unknown'})"
        if campaign_id is not None:
            contacts = await call(
                "campaign contacts (page 1)",
                "POST",
                f"/campaign/{campaign_id}/status",
                lambda: client.get_campaign_contacts(campaign_id, limit=PROBE_LIMIT),
            )
            report.endpoints[-1].detail = f"{contacts.total_results or len(contacts.results):,} contact row(s)"
        if contact_list_id is not None:
            listed = await call(
                "contact list (page 1)",
                "GET",
                f"/campaign/contactList/{contact_list_id}/getAllContacts",
                contacts_request(contact_list_id, 1, 0),
            )
            total = listed.total_results if listed.total_results is not None else len(listed.results)
            report.endpoints[-1].detail = f"{total:,} contact(s)"
            if total > PROBE_LIMIT and len(listed.results) == PROBE_LIMIT:
                probe_page, probe_skip = probe_params(PROBE_LIMIT)
                first_rows.setdefault(
                    "contacts",
                    (
                        listed,
                        contacts_request(contact_list_id, probe_page, probe_skip),
                        "GET",
                        f"/campaign/contactList/{contact_list_id}/getAllContacts",
                    ),
                )
        for endpoint, (page, probe, method, path) in first_rows.items():
            if client.stats.requests - before >= MAX_REQUESTS:
                break
            answer = await call(f"page/skip probe ({endpoint})", method, path, probe)
            reading: Reading = infer_reading(page.results, answer.results)
            report.endpoints[-1].detail = "page=1&skip=2 answered " + (
                "page 1 again" if reading == "page" else "the next rows"
            )
            report.paging_reading = reading
            report.paging_reading_detail = f"the server {READINGS[reading]} (learned on {endpoint})"
            for cell in client._readings.values():  # one server: the same code reads both
                cell.value = cell.value or reading
            break
    except AuthenticationError as exc:
        report.auth = f"refused: HTTP {exc.status} {exc.message}"
        report.error = exc
    except NotFoundError as exc:
        report.error = exc
    except KoreCampaignError as exc:
        report.error = exc
    finally:
        report.requests = client.stats.requests - before
        report.edition = client.edition
    _budget(report, client)
    _page_sizes(report, client)
    return report


def _page_sizes(report: CheckReport, client: KoreCampaignClient) -> None:
    """The page size each endpoint honours, as far as this client knows (configured,
    documented, or learned by an export with ``page_size="auto"``)."""
    from ..models.checks import AUTO_PAGE_SIZE, MAX_PAGE_SIZE

    status = client.page_size if isinstance(client.page_size, int) else MAX_PAGE_SIZE
    report.page_sizes["campaign contacts"] = f"{min(status, MAX_PAGE_SIZE)} (documented maximum {MAX_PAGE_SIZE})"
    for endpoint, label in (("campaigns", "list campaigns"), ("contacts", "contact-list contacts")):
        if isinstance(client.page_size, int):
            report.page_sizes[label] = f"{client.page_size} (configured)"
        elif (learned := client.page_sizes.get(endpoint)) is not None:
            report.page_sizes[label] = f"{learned} (learned: the server honours it)"
        else:
            report.page_sizes[label] = (
                f"auto: not learned yet (the first page asks {AUTO_PAGE_SIZE}, then keeps what the server honours)"
            )


def _budget(report: CheckReport, client: KoreCampaignClient) -> None:
    # a campaign's contact rows: the export that costs; 100 per request, its documented maximum
    size = client.page_size if isinstance(client.page_size, int) and client.page_size <= 100 else 100
    requests = 1_000_000 // size + (1 if 1_000_000 % size else 0)
    spec = _spec_of(client)
    if spec:
        report.budget = spec
        report.million_rows = {spec: round(seconds_for(requests, spec), 1)}
    else:
        report.million_rows = {
            f"{name} ({tier})": round(seconds_for(requests, tier), 1) for name, tier in TIERS.items()
        }

"""The ``korecampaign`` command line: resumable bulk exports, sync, reports, campaign and
contact-list management (:mod:`korecampaign_async.cli_manage`), the emulator, and a demo.

Exit codes (also in ``korecampaign --help``):

==  =====================================================================
0   success
1   unexpected error (a bug: please report it)
2   usage: bad flag or argument value
3   configuration: missing settings, or a checkpoint from another export
4   authentication refused (401/403)
5   not found (404)
6   network or server failure after every retry (timeouts, 429, 5xx)
7   bad data: the API answered something undocumented, or the result set
    changed mid-export (resume with --resume once it is stable)
8   another sync of the same bot holds the database (after --lock-timeout)
9   a write's outcome is unknown (its answer was lost and the server's state
    did not tell): the message says what to check; nothing was sent twice
10  a local file or the database failed (disk full, permission denied, the
    database unreachable past --db-retry-timeout): what was written is kept
130 interrupted (Ctrl-C or SIGTERM): an export or import keeps its checkpoint
    for --resume; a sync keeps every committed batch and continues when run again
141 standard output closed early (``... --out - | head``): requests were
    cancelled; no checkpoint (exports to stdout keep none)
==  =====================================================================
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import msgspec

from .. import __version__
from .._redact import mask_url, redact, remember_secret
from ..client import KoreCampaignClient
from ..errors import (
    AuthenticationError,
    ConfigurationError,
    DecodeError,
    InvalidParameterError,
    KoreAPIError,
    KoreCampaignError,
    NotFoundError,
    OutcomeUnknownError,
    OutputError,
    PaginationDriftError,
    RateLimitError,
    RateLimiterUnavailableError,
    ServerError,
    StoreError,
    StoreLockedError,
    StoreUnavailableError,
    TransportError,
    ValidationError,
)
from ..export import ExportResult, Format, Progress, export_many, export_to_file, infer_format, is_stream_target
from ..models.checks import MAX_PAGE_SIZE
from ..models.records import Campaign, CampaignContact, Contact
from ..paging.stream import RecordStream
from ..ratelimit.windows import RateLimit, parse_windows
from ..transport.core import ClientStats, PageEvent, RetryPolicy

__all__ = ["EXIT_CODES", "help_pages", "main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CONFIG, EXIT_AUTH, EXIT_NOT_FOUND, EXIT_NETWORK, EXIT_DATA = range(8)
EXIT_LOCKED = 8
EXIT_UNKNOWN = 9
EXIT_LOCAL = 10
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer killed by a closed pipe
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_ERROR: "unexpected error",
    EXIT_USAGE: "usage: bad flag or argument value",
    EXIT_CONFIG: "configuration: missing settings or a checkpoint of another export",
    EXIT_AUTH: "authentication refused (401/403)",
    EXIT_NOT_FOUND: "not found (404)",
    EXIT_NETWORK: "network or server failure after every retry",
    EXIT_DATA: "bad data from the API, or the result set changed mid-export",
    EXIT_LOCKED: "another sync of the same bot holds the database (after --lock-timeout)",
    EXIT_UNKNOWN: "a write's outcome is unknown (its answer was lost); nothing was sent twice",
    EXIT_LOCAL: "a local file or the database failed (disk full, permission, database down); work kept",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C / SIGTERM): exports and imports continue with --resume, a sync by "
    "running it again",
    EXIT_PIPE: "standard output closed early (e.g. piped into head); requests cancelled",
}


# -- configuration ----------------------------------------------------------------------------
def read_env_file(path: str) -> dict[str, str]:
    """Parse a dotenv-style file: ``KEY=VALUE`` lines, ``#`` comments, optional ``export``
    prefix and quotes."""
    values: dict[str, str] = {}
    try:
        with open(path) as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise ConfigurationError(f"cannot read --env-file {path}: {exc.strerror}") from None
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


_FLAG_ENV = {
    "host": "KORE_HOST",
    "stream_id": "KORE_STREAM_ID",
    "account_id": "KORE_ACCOUNT_ID",
    "iid": "KORE_IID",
    "client_id": "KORE_CLIENT_ID",
    "client_secret": "KORE_CLIENT_SECRET",
    "token": "KORE_TOKEN",
    "rate_limit": "KORE_RATE_LIMIT",
    "redis_url": "KORE_REDIS_URL",
}


def resolve_env(args: argparse.Namespace, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Settings by precedence: flags, then ``--env-file``, then the environment. The secrets
    among them are remembered, so that no line the CLI prints can carry one."""
    env = dict(os.environ if environ is None else environ)
    if getattr(args, "env_file", None):
        env.update(read_env_file(args.env_file))
    for attr, var in _FLAG_ENV.items():
        value = getattr(args, attr, None)
        if value:
            env[var] = value
    if getattr(args, "token", None):  # an explicit token wins over id/secret from elsewhere
        env.pop("KORE_CLIENT_ID", None)
        env.pop("KORE_CLIENT_SECRET", None)
    for var in ("KORE_CLIENT_SECRET", "KORE_TOKEN"):
        remember_secret(env.get(var))
    for var in ("KORE_DB_URL", "KORE_REDIS_URL"):
        if env.get(var):
            mask_url(env[var])  # remembers the password it masks
    return env


def build_client(args: argparse.Namespace, environ: dict[str, str] | None = None) -> KoreCampaignClient:
    """A client from flags, ``--env-file`` and ``KORE_*`` variables."""
    env = resolve_env(args, environ)
    overrides: dict[str, Any] = {
        "max_concurrency": args.concurrency,
        "page_size": args.page_size,
        "timeout": args.timeout,
        # `check` promises a bounded number of requests: no retries, no budget waits
        "retry": RetryPolicy(max_attempts=1, max_budget_wait=0.0)
        if args.command == "check"
        else RetryPolicy(max_attempts=args.max_retries + 1),
        "on_change": getattr(args, "on_change", "raise"),
    }
    spec = env.get("KORE_RATE_LIMIT", "").strip()
    if env.get("KORE_REDIS_URL"):
        from ..ratelimit.shared import RedisRateLimit

        windows = parse_windows(spec) if spec else parse_windows("runtime")
        overrides["rate_limit"] = RedisRateLimit(env["KORE_REDIS_URL"], key=args.rate_limit_key, windows=windows)
    elif spec:
        overrides["rate_limit"] = RateLimit.parse(spec)
    env.pop("KORE_RATE_LIMIT", None)
    try:
        return KoreCampaignClient.from_env(env, **overrides)
    except ConfigurationError as exc:
        if exc.missing:
            flags = ", ".join("--" + k.replace("_", "-") for k, v in _FLAG_ENV.items() if v in exc.missing)
            raise ConfigurationError(
                f"{exc}. Set them in the environment or an --env-file, or pass {flags}.", missing=exc.missing
            ) from None
        raise


# -- progress -----------------------------------------------------------------------------------
class Reporter:
    """Progress on stderr: a rich bar on a TTY, JSON lines with ``--json-log``, else quiet
    until the summary."""

    def __init__(self, *, quiet: bool, json_log: bool, client: KoreCampaignClient, stream: TextIO | None = None):
        self.out = stream or sys.stderr
        self.quiet = quiet
        self.json_log = json_log
        self.client = client
        self._bar: Any = None
        self._task: Any = None
        self._last_json = 0.0
        self._planned = False
        if not quiet and not json_log and self.out.isatty():
            try:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )
            except ImportError:  # the cli extra is not installed: plain summary only
                return
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("rows  {task.fields[rate]:>9} rows/s  retries {task.fields[retries]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                _budget_column(client.stats),
                console=Console(file=self.out),
                transient=False,
            )
        # A budget wait (every request held after 429s) shows on the bar as it happens (the
        # column above renders on every refresh, pages or not) and as a JSON event.
        concurrency = client.transport.concurrency
        chained = concurrency.on_hold

        def on_hold(wait: float, waited: float) -> None:
            if chained is not None:
                chained(wait, waited)
            self.event(
                "budget_wait",
                seconds=round(wait, 3),
                waited=round(waited, 3),
                next_try=round(time.time() + wait, 3),
                holds=client.stats.holds,
            )

        concurrency.on_hold = on_hold

    def event(self, name: str, **fields: Any) -> None:
        """Emit one JSON log line (``--json-log``)."""
        if self.json_log:
            line = json.dumps({"event": name, "time": round(time.time(), 3), **fields})
            print(redact(line), file=self.out, flush=True)

    def info(self, message: str) -> None:
        """A human line, unless quiet or JSON. While the bar is live the line goes through
        its console, which prints it above the bar and redraws the bar below."""
        if self.quiet or self.json_log:
            return
        message = redact(message)
        if self._bar is not None and self._bar.live.is_started:
            self._bar.console.print(message, highlight=False, markup=False)
        else:
            print(message, file=self.out, flush=True)

    def start(self, label: str) -> None:
        """Begin a progress display."""
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(label, total=None, rate="-", retries=0)
        self.event("start", export=label)

    def plan(self, total_results: int | None, total_pages: int | None, next_page: int) -> None:
        """Print the request plan and its duration at the configured budget, once."""
        if self._planned or total_pages is None:
            return
        self._planned = True
        requests = max(0, total_pages - next_page + 1)
        limiter = self.client.rate_limit
        rps = limiter.requests_per_second() if isinstance(limiter, RateLimit) else None
        if rps is None and limiter is not None and hasattr(limiter, "windows"):
            rps = min(n / p for n, p in limiter.windows)
        eta = (
            f"; at the configured budget ({rps:g} req/s) that takes at least {_duration(requests / rps)}" if rps else ""
        )
        self.info(f"plan: {total_results:,} rows in {total_pages:,} pages -> about {requests:,} requests{eta}")
        self.event(
            "plan",
            total_results=total_results,
            total_pages=total_pages,
            requests=requests,
            seconds_at_budget=(round(requests / rps, 1) if rps else None),
        )

    def progress(self, p: Progress) -> None:
        """Update on each page."""
        self.plan(p.total_results, p.total_pages, p.first_page)
        retries = sum(self.client.stats.retries.values())
        rate = (p.rows - p.resumed_rows) / p.elapsed if p.elapsed > 0 else 0.0
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=p.rows, total=p.total_results, rate=f"{rate:,.0f}", retries=retries)
        now = time.monotonic()
        if self.json_log and (now - self._last_json >= 1.0 or p.rows == p.total_results):
            self._last_json = now
            self.event(
                "progress",
                rows=p.rows,
                total=p.total_results,
                pages=p.pages,
                total_pages=p.total_pages,
                rows_per_s=round(rate, 1),
                retries=retries,
                elapsed=round(p.elapsed, 3),
            )

    def tick(self, rows: int, elapsed: float) -> None:
        """Rows so far, for work without a known total (sync)."""
        rate = rows / elapsed if elapsed > 0 else 0.0
        if self._bar is not None and self._task is not None:
            retries = sum(self.client.stats.retries.values())
            self._bar.update(self._task, completed=rows, rate=f"{rate:,.0f}", retries=retries)
        now = time.monotonic()
        if self.json_log and now - self._last_json >= 1.0:
            self._last_json = now
            self.event("progress", rows=rows, rows_per_s=round(rate, 1), requests=self.client.stats.requests)

    def stop(self) -> None:
        """End the progress display."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _budget_column(stats: ClientStats) -> Any:
    """A progress column that says when the client waits for the rate budget."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class BudgetColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            wait = stats.waiting_for_budget
            if wait < 0.5 or stats.budget_wait_until is None:
                return Text("")
            at = time.strftime("%H:%M:%S", time.localtime(stats.budget_wait_until))
            return Text(f"waiting for the rate budget, next try {at}", style="yellow")

    return BudgetColumn()


def _pace(stats: ClientStats) -> str:
    pace = stats.pace
    return "none" if pace is None else f"{pace:.1f} req/s learned"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f}s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


# -- commands -----------------------------------------------------------------------------------
_RECORD_TYPES: dict[str, type[msgspec.Struct]] = {
    "campaign-contacts": CampaignContact,
    "contact-list": Contact,
    "campaigns": Campaign,
}


def _split(values: Sequence[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for chunk in values for v in chunk.split(",") if v.strip()]


def _campaign_query(args: argparse.Namespace) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if args.status:
        filters["status"] = _split(args.status)
    if args.priority:
        filters["priority"] = _split(args.priority)
    if args.dialing_mode:
        filters["dialingMode"] = _split(args.dialing_mode)
    return {
        "type": args.type,
        "filters": filters or None,
        "sort_by": args.sort,
        "start_date": args.since,
        "end_date": args.until,
    }


async def _run_export(args: argparse.Namespace, client: KoreCampaignClient, reporter: Reporter) -> int:
    kind: str = args.what
    fmt: Format = infer_format(args.out, args.format)
    open_stream: Callable[[int], RecordStream[Any]]
    if kind == "campaign-contacts":
        identity: dict[str, Any] = {"endpoint": kind, "id": args.id}
        open_stream = lambda start: client.iter_campaign_contacts(args.id, start_page=start)  # noqa: E731
        client.iter_campaign_contacts(args.id)  # validate the id before touching files
    elif kind == "contact-list":
        identity = {"endpoint": kind, "id": args.id}
        open_stream = lambda start: client.iter_contact_list(args.id, start_page=start)  # noqa: E731
        client.iter_contact_list(args.id)
    else:
        query = _campaign_query(args)
        identity = {"endpoint": kind, "query": query}
        client.iter_campaigns(**query)  # validate before touching files
        open_stream = lambda start: client.iter_campaigns(**query, start_page=start)  # noqa: E731
    identity["page_size"] = client.page_size
    label = f"{kind} {getattr(args, 'id', '') or args.type}".strip()
    reporter.start(label)
    try:
        result = await export_to_file(
            open_stream,
            args.out,
            fmt,
            _RECORD_TYPES[kind],
            identity,
            resume=args.resume,
            on_progress=reporter.progress,
            on_start=lambda s: reporter.event("resume", page=s.start_page) if s.start_page > 1 else None,
        )
    finally:
        reporter.stop()
    _summary(reporter, result, client)
    return EXIT_OK


def _summary(reporter: Reporter, result: ExportResult, client: KoreCampaignClient) -> None:
    stats = client.stats
    resumed = f" (resumed at page {result.resumed_from_page})" if result.resumed_from_page > 1 else ""
    reporter.info(
        f"wrote {result.rows:,} rows to {result.path}{resumed} in {result.elapsed:.2f}s "
        f"({result.rows_per_second:,.0f} rows/s; {stats.requests} requests, {sum(stats.retries.values())} retries)"
    )
    reporter.event("done", rows=result.rows, file=result.path, elapsed=round(result.elapsed, 3), stats=stats.as_dict())


async def _run_export_all(args: argparse.Namespace, client: KoreCampaignClient, reporter: Reporter) -> int:
    fmt: Format = infer_format("x." + (args.format or "jsonl"), args.format)
    query = _campaign_query(args)
    if query["type"] != "voice":
        raise InvalidParameterError("--type", query["type"], "'voice' (contact status exists for voice campaigns only)")
    campaigns = await client.iter_campaigns(**query).collect()
    reporter.info(f"{len(campaigns)} matching campaigns; exporting their contacts into {args.out_dir}")
    reporter.start(f"{len(campaigns)} campaigns")
    totals: dict[str, int] = {}
    started = time.perf_counter()

    def on_progress(cid: str, p: Progress) -> None:
        totals[cid] = p.rows
        reporter.progress(Progress(sum(totals.values()), None, 0, None, time.perf_counter() - started))

    try:
        entries = await export_many(
            client, campaigns, args.out_dir, fmt=fmt, resume=args.resume, on_progress=on_progress
        )
    finally:
        reporter.stop()
    rows = sum(e.rows for e in entries)
    elapsed = time.perf_counter() - started
    reporter.info(
        f"wrote {rows:,} rows of {len(entries)} campaigns to {args.out_dir} in {elapsed:.2f}s "
        f"(manifest: {os.path.join(args.out_dir, 'manifest.json')})"
    )
    reporter.event("done", rows=rows, campaigns=len(entries), elapsed=round(elapsed, 3), stats=client.stats.as_dict())
    return EXIT_OK


async def _run_campaign(args: argparse.Namespace, client: KoreCampaignClient) -> int:
    campaign = await client.get_campaign(args.id)
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(campaign), indent=2).decode() + "\n")
    return EXIT_OK


def _db_url(args: argparse.Namespace) -> str:
    env = resolve_env(args)
    url: str = args.db or env.get("KORE_DB_URL") or "sqlite:///korecampaign.db"
    mask_url(url)  # remembers its password: no line printed can carry it
    return url


async def _run_sync(args: argparse.Namespace, client: KoreCampaignClient, reporter: Reporter, store: Any) -> int:
    from ..sync import sync

    types = tuple(_split(args.type) or ("voice", "sms"))
    rows = 0
    started = time.monotonic()

    def on_page(event: PageEvent) -> None:
        nonlocal rows
        rows += event.records
        reporter.tick(rows, time.monotonic() - started)

    client.transport.hooks.on_page = on_page
    reporter.start(f"sync {client.stream_id}")
    try:
        report = await sync(
            client,
            store,
            types=types,  # type: ignore[arg-type]
            statuses=_split(args.status),
            since=args.since,
            contact_lists=_split(args.contact_list) or (),
            full=args.full,
            lock_timeout=args.lock_timeout,
        )
    finally:
        reporter.stop()
    reporter.info(_sync_summary(report))
    reporter.event("done", report=report.as_dict(), stats=client.stats.as_dict())
    return EXIT_OK


def _sync_summary(r: Any) -> str:
    lines = [
        f"synced {r.stream_id} into {r.database} (run {r.run_id}, {r.seconds:.2f}s)",
        f"  campaigns       seen {r.campaigns_seen:,} · changed {r.campaigns_changed:,} · "
        f"skipped {r.campaigns_skipped:,} (final, already complete)",
        f"  contacts        inserted {r.contacts_inserted:,} · updated {r.contacts_updated:,} · "
        f"unchanged {r.contacts_unchanged:,} · gone {r.contacts_gone:,}",
    ]
    if r.list_contacts_inserted or r.list_contacts_updated or r.list_contacts_unchanged or r.list_contacts_gone:
        lines.append(
            f"  list contacts   inserted {r.list_contacts_inserted:,} · updated {r.list_contacts_updated:,} · "
            f"unchanged {r.list_contacts_unchanged:,} · gone {r.list_contacts_gone:,}"
        )
    lines.append(f"  requests        {r.requests:,} spent · {r.requests_saved:,} saved · {r.throttled:,} 429s")
    return "\n".join(lines)


async def _run_report(args: argparse.Namespace, client: KoreCampaignClient | None) -> int:
    from .report import gather_from_api, gather_from_db, render_html

    if args.db:
        stream_id = resolve_env(args).get("KORE_STREAM_ID") or None
        report = await gather_from_db(args.db, args.id, stream_id)
    else:
        assert client is not None
        report = await gather_from_api(client, args.id)
    page = render_html(report)
    if args.out == "-":
        sys.stdout.write(page)
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(page)
        if not args.quiet:
            print(f"wrote {args.out}: {report.contacts:,} contacts of {report.campaign_id}", file=sys.stderr)
    return EXIT_OK


async def _run_check(args: argparse.Namespace, client: KoreCampaignClient) -> int:
    from .check import run_check

    report = await run_check(client, campaign_id=args.campaign, contact_list_id=args.contact_list)
    if args.json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(_render_check(report))
    if report.error is not None:
        return _exit_code(report.error)
    return EXIT_OK if report.ok else EXIT_DATA


def _render_check(report: Any) -> str:
    """The check as a short aligned table (no secret is part of the report)."""
    lines = [
        f"korecampaign check  {report.host}  stream {report.stream_id}  account {report.account_id}",
        f"  {'auth':<28} {report.auth}",
    ]
    for e in report.endpoints:
        status = e.status if e.status is not None else "-"
        ms = f"{e.milliseconds:,.0f} ms" if e.milliseconds is not None else ""
        mark = "ok" if e.ok else "FAILED"
        lines.append(f"  {e.name:<28} {mark:<6} {status!s:>3} {ms:>9}  {e.detail}")
    lines.append(f"  {'page/skip reading':<28} {report.paging_reading or 'unknown'}: {report.paging_reading_detail}")
    lines.append(f"  {'429s':<28} {report.retry_after}")
    lines.append(f"  {'rate budget':<28} {report.budget}")
    for spec, seconds in report.million_rows.items():
        lines.append(f"  {'1,000,000 rows':<28} at least {_duration(seconds)} at {spec}")
    lines.append(f"  {'requests spent':<28} {report.requests} (at most {report.max_requests})")
    if report.error is not None:
        lines.append(f"korecampaign: error: {report.error}")
    return "\n".join(lines) + "\n"


async def _run_demo_sync(args: argparse.Namespace) -> int:
    """``korecampaign demo --db URL``: three syncs against the embedded emulator."""
    from ..emulator import EmulatorConfig, contact_list_id, run_emulator
    from ..stores import open_store
    from ..sync import sync

    config = EmulatorConfig(
        campaigns=8, contacts=max(1, args.contacts // 4), latency_ms=args.latency_ms / 10, list_contacts=1_000
    )
    print(
        f"Syncing the embedded emulator into {mask_url(args.db)} three times (the data moves between runs)...",
        flush=True,
    )
    store = open_store(args.db)
    await store.open()
    try:
        async with (
            run_emulator(config) as emu,
            KoreCampaignClient(**emu.client_kwargs(max_concurrency=args.concurrency)) as client,
        ):
            for title, advance in (
                ("first sync: everything is new", False),
                ("after outcomes filled in and campaigns completed", True),
                ("nothing changed since: final campaigns are not read again", False),
            ):
                if advance:
                    emu.advance()
                report = await sync(client, store, contact_lists=[contact_list_id(0)])
                print(f"\n{title}\n{_sync_summary(report)}", flush=True)
    finally:
        await store.close()
    return EXIT_OK


async def _run_demo(args: argparse.Namespace) -> int:
    from ..emulator import EmulatorConfig, campaign_id, contact_list_id, run_emulator

    if args.db:
        return await _run_demo_sync(args)

    err = sys.stderr
    config = EmulatorConfig(
        campaigns=4,
        contacts=args.contacts,
        latency_ms=args.latency_ms,
        jitter_ms=args.latency_ms / 5,
        contact_lists=1,
        list_contacts=args.contacts,
        paging=args.paging or "page",
        overcount=args.overcount,
        rate_limit=args.rate_limit,
        rate_limit_retry_after=not args.no_retry_after,
    )
    print(
        f"Starting the local Kore.ai Campaign API emulator: {args.contacts:,} contacts, "
        f"{args.latency_ms:g} ms latency (+ up to {args.latency_ms / 5:g} ms jitter)...",
        file=err,
        flush=True,
    )
    out = args.out or os.path.join(tempfile.mkdtemp(prefix="korecampaign-demo-"), "contacts.jsonl")
    async with (
        run_emulator(config) as emu,
        KoreCampaignClient(**emu.client_kwargs(max_concurrency=args.concurrency)) as client,
    ):
        cid = campaign_id(0)
        # Baseline: what a hand-written loop does, one page after another.
        sample = min(args.baseline_pages, max(1, args.contacts // 100))
        t0 = time.perf_counter()
        for page in range(1, sample + 1):
            await client.get_campaign_contacts(campaign_id(2), page=page)  # same size, another campaign
        per_page = (time.perf_counter() - t0) / sample
        baseline_requests = client.stats.requests
        reporter = Reporter(quiet=args.quiet, json_log=args.json_log, client=client)
        reporter.start(f"export {cid}")
        try:
            result = await export_to_file(
                lambda start: client.iter_campaign_contacts(cid, start_page=start),
                out,
                infer_format(out),
                CampaignContact,
                {"endpoint": "campaign-contacts", "id": cid, "page_size": client.page_size},
                on_progress=reporter.progress,
            )
        finally:
            reporter.stop()
        shortfall = client.stats.shortfall
        requests = client.stats.requests - baseline_requests
        reading_line = ""
        exact = True
        if args.paging:
            # the reading matters to the endpoints that take page and skip: show it on a contact list
            t1 = time.perf_counter()
            list_stream = client.iter_contact_list(contact_list_id(0))
            listed = [c.id async for c in list_stream]
            exact = listed == [emu.list_contact(0, r)["_id"] for r in range(args.contacts)]
            reading_line = (
                f"  page/skip         server reading '{args.paging}' -> client reads it as "
                f"'{list_stream.reading}': {len(listed):,} contacts in {time.perf_counter() - t1:.2f} s, "
                + ("every one once, in order" if exact else "MISMATCH")
            )
        pages = result.pages
        sequential = per_page * pages
        speedup = sequential / result.elapsed if result.elapsed > 0 else float("inf")
        duplicates = emu.stats.duplicate_pages()
    print(
        "\n".join(
            [
                "",
                "korecampaign demo: done",
                f"  rows written      {result.rows:,} (expected {args.contacts:,})",
                f"  file              {result.path}",
                f"  elapsed           {result.elapsed:.2f} s",
                f"  records/s         {result.rows_per_second:,.0f}",
                f"  requests          {requests:,} for {pages:,} pages (0 wasted)"
                if requests == pages
                else f"  requests          {requests:,} for {pages:,} pages",
                f"  one page at a time  {per_page * 1000:.1f} ms/page measured over {sample} pages "
                f"-> {sequential:.1f} s for this export",
                f"  speed-up          {speedup:.1f}x with max_concurrency={args.concurrency}",
            ]
            + ([reading_line] if reading_line else [])
            + (
                [f"  shortfall         totalResults counted {shortfall:,} rows the server never served (reported)"]
                if shortfall
                else []
            )
            + (
                [f"  rate budget       {client.stats.throttled} 429s, {client.stats.holds} holds, pace {pace}"]
                if (pace := _pace(client.stats)) and client.stats.throttled
                else []
            )
        ),
        flush=True,
    )
    if result.rows != args.contacts or any(k[1] == cid for k in duplicates) or not exact:
        print("demo check failed: rows missing or pages fetched twice", file=err)
        return EXIT_DATA
    return EXIT_OK


def _run_emulator(args: argparse.Namespace) -> int:
    from ..emulator import config_from_args, serve_forever

    asyncio.run(serve_forever(config_from_args(args), args.host, args.port))
    return EXIT_OK


# -- parser ---------------------------------------------------------------------------------------
def _connection_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("connection (flags override --env-file, which overrides the environment)")
    g.add_argument("--host", help="API base URL, e.g. https://platform.kore.ai [KORE_HOST]")
    g.add_argument("--stream-id", help="bot / stream id st-... [KORE_STREAM_ID]")
    g.add_argument("--account-id", help="account id [KORE_ACCOUNT_ID]")
    g.add_argument("--iid", help="iid header (defaults to the stream id) [KORE_IID]")
    g.add_argument("--client-id", help="app client id cs-... [KORE_CLIENT_ID]")
    g.add_argument("--client-secret", help="app client secret; prefer the env var [KORE_CLIENT_SECRET]")
    g.add_argument("--token", help="a ready-made JWT instead of id + secret [KORE_TOKEN]")
    g.add_argument("--env-file", help="read KORE_* settings from this dotenv file")
    t = p.add_argument_group("throughput")
    t.add_argument("--concurrency", type=_positive_int, default=8, help="requests in flight (default 8)")
    t.add_argument("--page-size", type=_page_size, default=100, help="records per request, 1-100 (default 100)")
    t.add_argument("--max-retries", type=_non_negative_int, default=5, help="retries per request (default 5)")
    t.add_argument("--timeout", type=_positive_float, default=30.0, help="seconds per request attempt (default 30)")
    t.add_argument(
        "--rate-limit", help="request budget, e.g. 600/60s,18000/1h or runtime|designtime|admin [KORE_RATE_LIMIT]"
    )
    t.add_argument("--redis-url", help="share the budget across processes through Redis [KORE_REDIS_URL]")
    t.add_argument("--rate-limit-key", help="Redis key of the shared budget (default: host + stream id)")
    o = p.add_argument_group("output")
    o.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary")
    o.add_argument("--json-log", action="store_true", help="machine-readable progress lines on stderr")
    return p


def _export_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), help="output format (default: from the extension)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted export from its checkpoint")
    p.add_argument(
        "--on-change",
        choices=("raise", "extend"),
        default="raise",
        help="when the result set changes mid-export: stop (raise, default) or follow appended rows (extend)",
    )
    return p


def _campaign_filters(p: argparse.ArgumentParser, *, type_required: bool = True) -> None:
    p.add_argument("--type", choices=("voice", "sms"), required=type_required, default="voice", help="campaign type")
    p.add_argument(
        "--status",
        action="append",
        metavar="STATUS",
        help="Active, Completed, Ready, Paused, Preparing, Stopped, Scheduled, Rescheduled (repeat or comma-separate)",
    )
    p.add_argument("--priority", action="append", metavar="N", help="1-5 (repeat or comma-separate)")
    p.add_argument("--dialing-mode", action="append", metavar="MODE", help="Progressive, Preview (voice only)")
    p.add_argument("--since", help="created at or after, ISO-8601 (startDate)")
    p.add_argument("--until", help="created at or before, ISO-8601 (endDate)")
    p.add_argument("--sort", help="sort, e.g. createdAt:desc or name:asc,updatedAt:desc")


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
        return value

    return parse


_positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)


def _page_size(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"allowed 1 to {MAX_PAGE_SIZE}, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The full ``korecampaign`` argument parser."""
    codes = "\n".join(f"  {code:>3}  {text}" for code, text in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="korecampaign",
        description="Export Kore.ai Campaign Management API v2 data: fast, resumable, within the rate budget.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"examples:\n  korecampaign demo\n  korecampaign export campaign-contacts cd-... --out contacts.csv\n\n"
        f"exit codes:\n{codes}",
    )
    parser.add_argument("--version", action="version", version=f"korecampaign {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    conn = _connection_options()
    exp = _export_options()
    raw = argparse.RawDescriptionHelpFormatter

    export = sub.add_parser("export", help="export records to a file", description="Export records to a file.")
    what = export.add_subparsers(dest="what", required=True, metavar="WHAT")
    p = what.add_parser(
        "campaign-contacts",
        parents=[conn, exp],
        formatter_class=raw,
        help="contact status of one voice campaign",
        description="Export every contact-status row of a voice campaign (status?view=contacts).",
        epilog="example:\n  korecampaign export campaign-contacts cd-9e14b72-... --out contacts.parquet",
    )
    p.add_argument("id", metavar="CAMPAIGN_ID")
    p.add_argument("--out", required=True, help="output file (.jsonl, .csv, .parquet; - for stdout)")
    p = what.add_parser(
        "contact-list",
        parents=[conn, exp],
        formatter_class=raw,
        help="all contacts of a contact list",
        description="Export every contact of a contact list (getAllContacts).",
        epilog="example:\n  korecampaign export contact-list cl-68b802a-... --out list.csv",
    )
    p.add_argument("id", metavar="CONTACT_LIST_ID")
    p.add_argument("--out", required=True, help="output file (.jsonl, .csv, .parquet; - for stdout)")
    p = what.add_parser(
        "campaigns",
        parents=[conn, exp],
        formatter_class=raw,
        help="campaigns matching filters",
        description="Export every SMS or voice campaign matching the filters (getAllCampaignDetails).",
        epilog="example:\n  korecampaign export campaigns --type voice --status Ready,Stopped \\\n"
        "      --sort createdAt:desc --out campaigns.jsonl",
    )
    _campaign_filters(p)
    p.add_argument("--out", required=True, help="output file (.jsonl, .csv, .parquet; - for stdout)")
    p = what.add_parser(
        "all-campaign-contacts",
        parents=[conn, exp],
        formatter_class=raw,
        help="contacts of every matching voice campaign, one file each",
        description="Export the contact status of every matching voice campaign into DIR, one file per campaign, "
        "sharing one concurrency and rate budget, with DIR/manifest.json.",
        epilog="example:\n  korecampaign export all-campaign-contacts --type voice --status Completed \\\n"
        "      --out-dir exports/",
    )
    _campaign_filters(p, type_required=False)
    p.add_argument("--out-dir", required=True, help="directory for the files and manifest.json")

    p = sub.add_parser(
        "campaign",
        parents=[conn],
        formatter_class=raw,
        help="show one campaign as JSON",
        description="Fetch one campaign and print it as pretty JSON.",
        epilog="example:\n  korecampaign campaign cd-9e14b72-...",
    )
    p.add_argument("id", metavar="CAMPAIGN_ID")

    from .manage import add_manage_parsers

    add_manage_parsers(sub, conn)

    p = sub.add_parser(
        "sync",
        parents=[conn],
        formatter_class=raw,
        help="keep a database current with campaigns and contact outcomes",
        description="Sync campaigns, the contact outcomes of voice campaigns and contact lists into a database: "
        "rows that did not change are not rewritten, changes are kept as history, rows that disappear get gone_at, "
        "and campaigns that are final and already complete are not read again (--full reads everything). Each "
        "batch of pages is committed with the run's progress, so a killed sync and a re-run leave the tables as a "
        "clean run does.",
        epilog="examples:\n  korecampaign sync\n  korecampaign sync --db sqlite:///outcomes.db --type voice "
        "--since 2026-01-01 --contact-list cl-68b802a-...",
    )
    p.add_argument("--db", help="database URL (default sqlite:///korecampaign.db) [KORE_DB_URL]")
    p.add_argument(
        "--type", action="append", metavar="TYPE", help="voice, sms (repeat or comma-separate; default both)"
    )
    p.add_argument(
        "--status",
        action="append",
        metavar="STATUS",
        help="only campaigns with these statuses (repeat or comma-separate)",
    )
    p.add_argument("--since", help="only campaigns created at or after, ISO-8601 (startDate)")
    p.add_argument("--contact-list", action="append", metavar="ID", help="also sync this contact list (repeatable)")
    p.add_argument("--full", action="store_true", help="read every campaign's contacts, final or not")
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=60.0,
        help="seconds to wait for another sync of the same bot (default 60)",
    )
    p.add_argument(
        "--db-retry-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="PostgreSQL gone mid-sync (restart, failover): reconnect with backoff for this long, then continue "
        "from the last committed batch; past it exit 10 (default 60)",
    )

    p = sub.add_parser(
        "report",
        parents=[conn],
        formatter_class=raw,
        help="write an HTML report of a campaign's outcomes",
        description="Write one self-contained HTML page (opens offline: inline SVG charts, no script) with a voice "
        "campaign's totals, outcome and status breakdowns, attempts and top disposition codes; from the API, or "
        "with --db from a database `korecampaign sync` keeps, adding outcome changes per day.",
        epilog="examples:\n  korecampaign report cd-9e14b72-... --out report.html\n"
        "  korecampaign report cd-9e14b72-... --db sqlite:///korecampaign.db",
    )
    p.add_argument("id", metavar="CAMPAIGN_ID")
    p.add_argument("--out", default="report.html", help="the HTML file (default report.html; - for stdout)")
    p.add_argument(
        "--db", help="report from this synced database instead of the API (sqlite:///... or postgresql://...)"
    )

    p = sub.add_parser(
        "check",
        parents=[conn],
        formatter_class=raw,
        help="check credentials and endpoints with at most six requests",
        description="Mint the JWT, call each read endpoint once (list voice and SMS campaigns, one campaign, one "
        "page of contacts when an id is given), and report round-trip times, the server's page/skip reading, "
        "whether 429s carry Retry-After, and what the rate budget means for a 1,000,000-row export. Spends at "
        "most six requests (retries off) and prints no secret.",
        epilog="examples:\n  korecampaign check\n  korecampaign check --campaign cd-9e14b72-... --json",
    )
    p.add_argument("--campaign", metavar="CAMPAIGN_ID", help="also read this campaign and one page of its contacts")
    p.add_argument("--contact-list", metavar="CONTACT_LIST_ID", help="also read one page of this contact list")
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    from ..emulator import add_emulator_arguments

    p = sub.add_parser(
        "emulator",
        formatter_class=raw,
        help="serve the local API emulator",
        description="Serve the local Campaign API emulator in the foreground and print the env vars that point "
        "the CLI and SDK at it.",
        epilog="example:\n  korecampaign emulator --port 8080 --contacts 1000000 --latency-ms 50 --fault-rate 0.05",
    )
    add_emulator_arguments(p)

    p = sub.add_parser(
        "demo",
        formatter_class=raw,
        help="export from an embedded emulator: no credentials, no network",
        description="Start the emulator in-process, export a campaign's contacts with a live progress bar, and "
        "compare with fetching one page at a time.",
        epilog="example:\n  korecampaign demo --contacts 200000 --latency-ms 50 --concurrency 32",
    )
    p.add_argument("--contacts", type=_positive_int, default=100_000, help="contacts to export (default 100000)")
    p.add_argument("--latency-ms", type=float, default=50.0, help="emulated server latency (default 50)")
    p.add_argument("--concurrency", type=_positive_int, default=16, help="requests in flight (default 16)")
    p.add_argument("--baseline-pages", type=_positive_int, default=10, help="pages fetched one by one for the baseline")
    p.add_argument("--out", help="output file (default: a new temp directory)")
    p.add_argument(
        "--db",
        help="show `korecampaign sync` instead: sync into this database (e.g. sqlite:///demo.db), move the data "
        "forward, and sync again",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json-log", action="store_true", help="machine-readable progress lines on stderr")
    g = p.add_argument_group("how the emulated server reads the docs (see docs/api-notes.md)")
    g.add_argument(
        "--paging",
        choices=("page", "skip-wins", "skip", "additive", "none"),
        help="the server's page/skip reading; also exports a contact list to show the client learning it",
    )
    g.add_argument("--overcount", type=int, default=0, help="totalResults counts N rows the server never serves")
    g.add_argument("--rate-limit", help="rolling windows the server enforces, e.g. 20/2s,60/20s")
    g.add_argument("--no-retry-after", action="store_true", help="rate-limit 429s carry no Retry-After")
    return parser


def help_pages(prog: str = "korecampaign") -> list[tuple[str, str]]:
    """``(command, help text)`` for the top level and every subcommand, exactly as
    ``korecampaign [COMMAND ...] --help`` prints them (the docs' CLI reference is generated
    from this, so it cannot drift from the parser)."""
    pages: list[tuple[str, str]] = []

    def walk(parser: argparse.ArgumentParser, words: list[str]) -> None:
        pages.append((" ".join([prog, *words]), parser.format_help()))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, [*words, name])

    walk(build_parser(), [])
    return pages


def _exit_code(exc: BaseException) -> int:
    if isinstance(exc, OutcomeUnknownError):
        return EXIT_UNKNOWN
    if isinstance(exc, OutputError):
        return EXIT_LOCAL
    if isinstance(exc, StoreLockedError):
        return EXIT_LOCKED
    if isinstance(exc, StoreUnavailableError):
        return EXIT_LOCAL
    if isinstance(exc, StoreError):
        return EXIT_CONFIG
    if isinstance(exc, (InvalidParameterError, ValidationError)):
        return EXIT_USAGE if isinstance(exc, InvalidParameterError) else EXIT_DATA
    if isinstance(exc, (ConfigurationError, RateLimiterUnavailableError)):
        return EXIT_CONFIG
    if isinstance(exc, AuthenticationError):
        return EXIT_AUTH
    if isinstance(exc, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, (TransportError, RateLimitError, ServerError)):
        return EXIT_NETWORK
    if isinstance(exc, (DecodeError, PaginationDriftError, KoreAPIError)):
        return EXIT_DATA
    return EXIT_ERROR


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return await _run_demo(args)
    if args.command == "report" and args.db:  # from the database: no API client needed
        return await _run_report(args, None)
    store: Any = None
    if args.command == "sync":
        from ..stores import open_store

        store = open_store(_db_url(args), reconnect_timeout=args.db_retry_timeout)
        await store.open()  # an unusable database fails here, before any API request
    try:
        return await _dispatch_with(args, store)
    finally:
        if store is not None:
            await store.close()


async def _dispatch_with(args: argparse.Namespace, store: Any) -> int:
    client = build_client(args)
    async with client:
        reporter = Reporter(quiet=args.quiet, json_log=args.json_log, client=client)
        try:
            if args.command == "campaign":
                return await _run_campaign(args, client)
            if args.command in ("campaigns", "contact-lists"):
                from .manage import run_manage

                return await run_manage(args, client, reporter)
            if args.command == "check":
                return await _run_check(args, client)
            if args.command == "report":
                return await _run_report(args, client)
            if args.command == "sync":
                return await _run_sync(args, client, reporter, store)
            if args.what == "all-campaign-contacts":
                return await _run_export_all(args, client, reporter)
            return await _run_export(args, client, reporter)
        finally:
            close = getattr(client.rate_limit, "close", None)
            if close is not None:
                await close()


async def _main_async(args: argparse.Namespace) -> int:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # non-Unix loops
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
    return await _dispatch(args)


class _LogFormatter(logging.Formatter):
    """The SDK's warnings on stderr, in the CLI's voice (or as JSON lines with --json-log)."""

    def __init__(self, json_lines: bool) -> None:
        super().__init__()
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        message = redact(record.getMessage())
        if self.json_lines:
            return json.dumps(
                {
                    "event": "log",
                    "time": round(record.created, 3),
                    "level": record.levelname.lower(),
                    "message": message,
                }
            )
        return f"korecampaign: {record.levelname.lower()}: {message}"


def _configure_logging(args: argparse.Namespace) -> None:
    log = logging.getLogger("korecampaign_async")
    if any(getattr(h, "_korecampaign_cli", False) for h in log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._korecampaign_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(_LogFormatter(bool(getattr(args, "json_log", False))))
    log.addHandler(handler)
    log.setLevel(logging.WARNING)
    log.propagate = False


def _after_interrupt(args: argparse.Namespace) -> str:
    """What is true after an interrupt, for the command that was running."""
    command = args.command
    if command == "export":
        if args.what != "all-campaign-contacts" and is_stream_target(args.out):
            return " (standard output keeps no checkpoint: run the export again)"
        return "; the checkpoint is kept: run the same command with --resume"
    if command == "contact-lists" and getattr(args, "action", None) == "import":
        return (
            "; the import's checkpoint is kept: run the same command with --resume (no contact skipped, none sent "
            "twice)"
        )
    if command == "sync":
        return (
            "; every batch written so far is committed: run the same sync again, it continues by itself "
            "(sync has no --resume)"
        )
    if command == "campaigns" and getattr(args, "action", None) not in ("status", "wait"):
        return "; a write may have been sent: check the campaign's state (korecampaign campaigns status ID)"
    return ""


def _stdout_closed() -> int:
    """Standard output's reader went away: point stdout at /dev/null so the interpreter's
    final flush cannot fail again (the recipe in the ``signal`` module's documentation)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``korecampaign``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "db", None):
        mask_url(args.db)  # remembers its password: no line printed can carry it
    _configure_logging(args)
    if args.command == "emulator":
        try:
            return _run_emulator(args)
        except KeyboardInterrupt:
            return EXIT_OK
        except KoreCampaignError as exc:
            print(f"korecampaign: error: {exc}", file=sys.stderr)
            return _exit_code(exc)
    try:
        code = asyncio.run(_main_async(args))
        sys.stdout.flush()  # a reader that left after the last write shows here
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"korecampaign: interrupted{_after_interrupt(args)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KoreCampaignError as exc:
        print(redact(f"korecampaign: error: {exc}"), file=sys.stderr)
        return _exit_code(exc)
    except OSError as exc:  # a local failure the commands did not name (a file, a socket): one line
        reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
        where = f"{exc.filename}: " if isinstance(exc.filename, str) else ""
        print(redact(f"korecampaign: error: {where}{reason}"), file=sys.stderr)
        return EXIT_LOCAL

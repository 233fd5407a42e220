"""``korecampaign sync``: keep a database current with campaigns, contact outcomes and
contact lists (the SDK's :func:`~korecampaign_async.sync.sync`), with a progress line and a
summary of what was written, skipped and spent."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..client import KoreCampaignClient
from ..transport import PageEvent
from .exit_codes import EXIT_OK
from .options import CommonOptions, duration_arg, split
from .reporter import Reporter

__all__ = ["add_parser", "run", "summary"]


async def run(args: argparse.Namespace, client: KoreCampaignClient, reporter: Reporter, store: Any) -> int:
    from ..sync import sync

    types = tuple(split(args.type) or ("voice", "sms"))
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
            statuses=split(args.status),
            since=args.since,
            contact_lists=split(args.contact_list) or (),
            full=args.full,
            full_every=args.full_every,
            lock_timeout=args.lock_timeout,
        )
    finally:
        reporter.stop()
    reporter.info(summary(report))
    reporter.event("done", report=report.as_dict(), stats=client.stats.as_dict())
    return EXIT_OK


def summary(r: Any) -> str:
    skipped = ", ".join(f"{n:,} {why}" for why, n in sorted(r.skip_reasons.items())) or "nothing"
    read = ", ".join(f"{n:,} {why}" for why, n in sorted(r.read_reasons.items())) or "nothing"
    lines = [
        f"synced {r.stream_id} into {r.database} (run {r.run_id}, {r.seconds:.2f}s)",
        f"  campaigns       seen {r.campaigns_seen:,} · changed {r.campaigns_changed:,} · "
        f"contacts skipped for {r.campaigns_skipped:,}",
        f"  read            {read}",
        f"  skipped         {skipped}",
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


def add_parser(sub: Any, common: CommonOptions) -> None:
    """Add this command to ``korecampaign``'s subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    conn = common.connection
    p = sub.add_parser(
        "sync",
        parents=[conn],
        formatter_class=raw,
        help="keep a database current with campaigns and contact outcomes",
        description="Sync campaigns, the contact outcomes of voice campaigns and contact lists into a database: "
        "rows that did not change are not rewritten, changes are kept as history, rows that disappear get gone_at. "
        "A campaign's contacts are read only when they can have changed since its last complete pass (it is "
        "Active, or its status, updatedAt, instance or lists moved), a list's only when its totalRecordCount or "
        "updatedAt moved; --full-every is the safety net, --full reads everything. Each "
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
    p.add_argument("--full", action="store_true", help="read every campaign's and list's contacts, changed or not")
    p.add_argument(
        "--full-every",
        type=duration_arg,
        default=24 * 3600.0,
        metavar="DURATION",
        help="read a campaign or list again after this long even when nothing says it changed, e.g. 24h, 30m, "
        "90s; 0 = never (default 24h)",
    )
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

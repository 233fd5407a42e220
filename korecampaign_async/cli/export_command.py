"""``korecampaign export ...``: resumable bulk exports of campaign contacts, contact lists
and campaigns to JSON Lines, CSV or Parquet, and of many campaigns into one directory."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import msgspec

from ..client import KoreCampaignClient
from ..errors import InvalidParameterError
from ..export import ExportResult, Format, Progress, export_many, export_to_file, infer_format
from ..models.records import Campaign, CampaignContact, Contact
from ..paging import RecordStream
from .exit_codes import EXIT_OK
from .options import CommonOptions, campaign_filters, campaign_query
from .reporter import Reporter

__all__ = ["add_parser", "run", "run_all"]

_RECORD_TYPES: dict[str, type[msgspec.Struct]] = {
    "campaign-contacts": CampaignContact,
    "contact-list": Contact,
    "campaigns": Campaign,
}


async def run(args: argparse.Namespace, client: KoreCampaignClient, reporter: Reporter) -> int:
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
        query = campaign_query(args)
        identity = {"endpoint": kind, "query": query}
        client.iter_campaigns(**query)  # validate before touching files
        open_stream = lambda start: client.iter_campaigns(**query, start_page=start)  # noqa: E731
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


async def run_all(args: argparse.Namespace, client: KoreCampaignClient, reporter: Reporter) -> int:
    fmt: Format = infer_format("x." + (args.format or "jsonl"), args.format)
    query = campaign_query(args)
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


def add_parser(sub: Any, common: CommonOptions) -> None:
    """Add this command to ``korecampaign``'s subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    conn = common.connection
    exp = common.export
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
    campaign_filters(p)
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
    campaign_filters(p, type_required=False)
    p.add_argument("--out-dir", required=True, help="directory for the files and manifest.json")

"""``korecampaign campaigns ...`` and ``korecampaign contact-lists ...``: the write side of
the CLI, over ``client.campaigns`` and ``client.contact_lists``.

Campaign bodies come from a JSON file (``--spec campaign.json``, ``-`` for stdin) in the
documented camelCase shape, the same body the API pages show; everything else is flags.
Every command prints a human line, or the API's answer as JSON with ``--json``, and uses
the exit codes of ``korecampaign --help`` (9: a write's outcome is unknown). Deletes ask
for ``--yes``. ``contact-lists import`` reads CSV (a header row) or JSON Lines, checks
every row, shows the export's progress bar, and keeps a checkpoint beside the file so an
interrupted import continues with ``--resume``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from ..errors import InvalidParameterError
from ..models.write_checks import SCHEDULE_DAYS
from ..models.writes import (
    DailyRecurrence,
    Recurrence,
    ScheduleSpec,
    SmsCampaignSpec,
    VoiceCampaignSpec,
    WeeklyRecurrence,
)
from ..resources.contact_lists import ImportProgress, UnreadableRow
from .options import CommonOptions

if TYPE_CHECKING:
    from ..client import KoreCampaignClient
    from .reporter import Reporter

__all__ = ["add_parser", "read_contacts", "run"]

_pretty = msgspec.json.Encoder()


def _print_json(value: Any) -> None:
    sys.stdout.write(msgspec.json.format(_pretty.encode(value), indent=2).decode() + "\n")


def _spec(path: str, kind: str | None) -> VoiceCampaignSpec | SmsCampaignSpec:
    """A campaign body from a JSON file (``-``: stdin); its type from ``campaignType`` or ``--type``."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as exc:
        raise InvalidParameterError("--spec", path, f"a readable JSON file ({exc.strerror})") from None
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise InvalidParameterError("--spec", path, f"a JSON object ({exc})") from None
    if not isinstance(body, dict):
        raise InvalidParameterError("--spec", path, "a JSON object (the campaign body)")
    ctype = kind or body.get("campaignType")
    if ctype not in ("voice", "sms"):
        raise InvalidParameterError("--type", ctype, "voice or sms (or campaignType in the spec)")
    body["campaignType"] = ctype
    try:
        if ctype == "voice":
            return msgspec.convert(body, VoiceCampaignSpec)
        return msgspec.convert(body, SmsCampaignSpec)
    except msgspec.ValidationError as exc:
        raise InvalidParameterError("--spec", path, f"the documented {ctype} campaign body: {exc}") from None


def _schedule(args: argparse.Namespace) -> ScheduleSpec:
    if (args.every_days is None) == (args.every_weeks is None):
        raise InvalidParameterError("--every-days/--every-weeks", None, "exactly one of them")
    if args.every_days is not None:
        recurrence = Recurrence(recur_type="Daily", daily_details=DailyRecurrence(once_everyndays=args.every_days))
    else:
        days = [d.strip() for d in (args.days or ",".join(SCHEDULE_DAYS)).split(",") if d.strip()]
        weekly = WeeklyRecurrence(once_everynweeks=args.every_weeks, which_days=days)
        recurrence = Recurrence(recur_type="Weekly", weekly_details=weekly)
    return ScheduleSpec(start_date_time=args.start, end_date_time=args.end, recurrence_object=recurrence)


def read_contacts(path: str, fmt: str | None = None) -> tuple[Iterator[Any], int]:
    """Rows of a CSV (header row) or JSON Lines file, and the line number of the first row.
    A JSON line that does not parse becomes an :class:`UnreadableRow` (reported with its
    line, never sent)."""
    kind = fmt or ("csv" if path.lower().endswith(".csv") else "jsonl")
    if kind not in ("csv", "jsonl"):
        raise InvalidParameterError("--format", kind, "csv or jsonl")
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed by the generator
    except OSError as exc:
        raise InvalidParameterError("FILE", path, f"a readable file ({exc.strerror})") from None

    def csv_rows() -> Iterator[Any]:
        with handle:
            yield from csv.DictReader(handle)

    def jsonl_rows() -> Iterator[Any]:
        with handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    yield UnreadableRow("an empty line")
                    continue
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    yield UnreadableRow(f"not JSON ({exc}) at line {number}")

    return (csv_rows(), 2) if kind == "csv" else (jsonl_rows(), 1)


async def run(args: argparse.Namespace, client: KoreCampaignClient, reporter: Reporter) -> int:
    """Run one ``campaigns`` or ``contact-lists`` subcommand; returns the exit code."""
    if args.command == "campaigns":
        return await _campaigns(args, client)
    return await _contact_lists(args, client, reporter)


async def _campaigns(args: argparse.Namespace, client: KoreCampaignClient) -> int:
    campaigns = client.campaigns
    action = args.action
    result: Any
    if action == "create":
        result = await campaigns.create(_spec(args.spec, args.type))
        line = f"created {result.id} ({result.name}, {result.status})"
    elif action == "update":
        result = await campaigns.update(args.id, _spec(args.spec, args.type))
        line = f"updated {result.id} ({result.name})"
    elif action in ("start", "stop"):
        result = await (campaigns.start if action == "start" else campaigns.stop)(args.id, type=args.type)
        instance = f", instance {result.campaign_instance_id}" if result.campaign_instance_id else ""
        line = f"{args.id}: {result.status}{instance}"
    elif action == "schedule":
        result = await campaigns.schedule(args.name, _schedule(args))
        line = f"scheduled {args.name} ({result.id})"
    elif action == "unschedule":
        result = await campaigns.unschedule(args.name)
        line = f"unscheduled {args.name} ({result.id})"
    elif action == "delete":
        if not args.yes:
            raise InvalidParameterError("--yes", False, "--yes (deleting a campaign cannot be undone)")
        result = await campaigns.delete(args.id, type=args.type, confirm=True)
        line = f"deleted {args.id}"
    elif action == "status":
        result = await campaigns.status(args.id)
        line = f"{result.id}: {result.status} ({result.name})"
    else:  # wait
        until = {s.strip() for s in args.until.split(",") if s.strip()}

        def show(state: Any) -> None:
            if not args.json and not args.quiet:
                print(f"{time.strftime('%H:%M:%S')} {state.id}: {state.status}", file=sys.stderr, flush=True)

        try:
            async with asyncio.timeout(args.wait_timeout):  # None: no limit
                result = await campaigns.wait(
                    args.id, until=until, poll=args.poll, max_poll=args.max_poll, on_status=show
                )
        except TimeoutError:
            print(f"korecampaign: {args.id} did not reach {args.until} within {args.wait_timeout:g}s", file=sys.stderr)
            return 1
        line = f"{result.id}: {result.status}"
    if args.json:
        _print_json(result)
    elif not args.quiet:
        print(line)
    return 0


async def _contact_lists(args: argparse.Namespace, client: KoreCampaignClient, reporter: Reporter) -> int:
    from ..models.writes import ContactListSpec

    lists = client.contact_lists
    action = args.action
    result: Any
    if action == "create":
        allow = msgspec.UNSET if args.allow_duplicates is None else args.allow_duplicates
        result = await lists.create(
            ContactListSpec(name=args.name, description=args.description, allow_duplicates=allow)
        )
        line = f"created {result.id} ({result.name})"
    elif action == "show":
        result = await lists.get(args.id)
        line = f"{result.id}: {result.name} ({result.total_record_count} contacts, {result.status})"
    elif action == "list":
        result = await lists.list()
        line = "\n".join(f"{c.id}  {c.total_record_count or 0:>9,}  {c.name}" for c in result) or "no contact lists"
    elif action == "delete":
        if not args.yes:
            raise InvalidParameterError("--yes", False, "--yes (deleting a contact list cannot be undone)")
        result = await lists.delete(args.id, confirm=True)
        line = f"deleted {args.id}"
    else:  # import
        rows, first_line = read_contacts(args.file, args.format)
        checkpoint = args.checkpoint or args.file + ".import-checkpoint.json"
        reporter.start(f"import {Path(args.file).name}")
        started = time.monotonic()

        def on_progress(p: ImportProgress) -> None:
            reporter.tick(p.accepted + p.skipped, time.monotonic() - started)

        try:
            result = await lists.import_contacts(
                args.list,
                rows,
                batch_size=args.batch_size,
                checkpoint=checkpoint,
                resume=args.resume,
                resend_unknown=args.resend_unknown,
                verify=args.verify,
                verify_timeout=args.verify_timeout,
                settle=args.settle,
                settle_timeout=args.settle_timeout,
                start_line=first_line,
                on_progress=on_progress,
            )
        finally:
            reporter.stop()
        for problem in result.problems[:20]:
            reporter.info(f"line {problem.line}: {problem.reason}")
        if len(result.problems) > 20:
            reporter.info(f"... and {len(result.problems) - 20} more rejected rows (--json lists them all)")
        verified = (
            ""
            if result.verified is None
            else (", verified" if result.verified else f", {len(result.missing or [])} missing")
        )
        line = (
            f"imported into {result.list_name}: {result.accepted:,} accepted, {result.rejected:,} rejected, "
            f"{result.skipped:,} skipped (done earlier){verified}; {result.requests} requests, "
            f"{result.elapsed:.1f}s"
        )
        if result.unknown:
            ranges = ", ".join(f"{a}-{b}" for a, b in result.unknown)
            line += f"; outcome unknown for lines {ranges} (see --resend-unknown)"
        if args.json:
            _print_json(result.as_dict())
        elif not args.quiet:
            print(line)
        return 9 if result.unknown else (7 if result.verified is False else 0)
    if args.json:
        _print_json(result)
    elif not args.quiet:
        print(line)
    return 0


def add_parser(sub: Any, common: CommonOptions) -> None:
    """Add ``campaigns`` and ``contact-lists`` to the ``korecampaign`` subcommands."""
    conn = common.connection
    raw = argparse.RawDescriptionHelpFormatter
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--json", action="store_true", help="print the API's answer as JSON")

    campaigns = sub.add_parser(
        "campaigns",
        help="create, update, start, stop, schedule, delete or wait for campaigns",
        description="Manage campaigns. Writes are never sent twice: after a lost answer the SDK looks at the "
        "server's state (exit code 9 when it cannot tell).",
    )
    do = campaigns.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = do.add_parser(
        "create",
        parents=[conn, out],
        formatter_class=raw,
        help="create a voice or SMS campaign from a JSON spec",
        description="Create a campaign from its documented JSON body (camelCase, as the API pages show it).",
        epilog="example:\n  korecampaign campaigns create --spec renewals.json",
    )
    p.add_argument("--spec", required=True, help="the campaign body as a JSON file (- for stdin)")
    p.add_argument("--type", choices=("voice", "sms"), help="campaign type (default: campaignType in the spec)")
    p = do.add_parser("update", parents=[conn, out], help="replace a campaign's settings from a JSON spec")
    p.add_argument("id", metavar="CAMPAIGN_ID")
    p.add_argument("--spec", required=True, help="the campaign body as a JSON file (- for stdin)")
    p.add_argument("--type", choices=("voice", "sms"), help="campaign type (default: campaignType in the spec)")
    for name, text in (("start", "start a campaign (trigger=play)"), ("stop", "stop an active campaign")):
        p = do.add_parser(name, parents=[conn, out], help=text)
        p.add_argument("id", metavar="CAMPAIGN_ID")
        p.add_argument("--type", choices=("voice", "sms"), default="voice", help="campaign type (default voice)")
    p = do.add_parser(
        "schedule",
        parents=[conn, out],
        formatter_class=raw,
        help="turn on a daily or weekly schedule (campaign found by name)",
        epilog='example:\n  korecampaign campaigns schedule "Renewals" --start "2026-01-27 18:29:00" '
        '--end "2026-02-27 18:29:00" --every-weeks 1 --days Mon,Wed,Fri',
    )
    p.add_argument("name", metavar="CAMPAIGN_NAME")
    p.add_argument("--start", required=True, help="first run, 'YYYY-MM-DD HH:mm:ss'")
    p.add_argument("--end", required=True, help="last run, 'YYYY-MM-DD HH:mm:ss'")
    p.add_argument("--every-days", type=int, metavar="N", help="daily: once every N days")
    p.add_argument("--every-weeks", type=int, metavar="N", help="weekly: once every N weeks")
    p.add_argument("--days", help="weekly: Mon,Tue,Wed,Thu,Fri,Sat,Sun (default every day)")
    p = do.add_parser("unschedule", parents=[conn, out], help="turn off a campaign's schedule (found by name)")
    p.add_argument("name", metavar="CAMPAIGN_NAME")
    p = do.add_parser("delete", parents=[conn, out], help="delete a campaign (asks for --yes)")
    p.add_argument("id", metavar="CAMPAIGN_ID")
    p.add_argument("--type", choices=("voice", "sms"), default="voice", help="campaign type (default voice)")
    p.add_argument("--yes", action="store_true", help="confirm: deleting cannot be undone")
    p = do.add_parser("status", parents=[conn, out], help="a campaign's status (one cheap request)")
    p.add_argument("id", metavar="CAMPAIGN_ID")
    p = do.add_parser(
        "wait",
        parents=[conn, out],
        help="wait until a campaign reaches a status (polls cheaply, backing off)",
        description="Poll the campaign's status until it is one of --until; the interval grows by half while "
        "nothing changes, up to --max-poll.",
    )
    p.add_argument("id", metavar="CAMPAIGN_ID")
    p.add_argument("--until", default="Completed,Stopped", help="statuses to wait for (default Completed,Stopped)")
    p.add_argument("--poll", type=float, default=5.0, help="first interval in seconds (default 5)")
    p.add_argument("--max-poll", type=float, default=60.0, help="longest interval in seconds (default 60)")
    p.add_argument("--wait-timeout", type=float, help="give up after this many seconds (exit 1)")

    lists = sub.add_parser(
        "contact-lists",
        help="create, show, list, delete contact lists, and import contacts",
        description="Manage contact lists and import contacts into them.",
    )
    do = lists.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = do.add_parser("create", parents=[conn, out], help="create a contact list fed by the API")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--description", required=True, help="what the list holds (at most 256 characters)")
    dup = p.add_mutually_exclusive_group()
    dup.add_argument("--allow-duplicates", dest="allow_duplicates", action="store_true", default=None)
    dup.add_argument("--no-duplicates", dest="allow_duplicates", action="store_false")
    p = do.add_parser("show", parents=[conn, out], help="one contact list's details")
    p.add_argument("id", metavar="CONTACT_LIST_ID")
    do.add_parser("list", parents=[conn, out], help="every contact list")
    p = do.add_parser("delete", parents=[conn, out], help="delete a contact list (asks for --yes)")
    p.add_argument("id", metavar="CONTACT_LIST_ID")
    p.add_argument("--yes", action="store_true", help="confirm: deleting cannot be undone")
    p = do.add_parser(
        "import",
        parents=[conn, out],
        formatter_class=raw,
        help="import contacts from a CSV or JSON Lines file",
        description="Check every row, send the good ones in concurrent batches within the rate budget, and keep a "
        "checkpoint so that an interrupted import continues with --resume: no contact skipped, none sent twice. "
        "Bad rows are listed with their line numbers and never sent.",
        epilog="example:\n  korecampaign contact-lists import 'Renewals July' segment.csv --verify",
    )
    p.add_argument("list", metavar="LIST_NAME", help="the contact list's name (the API addresses lists by name)")
    p.add_argument("file", metavar="FILE", help="CSV with a header row (phoneNumber, ...) or JSON Lines")
    p.add_argument("--format", choices=("csv", "jsonl"), help="file format (default: from the extension)")
    p.add_argument("--batch-size", type=int, default=1000, help="contacts per request (default 1000)")
    p.add_argument("--checkpoint", help="checkpoint file (default FILE.import-checkpoint.json)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted import from its checkpoint")
    p.add_argument(
        "--resend-unknown",
        action="store_true",
        help="on resume, send again the batches whose outcome was unknown (may add their contacts twice)",
    )
    p.add_argument("--verify", action="store_true", help="read the list back until every contact is there")
    p.add_argument("--verify-timeout", type=float, default=60.0, help="seconds to wait for --verify (default 60)")
    p.add_argument(
        "--settle",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="on --resume with batches in flight (list keeping duplicates): how long the list's count must stay "
        "unchanged before it is read, since Kore queues additions (default 10)",
    )
    p.add_argument(
        "--settle-timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="the longest wait for the list to be quiet; past it exit 9, nothing sent (default 300)",
    )

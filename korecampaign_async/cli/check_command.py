"""``korecampaign check``: credentials and endpoints with at most six requests (:mod:`.check`),
as an aligned table or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..client import KoreCampaignClient
from .exit_codes import EXIT_DATA, EXIT_OK, exit_code
from .options import CommonOptions
from .reporter import duration

__all__ = ["add_parser", "run"]


async def run(args: argparse.Namespace, client: KoreCampaignClient) -> int:
    from .check import run_check

    if args.forget:
        await client.forget_profile()
    report = await run_check(client, campaign_id=args.campaign, contact_list_id=args.contact_list)
    profile_file = client._profiles.path_for(client.host, client._profile_key) if client._profiles.persist else None
    if args.json:
        doc = report.as_dict()
        doc["profile"] = {**client.profile.as_dict(), "file": profile_file, "forgotten": bool(args.forget)}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        sys.stdout.write(_render_check(report) + _render_profile(client, profile_file, args.forget))
    if report.error is not None:
        return exit_code(report.error)
    return EXIT_OK if report.ok else EXIT_DATA


def _render_check(report: Any) -> str:
    """The check as a short aligned table (no secret is part of the report)."""
    lines = [
        f"korecampaign check  {report.host}  stream {report.stream_id}  account {report.account_id}",
        f"  {'auth':<28} {report.auth}",
    ]
    if report.api != "v2":
        edition = report.edition or "not learned"
        lines.append(f"  {'api':<28} {report.api} (agentassist v1 pages), edition {edition}")
    for e in report.endpoints:
        status = e.status if e.status is not None else "-"
        ms = f"{e.milliseconds:,.0f} ms" if e.milliseconds is not None else ""
        mark = "ok" if e.ok else "FAILED"
        lines.append(f"  {e.name:<28} {mark:<6} {status!s:>3} {ms:>9}  {e.detail}")
    lines.append(f"  {'page/skip reading':<28} {report.paging_reading or 'unknown'}: {report.paging_reading_detail}")
    for endpoint, size in report.page_sizes.items():
        lines.append(f"  {'page size: ' + endpoint:<28} {size}")
    lines.append(f"  {'429s':<28} {report.retry_after}")
    lines.append(f"  {'rate budget':<28} {report.budget}")
    for spec, seconds in report.million_rows.items():
        lines.append(f"  {'1,000,000 rows':<28} at least {duration(seconds)} at {spec}")
    lines.append(f"  {'requests spent':<28} {report.requests} (at most {report.max_requests})")
    if report.error is not None:
        lines.append(f"korecampaign: error: {report.error}")
    return "\n".join(lines) + "\n"


def _render_profile(client: KoreCampaignClient, path: str | None, forgotten: bool) -> str:
    """What the client remembers about this server (its profile) and where."""
    profile = client.profile
    where = path or "memory only"
    head = "forgotten, then " if forgotten else ""
    if profile.empty:
        return f"  {'server profile':<28} {head}nothing learned yet ({where})\n"
    facts = []
    if profile.readings:
        facts.append("reading " + ", ".join(f"{k}={v}" for k, v in sorted(profile.readings.items())))
    if profile.echoes:
        facts.append("offset echo " + ", ".join(f"{k}={v}" for k, v in sorted(profile.echoes.items())))
    if profile.page_sizes:
        facts.append("page sizes " + ", ".join(f"{k}={v}" for k, v in sorted(profile.page_sizes.items())))
    if profile.retry_after is not None:
        facts.append("429s " + ("carry" if profile.retry_after else "lack") + " Retry-After")
    if profile.windows:
        facts.append("windows " + ",".join(f"{n}/{s:g}s" for n, s in profile.windows))
    return f"  {'server profile':<28} {head}{'; '.join(facts)} ({where}; --forget clears it)\n"


def add_parser(sub: Any, common: CommonOptions) -> None:
    """Add this command to ``korecampaign``'s subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    conn = common.connection
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
    p.add_argument(
        "--forget",
        action="store_true",
        help="forget what was learned about this server (its profile file, and Redis with --redis-url) first",
    )

"""``korecampaign report ID``: one self-contained HTML page of a campaign's outcomes, from
the API or from a synced database (:mod:`.report`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..client import KoreCampaignClient
from .exit_codes import EXIT_OK
from .options import CommonOptions
from .settings import resolve_env

__all__ = ["add_parser", "run"]


async def run(args: argparse.Namespace, client: KoreCampaignClient | None) -> int:
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


def add_parser(sub: Any, common: CommonOptions) -> None:
    """Add this command to ``korecampaign``'s subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    conn = common.connection
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

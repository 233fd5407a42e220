"""``korecampaign campaign ID``: one campaign as pretty JSON."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import msgspec

from ..client import KoreCampaignClient
from .exit_codes import EXIT_OK
from .options import CommonOptions

__all__ = ["add_parser", "run"]


async def run(args: argparse.Namespace, client: KoreCampaignClient) -> int:
    campaign = await client.get_campaign(args.id)
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(campaign), indent=2).decode() + "\n")
    return EXIT_OK


def add_parser(sub: Any, common: CommonOptions) -> None:
    """Add this command to ``korecampaign``'s subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    conn = common.connection
    p = sub.add_parser(
        "campaign",
        parents=[conn],
        formatter_class=raw,
        help="show one campaign as JSON",
        description="Fetch one campaign and print it as pretty JSON.",
        epilog="example:\n  korecampaign campaign cd-9e14b72-...",
    )
    p.add_argument("id", metavar="CAMPAIGN_ID")

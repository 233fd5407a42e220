"""``korecampaign emulator``: serve the local API emulator in the foreground."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from .exit_codes import EXIT_OK
from .options import CommonOptions

__all__ = ["add_parser", "run"]


def run(args: argparse.Namespace) -> int:
    from ..emulator import config_from_args, serve_forever

    asyncio.run(serve_forever(config_from_args(args), args.host, args.port))
    return EXIT_OK


def add_parser(sub: Any, common: CommonOptions) -> None:
    """Add this command to ``korecampaign``'s subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
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

"""The ``korecampaign`` argument parser, assembled from one module per command, and its
help pages (the docs' CLI reference is generated from them, so it cannot drift)."""

from __future__ import annotations

import argparse

from .. import __version__
from . import (
    campaign_command,
    check_command,
    demo_command,
    emulator_command,
    export_command,
    manage_command,
    report_command,
    sync_command,
)
from .exit_codes import EXIT_CODES
from .options import CommonOptions, connection_options, export_options

__all__ = ["build_parser", "help_pages"]


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
    common = CommonOptions(connection_options(), export_options())

    # the order of `korecampaign --help`
    export_command.add_parser(sub, common)
    campaign_command.add_parser(sub, common)
    manage_command.add_parser(sub, common)
    sync_command.add_parser(sub, common)
    report_command.add_parser(sub, common)
    check_command.add_parser(sub, common)
    emulator_command.add_parser(sub, common)
    demo_command.add_parser(sub, common)
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

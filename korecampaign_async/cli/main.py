"""``korecampaign``'s entry point: parse, dispatch to the command's module, turn every
failure into one ``korecampaign: error:`` line and its exit code (:mod:`.exit_codes`), and
answer SIGTERM, Ctrl-C and a closed standard output.

Commands, one module each: ``export`` (:mod:`.export_command`), ``campaign``
(:mod:`.campaign_command`), ``campaigns`` and ``contact-lists`` (:mod:`.manage_command`),
``sync`` (:mod:`.sync_command`), ``report`` (:mod:`.report_command`), ``check``
(:mod:`.check_command`), ``emulator`` (:mod:`.emulator_command`), ``demo``
(:mod:`.demo_command`). Shared: settings (:mod:`.settings`), options (:mod:`.options`),
progress (:mod:`.reporter`), the parser (:mod:`.parser`).
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
from collections.abc import Sequence
from typing import Any

from .._redact import mask_url, redact
from ..errors import KoreCampaignError
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
from .exit_codes import EXIT_CODES, EXIT_INTERRUPTED, EXIT_LOCAL, EXIT_OK, EXIT_PIPE, after_interrupt, exit_code
from .parser import build_parser, help_pages
from .reporter import Reporter
from .settings import build_client, db_url

__all__ = ["EXIT_CODES", "build_parser", "help_pages", "main"]


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return await demo_command.run(args)
    if args.command == "report" and args.db:  # from the database: no API client needed
        return await report_command.run(args, None)
    store: Any = None
    if args.command == "sync":
        from ..stores import open_store

        store = open_store(db_url(args), reconnect_timeout=args.db_retry_timeout)
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
                return await campaign_command.run(args, client)
            if args.command in ("campaigns", "contact-lists"):
                return await manage_command.run(args, client, reporter)
            if args.command == "check":
                return await check_command.run(args, client)
            if args.command == "report":
                return await report_command.run(args, client)
            if args.command == "sync":
                return await sync_command.run(args, client, reporter, store)
            if args.what == "all-campaign-contacts":
                return await export_command.run_all(args, client, reporter)
            return await export_command.run(args, client, reporter)
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
            return emulator_command.run(args)
        except KeyboardInterrupt:
            return EXIT_OK
        except KoreCampaignError as exc:
            print(f"korecampaign: error: {exc}", file=sys.stderr)
            return exit_code(exc)
    try:
        code = asyncio.run(_main_async(args))
        sys.stdout.flush()  # a reader that left after the last write shows here
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"korecampaign: interrupted{after_interrupt(args)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KoreCampaignError as exc:
        print(redact(f"korecampaign: error: {exc}"), file=sys.stderr)
        return exit_code(exc)
    except OSError as exc:  # a local failure the commands did not name (a file, a socket): one line
        reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
        where = f"{exc.filename}: " if isinstance(exc.filename, str) else ""
        print(redact(f"korecampaign: error: {where}{reason}"), file=sys.stderr)
        return EXIT_LOCAL

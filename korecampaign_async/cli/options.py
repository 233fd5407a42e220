"""Options shared by several commands (connection, throughput, output; export; campaign
filters) and the argument types that check values as they are parsed."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..models.checks import MAX_UNDOCUMENTED_PAGE_SIZE

__all__ = [
    "CommonOptions",
    "campaign_filters",
    "campaign_query",
    "connection_options",
    "duration_arg",
    "export_options",
    "positive_int",
    "split",
]


@dataclass(frozen=True)
class CommonOptions:
    """The parent parsers commands share: connection/throughput/output, and export options."""

    connection: argparse.ArgumentParser
    export: argparse.ArgumentParser


def connection_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("connection (flags override --env-file, which overrides the environment)")
    g.add_argument("--host", help="API base URL, e.g. https://platform.kore.ai [KORE_HOST]")
    g.add_argument("--stream-id", help="bot / stream id st-... [KORE_STREAM_ID]")
    g.add_argument("--account-id", help="account id [KORE_ACCOUNT_ID]")
    g.add_argument(
        "--iid",
        help="iid header, the application id (default: the stream id; required with --api contact-center) [KORE_IID]",
    )
    g.add_argument(
        "--api",
        help="which documented API to speak: v2 (Campaign Management API v2, the default) or contact-center "
        "(the agentassist v1 pages) [KORE_API]",
    )
    g.add_argument(
        "--api-edition",
        help="with --api contact-center: auto (learned, the default), iid (current pages) or stream (older pages) "
        "[KORE_API_EDITION]",
    )
    g.add_argument("--client-id", help="app client id cs-... [KORE_CLIENT_ID]")
    g.add_argument("--client-secret", help="app client secret; prefer the env var [KORE_CLIENT_SECRET]")
    g.add_argument("--token", help="a ready-made JWT instead of id + secret [KORE_TOKEN]")
    g.add_argument("--env-file", help="read KORE_* settings from this dotenv file")
    t = p.add_argument_group("throughput")
    t.add_argument("--concurrency", type=positive_int, default=8, help="requests in flight (default 8)")
    t.add_argument(
        "--page-size",
        type=_page_size,
        default="auto",
        help="records per request: auto (default: the documented 100 for campaign contacts; 1000 asked, then "
        "what the server honours, where no maximum is documented) or 1-10000 (campaign contacts: at most 100)",
    )
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


def export_options() -> argparse.ArgumentParser:
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


def campaign_filters(p: argparse.ArgumentParser, *, type_required: bool = True) -> None:
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


positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)


def _page_size(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    value = positive_int(text)
    if value > MAX_UNDOCUMENTED_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"allowed auto or 1 to {MAX_UNDOCUMENTED_PAGE_SIZE}, got {value}")
    return value


def duration_arg(text: str) -> float:
    """An argparse type: a duration such as ``24h``, ``30m``, ``90s`` or ``3600`` (seconds)."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    value = text.strip().lower()
    scale = units.get(value[-1:])
    number = value[:-1] if scale is not None else value
    try:
        seconds = float(number) * (scale or 1.0)
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise argparse.ArgumentTypeError(f"expected a duration such as 24h, 30m, 90s or 0, got {text!r}")
    return seconds


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def split(values: Sequence[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for chunk in values for v in chunk.split(",") if v.strip()]


def campaign_query(args: argparse.Namespace) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if args.status:
        filters["status"] = split(args.status)
    if args.priority:
        filters["priority"] = split(args.priority)
    if args.dialing_mode:
        filters["dialingMode"] = split(args.dialing_mode)
    return {
        "type": args.type,
        "filters": filters or None,
        "sort_by": args.sort,
        "start_date": args.since,
        "end_date": args.until,
    }

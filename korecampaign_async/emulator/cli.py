"""The emulator's command line: ``python -m korecampaign_async.emulator`` and
``korecampaign emulator`` share these options."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from ..ratelimit.windows import parse_windows
from ..transport.flavour import API_NAMES, EDITION_NAMES
from .config import PAGING_MODES, EmulatorConfig
from .data import campaign_id, contact_list_id
from .server import run_emulator

__all__ = [
    "CONTACT_CENTER_IID",
    "add_emulator_arguments",
    "build_parser",
    "config_from_args",
    "flavour_config",
    "main",
    "serve_forever",
]

#: The application id a Contact Center emulator serves by default: another id than the
#: stream id, so that a request addressed with the wrong one is refused, as it would be.
CONTACT_CENTER_IID = "st-emulator-app-0001"


def build_parser(prog: str = "python -m korecampaign_async.emulator") -> argparse.ArgumentParser:
    """The emulator's command-line options (shared with ``korecampaign emulator``)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a local emulator of the Kore.ai Campaign Management API v2.",
        epilog="example: %(prog)s --port 8080 --contacts 100000 --latency-ms 50 --fault-rate 0.05",
    )
    add_emulator_arguments(parser)
    return parser


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator options to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (0 = any free port; default 8080)")
    parser.add_argument("--stream-id", default="st-emulator-0001", help="the bot id served (default st-emulator-0001)")
    parser.add_argument("--campaigns", type=int, default=20, help="number of campaigns (default 20)")
    parser.add_argument("--contacts", type=int, default=10_000, help="contact-status rows per voice campaign")
    parser.add_argument("--contact-lists", type=int, default=5, help="number of contact lists")
    parser.add_argument("--list-contacts", type=int, default=10_000, help="contacts per contact list")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="time from a request's arrival to its answer")
    parser.add_argument(
        "--uvloop",
        action="store_true",
        help="serve on uvloop (installed by the 'bench' extra): less per-request overhead of its own",
    )
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="random extra latency, 0..N ms")
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="fraction of requests that fail, split evenly between 429, 503, dropped connection, malformed body",
    )
    parser.add_argument("--fault-429", type=float, default=None, help="fraction answered 429 (overrides --fault-rate)")
    parser.add_argument("--fault-5xx", type=float, default=None, help="fraction answered 503 (overrides --fault-rate)")
    parser.add_argument("--fault-drop", type=float, default=None, help="fraction of dropped connections")
    parser.add_argument("--fault-malformed", type=float, default=None, help="fraction of truncated bodies")
    parser.add_argument("--retry-after", type=float, default=0.05, help="Retry-After seconds sent with injected 429s")
    parser.add_argument("--rate-limit", default=None, help="rolling windows such as 600/60s,18000/1h (or a preset)")
    parser.add_argument(
        "--rate-limit-key",
        choices=("stream", "account"),
        default="stream",
        help="count the limit per stream or per account",
    )
    parser.add_argument(
        "--no-retry-after",
        action="store_true",
        help="answer rate-limit 429s without a Retry-After header (as Kore documents them)",
    )
    parser.add_argument(
        "--paging",
        choices=PAGING_MODES,
        default="page",
        help="how page and skip map to an offset when both are sent: page wins (default), skip wins, "
        "skip only, additive (skip counts from the page's start), or none (both ignored)",
    )
    parser.add_argument(
        "--echo",
        choices=("effective", "request", "none"),
        default="effective",
        help="what responses echo as skip/page: the offset used (default), the values sent, or nothing",
    )
    parser.add_argument(
        "--overcount",
        type=int,
        default=0,
        help="totalResults counts N rows more than are served (totalPages follows the served rows)",
    )
    parser.add_argument(
        "--generation",
        type=int,
        default=0,
        help="start with the data moved forward N steps (outcomes filled in, campaigns completed); "
        "POST /_emulator/advance?steps=N moves it further while serving",
    )
    parser.add_argument(
        "--state-file", help="keep what writes create (campaigns, lists, contacts, runs) in this JSON file"
    )
    parser.add_argument(
        "--run-seconds", type=float, default=20.0, help="a started campaign dials all its contacts in this time"
    )
    parser.add_argument(
        "--import-delay",
        type=float,
        default=0.0,
        help="added contacts ('queued for addition') appear this many seconds after the call (default 0)",
    )
    parser.add_argument(
        "--api",
        choices=API_NAMES,
        default="v2",
        help="serve the Campaign API v2 (default) or the Contact Center (agentassist v1) pages",
    )
    parser.add_argument(
        "--api-edition",
        choices=EDITION_NAMES,
        default="iid",
        help="with --api contact-center: the current pages (application id in the path, iid/accountId headers; "
        "default) or the older ones (stream id in the path, ?accountId=)",
    )
    parser.add_argument(
        "--iid",
        default=None,
        help=f"the application id (default: the stream id; {CONTACT_CENTER_IID} with --api contact-center)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic data and faults")
    parser.add_argument("--page-cache", type=int, default=2048, help="encoded pages kept in memory (0 = none)")
    parser.add_argument(
        "--max-limit",
        type=int,
        default=1000,
        help="the ceiling of `limit` on the endpoints that document none (list campaigns, a list's contacts; "
        "default 1000); the contact-status endpoint takes 1..100 as documented",
    )
    parser.add_argument(
        "--limit-policy",
        choices=("serve", "cap", "reject"),
        default="serve",
        help="what those endpoints do with a larger `limit`: serve it (default), cap it at --max-limit rows "
        "(totals in that size), or reject it with a 400 naming `limit`",
    )


def flavour_config(api: str, edition: str, iid: str | None = None) -> dict[str, Any]:
    """The :class:`EmulatorConfig` settings of ``--api``, ``--api-edition`` and ``--iid``: a
    Contact Center emulator serves :data:`CONTACT_CENTER_IID` unless told another id."""
    if api != "contact-center":
        return {"iid": iid} if iid else {}
    return {"api": api, "edition": edition, "iid": iid or CONTACT_CENTER_IID}


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """Turn parsed emulator options into an :class:`EmulatorConfig`."""
    share = args.fault_rate / 4
    if args.rate_limit:
        parse_windows(args.rate_limit)  # fail early with a clear message
    return EmulatorConfig(
        stream_id=args.stream_id,
        **flavour_config(args.api, args.api_edition, args.iid),
        campaigns=args.campaigns,
        contacts=args.contacts,
        contact_lists=args.contact_lists,
        list_contacts=args.list_contacts,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        fault_429=share if args.fault_429 is None else args.fault_429,
        fault_5xx=share if args.fault_5xx is None else args.fault_5xx,
        fault_drop=share if args.fault_drop is None else args.fault_drop,
        fault_malformed=share if args.fault_malformed is None else args.fault_malformed,
        retry_after=args.retry_after,
        rate_limit=args.rate_limit,
        rate_limit_key=args.rate_limit_key,
        rate_limit_retry_after=not args.no_retry_after,
        paging=args.paging,
        echo=args.echo,
        overcount=args.overcount,
        generation=args.generation,
        state_file=args.state_file,
        run_seconds=args.run_seconds,
        import_delay=args.import_delay,
        seed=args.seed,
        page_cache=args.page_cache,
        max_limit=args.max_limit,
        limit_policy=args.limit_policy,
    )


async def serve_forever(config: EmulatorConfig, host: str, port: int, *, announce: bool = True) -> None:
    """Serve until cancelled, printing how to point the SDK and CLI here."""
    async with run_emulator(config, host=host, port=port) as emu:
        if announce:
            print(f"Kore.ai Campaign API emulator listening on {emu.url}", flush=True)
            print("Point the CLI or SDK at it with:", flush=True)
            for key, value in emu.env().items():
                print(f"  export {key}={value}", flush=True)
            ids = ", ".join(campaign_id(i) for i in range(0, min(config.campaigns, 6), 2))
            print(f"Voice campaigns: {ids} ...; contact lists: {contact_list_id(0)} ...", flush=True)
        await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m korecampaign_async.emulator``."""
    args = build_parser().parse_args(argv)
    with suppress(KeyboardInterrupt):
        serve = serve_forever(config_from_args(args), args.host, args.port)
        if args.uvloop:
            import uvloop  # optional: the "bench" extra installs it

            uvloop.run(serve)
        else:
            asyncio.run(serve)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

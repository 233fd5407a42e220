"""``korecampaign demo``: an export (or, with ``--db``, three syncs) against an embedded
emulator: no credentials, no network, compared with fetching one page at a time."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any

from .._redact import mask_url
from ..client import KoreCampaignClient
from ..export import export_to_file, infer_format
from ..models.records import CampaignContact
from ..transport.flavour import API_NAMES, EDITION_NAMES
from .exit_codes import EXIT_DATA, EXIT_OK
from .options import CommonOptions, positive_int
from .reporter import Reporter, pace
from .sync_command import summary

__all__ = ["add_parser", "run"]


async def _run_demo_sync(args: argparse.Namespace) -> int:
    """``korecampaign demo --db URL``: three syncs against the embedded emulator."""
    from ..emulator import EmulatorConfig, contact_list_id, run_emulator
    from ..emulator.cli import flavour_config
    from ..stores import open_store
    from ..sync import sync

    config = EmulatorConfig(
        campaigns=8,
        contacts=max(1, args.contacts // 4),
        latency_ms=args.latency_ms / 10,
        list_contacts=1_000,
        **flavour_config(args.api, args.api_edition),
    )
    print(
        f"Syncing the embedded emulator into {mask_url(args.db)} three times (the data moves between runs)...",
        flush=True,
    )
    store = open_store(args.db)
    await store.open()
    try:
        async with (
            run_emulator(config) as emu,
            KoreCampaignClient(**emu.client_kwargs(max_concurrency=args.concurrency)) as client,
        ):
            for title, advance in (
                ("first sync: everything is new", False),
                ("after outcomes filled in and campaigns completed", True),
                ("nothing changed since: only the list requests are spent", False),
            ):
                if advance:
                    emu.advance()
                report = await sync(client, store, contact_lists=[contact_list_id(0)])
                print(f"\n{title}\n{summary(report)}", flush=True)
    finally:
        await store.close()
    return EXIT_OK


async def _lifecycle(client: KoreCampaignClient) -> list[str]:
    """A campaign's life through the SDK, in the client's flavour: a contact list created and
    filled (queued adds, read back), a voice campaign created on it, started, watched until
    it completes, its contacts read, then both deleted."""
    from ..models.records import CallerId, CallingDay, CallingHours, DialingStrategy, DncList
    from ..models.writes import ContactListSpec, VoiceCampaignSpec

    t0 = time.perf_counter()
    before = client.stats.requests
    name = f"Demo list {os.getpid()}"
    created = await client.contact_lists.create(ContactListSpec(name=name, description="korecampaign demo"))
    rows = [{"phoneNumber": f"+1484650{n:04d}", "firstName": f"Demo {n}"} for n in range(50)]
    report = await client.contact_lists.import_contacts(name, rows, batch_size=25, verify=True)
    cc = client.api == "contact-center"
    spec = VoiceCampaignSpec(
        name=f"Demo campaign {os.getpid()}",
        description="korecampaign demo",
        contact_lists=[name],
        dnc_lists=None if cc else DncList(name="DNC list"),  # the v1 pages take none; v2 needs one
        priority="3",
        dialing_mode="Agentless",
        dialing_strategy=DialingStrategy(
            caller_id=CallerId(phone_number="+14846500000"),
            calling_hours=CallingHours(
                frequency="WEEKLY",
                timezone="UTC",
                days=[CallingDay(day=d, start="9:00 AM", end="6:00 PM") for d in ("MO", "TU", "WE", "TH", "FR")],
            ),
            dialing_order="FIFO",
            max_attempts_per_record=2,
            default_retry_period=10,
            max_ring_time=30,
        ),
        experience_flow_name="Demo flow",
        enable_machine_detect=False if cc else "no",  # a boolean on the v1 pages, no/detect/disconnect in v2
    )
    campaign = await client.campaigns.create(spec)
    assert campaign.id is not None
    await client.campaigns.wait(campaign.id, until={"Ready"}, poll=0.1)
    started = await client.campaigns.start(campaign.id, type="voice")
    done = await client.campaigns.wait(campaign.id, poll=0.2, max_poll=0.5)
    dialled = await client.iter_campaign_contacts(campaign.id).collect()
    await client.campaigns.delete(campaign.id, type="voice", confirm=True)
    await client.contact_lists.delete(created.id or name, confirm=True)
    where = f"{client.api}" + (f", {client.edition} edition" if client.edition else "")
    return [
        f"  lifecycle ({where})  list created, {report.accepted} contacts imported"
        f" ({'read back' if report.verified else 'NOT read back'}), campaign created, {started.status},"
        f" {done.status}, {len(dialled)} contacts dialled, both deleted:"
        f" {client.stats.requests - before} requests in {time.perf_counter() - t0:.1f} s",
    ]


async def run(args: argparse.Namespace) -> int:
    from ..emulator import EmulatorConfig, campaign_id, contact_list_id, run_emulator
    from ..emulator.cli import flavour_config

    if args.db:
        return await _run_demo_sync(args)

    err = sys.stderr
    config = EmulatorConfig(
        campaigns=4,
        contacts=args.contacts,
        latency_ms=args.latency_ms,
        jitter_ms=args.latency_ms / 5,
        contact_lists=1,
        list_contacts=args.contacts,
        paging=args.paging or "page",
        overcount=args.overcount,
        rate_limit=args.rate_limit,
        rate_limit_retry_after=not args.no_retry_after,
        run_seconds=1.0,
        prepare_seconds=0.2,
        **flavour_config(args.api, args.api_edition),
    )
    flavour = f" (Contact Center pages, {args.api_edition} edition)" if args.api == "contact-center" else " (API v2)"
    print(
        f"Starting the local Kore.ai Campaign API emulator{flavour}: {args.contacts:,} contacts, "
        f"{args.latency_ms:g} ms latency (+ up to {args.latency_ms / 5:g} ms jitter)...",
        file=err,
        flush=True,
    )
    out = args.out or os.path.join(tempfile.mkdtemp(prefix="korecampaign-demo-"), "contacts.jsonl")
    async with (
        run_emulator(config) as emu,
        KoreCampaignClient(**emu.client_kwargs(max_concurrency=args.concurrency)) as client,
    ):
        cid = campaign_id(0)
        # Baseline: what a hand-written loop does, one page after another.
        sample = min(args.baseline_pages, max(1, args.contacts // 100))
        t0 = time.perf_counter()
        for page in range(1, sample + 1):
            await client.get_campaign_contacts(campaign_id(2), page=page)  # same size, another campaign
        per_page = (time.perf_counter() - t0) / sample
        baseline_requests = client.stats.requests
        reporter = Reporter(quiet=args.quiet, json_log=args.json_log, client=client)
        reporter.start(f"export {cid}")
        try:
            result = await export_to_file(
                lambda start: client.iter_campaign_contacts(cid, start_page=start),
                out,
                infer_format(out),
                CampaignContact,
                {"endpoint": "campaign-contacts", "id": cid},
                on_progress=reporter.progress,
            )
        finally:
            reporter.stop()
        shortfall = client.stats.shortfall
        requests = client.stats.requests - baseline_requests
        reading_line = ""
        exact = True
        if args.paging:
            # the reading matters to the endpoints that take page and skip: show it on a contact list
            t1 = time.perf_counter()
            list_stream = client.iter_contact_list(contact_list_id(0))
            listed = [c.id async for c in list_stream]
            exact = listed == [emu.list_contact(0, r)["_id"] for r in range(args.contacts)]
            reading_line = (
                f"  page/skip         server reading '{args.paging}' -> client reads it as "
                f"'{list_stream.reading}': {len(listed):,} contacts in {time.perf_counter() - t1:.2f} s, "
                + ("every one once, in order" if exact else "MISMATCH")
            )
        lifecycle = await _lifecycle(client) if args.lifecycle or args.api == "contact-center" else []
        pages = result.pages
        sequential = per_page * pages
        speedup = sequential / result.elapsed if result.elapsed > 0 else float("inf")
        duplicates = emu.stats.duplicate_pages()
    print(
        "\n".join(
            [
                "",
                "korecampaign demo: done",
                f"  rows written      {result.rows:,} (expected {args.contacts:,})",
                f"  file              {result.path}",
                f"  elapsed           {result.elapsed:.2f} s",
                f"  records/s         {result.rows_per_second:,.0f}",
                f"  requests          {requests:,} for {pages:,} pages (0 wasted)"
                if requests == pages
                else f"  requests          {requests:,} for {pages:,} pages",
                f"  one page at a time  {per_page * 1000:.1f} ms/page measured over {sample} pages "
                f"-> {sequential:.1f} s for this export",
                f"  speed-up          {speedup:.1f}x with max_concurrency={args.concurrency}",
            ]
            + ([reading_line] if reading_line else [])
            + lifecycle
            + (
                [f"  shortfall         totalResults counted {shortfall:,} rows the server never served (reported)"]
                if shortfall
                else []
            )
            + (
                [f"  rate budget       {client.stats.throttled} 429s, {client.stats.holds} holds, pace {learned}"]
                if (learned := pace(client.stats)) and client.stats.throttled
                else []
            )
        ),
        flush=True,
    )
    if lifecycle and ", 50 contacts dialled" not in lifecycle[0]:
        print("demo check failed: the campaign did not dial every imported contact", file=err)
        return EXIT_DATA
    if result.rows != args.contacts or any(k[1] == cid for k in duplicates) or not exact:
        print("demo check failed: rows missing or pages fetched twice", file=err)
        return EXIT_DATA
    return EXIT_OK


def add_parser(sub: Any, common: CommonOptions) -> None:
    """Add this command to ``korecampaign``'s subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "demo",
        formatter_class=raw,
        help="export from an embedded emulator: no credentials, no network",
        description="Start the emulator in-process, export a campaign's contacts with a live progress bar, and "
        "compare with fetching one page at a time.",
        epilog="example:\n  korecampaign demo --contacts 200000 --latency-ms 50 --concurrency 32",
    )
    p.add_argument("--contacts", type=positive_int, default=100_000, help="contacts to export (default 100000)")
    p.add_argument("--latency-ms", type=float, default=50.0, help="emulated server latency (default 50)")
    p.add_argument("--concurrency", type=positive_int, default=16, help="requests in flight (default 16)")
    p.add_argument("--baseline-pages", type=positive_int, default=10, help="pages fetched one by one for the baseline")
    p.add_argument("--out", help="output file (default: a new temp directory)")
    p.add_argument(
        "--db",
        help="show `korecampaign sync` instead: sync into this database (e.g. sqlite:///demo.db), move the data "
        "forward, and sync again",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json-log", action="store_true", help="machine-readable progress lines on stderr")
    p.add_argument(
        "--api",
        choices=API_NAMES,
        default="v2",
        help="serve and speak the Campaign API v2 (default) or the Contact Center (agentassist v1) pages; "
        "contact-center also runs the lifecycle",
    )
    p.add_argument(
        "--api-edition",
        choices=EDITION_NAMES,
        default="iid",
        help="with --api contact-center: the emulator serves the current pages (iid, default) or the older ones "
        "(stream); the client learns which",
    )
    p.add_argument(
        "--lifecycle",
        action="store_true",
        help="after the export: create a list, import into it, create, start and watch a campaign, delete both",
    )
    g = p.add_argument_group("how the emulated server reads the docs (see docs/api-notes.md)")
    g.add_argument(
        "--paging",
        choices=("page", "skip-wins", "skip", "additive", "none"),
        help="the server's page/skip reading; also exports a contact list to show the client learning it",
    )
    g.add_argument("--overcount", type=int, default=0, help="totalResults counts N rows the server never serves")
    g.add_argument("--rate-limit", help="rolling windows the server enforces, e.g. 20/2s,60/20s")
    g.add_argument("--no-retry-after", action="store_true", help="rate-limit 429s carry no Retry-After")

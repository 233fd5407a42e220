"""An event-driven export worker: jobs in, JSON Lines files out, graceful on SIGTERM.

A producer puts "export campaign X" jobs on an ``asyncio.Queue``; ``--workers`` consumers
take them and export each campaign's contacts to ``OUT_DIR/<campaign id>.jsonl`` through
**one** shared client, so every export draws from the same concurrency and rate budget.
Exports are checkpointed: after SIGTERM (or a crash) the same command resumes each
unfinished file where it stopped.

Against the embedded emulator (no credentials needed)::

    python examples/worker.py --emulator --out-dir exports/

Against Kore.ai, with the ``KORE_*`` environment variables set::

    python examples/worker.py --out-dir exports/ cd-aaa cd-bbb cd-ccc

The same handler runs under arq (a Redis job queue) in ``examples/arq_worker.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from korecampaign_async import KoreCampaignClient, RateLimit
from korecampaign_async.export import ExportResult, export_to_file
from korecampaign_async.models.records import CampaignContact


@dataclass(frozen=True)
class ExportJob:
    """One unit of work: export the contacts of one voice campaign."""

    campaign_id: str


async def handle_export(client: KoreCampaignClient, job: ExportJob, out_dir: Path) -> ExportResult:
    """Export one campaign to ``out_dir/<id>.jsonl``, resuming a checkpoint if one exists."""
    target = out_dir / f"{job.campaign_id}.jsonl"
    checkpoint = Path(str(target) + ".checkpoint.json")
    return await export_to_file(
        lambda start: client.iter_campaign_contacts(job.campaign_id, start_page=start, prefetch=2),
        str(target),
        "jsonl",
        CampaignContact,
        {"endpoint": "campaign-contacts", "id": job.campaign_id, "page_size": client.page_size},
        resume=checkpoint.exists(),
    )


async def consume(name: str, queue: asyncio.Queue[ExportJob | None], client: KoreCampaignClient, out_dir: Path) -> None:
    """Take jobs until the ``None`` sentinel; report each as one JSON line on stdout."""
    while (job := await queue.get()) is not None:
        try:
            result = await handle_export(client, job, out_dir)
            print(json.dumps({"worker": name, "campaign": job.campaign_id, "rows": result.rows}), flush=True)
        except asyncio.CancelledError:
            print(json.dumps({"worker": name, "campaign": job.campaign_id, "status": "interrupted"}), flush=True)
            raise
        except Exception as exc:  # one bad campaign must not stop the worker
            print(json.dumps({"worker": name, "campaign": job.campaign_id, "error": str(exc)}), flush=True)
        finally:
            queue.task_done()
    queue.task_done()


async def produce(queue: asyncio.Queue[ExportJob | None], campaign_ids: Sequence[str], workers: int) -> None:
    """Feed jobs (a real worker would read them from a broker or webhook), then one stop sentinel per worker."""
    for cid in campaign_ids:
        await queue.put(ExportJob(cid))
    for _ in range(workers):
        await queue.put(None)


async def run(client: KoreCampaignClient, campaign_ids: Sequence[str], out_dir: Path, workers: int) -> int:
    """Run producer and consumers until all jobs are done or SIGTERM/SIGINT arrives."""
    out_dir.mkdir(parents=True, exist_ok=True)
    queue: asyncio.Queue[ExportJob | None] = asyncio.Queue(maxsize=workers * 2)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(consume(f"w{i}", queue, client, out_dir)) for i in range(workers)]
    tasks.append(asyncio.create_task(produce(queue, campaign_ids, workers)))
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([asyncio.gather(*tasks), stopper], return_when=asyncio.FIRST_COMPLETED)
    if stopper in done:
        print(json.dumps({"event": "shutdown", "reason": "signal"}), file=sys.stderr, flush=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return 0
    stopper.cancel()
    print(json.dumps({"event": "done", "stats": client.stats.as_dict()}), file=sys.stderr, flush=True)
    return 0


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("campaign_ids", nargs="*", help="campaigns to export (default with --emulator: all voice ones)")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=4, help="exports running at once")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight, shared by all workers")
    parser.add_argument("--rate-limit", help="shared budget, e.g. 600/60s,18000/1h")
    parser.add_argument("--emulator", action="store_true", help="start an embedded emulator and export from it")
    parser.add_argument("--campaigns", type=int, default=8, help="emulator campaigns")
    parser.add_argument("--contacts", type=int, default=20_000, help="emulator contacts per voice campaign")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="emulator latency")
    args = parser.parse_args(argv)
    options = {"max_concurrency": args.concurrency}
    if args.rate_limit:
        options["rate_limit"] = RateLimit.parse(args.rate_limit)  # type: ignore[assignment]
    if not args.emulator:
        async with KoreCampaignClient.from_env(**options) as client:
            return await run(client, args.campaign_ids, args.out_dir, args.workers)
    from korecampaign_async.emulator import EmulatorConfig, campaign_id, run_emulator

    config = EmulatorConfig(campaigns=args.campaigns, contacts=args.contacts, latency_ms=args.latency_ms)
    ids = args.campaign_ids or [campaign_id(i) for i in range(0, args.campaigns, 2)]
    async with run_emulator(config) as emu, KoreCampaignClient(**emu.client_kwargs(**options)) as client:
        return await run(client, ids, args.out_dir, args.workers)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))

"""Exports as arq jobs (a Redis job queue) under one Redis-shared rate budget.

Start as many of these workers as you like, on as many hosts: they take "export campaign X"
jobs from the same Redis queue, and every request they send draws from one rolling budget
(:class:`korecampaign_async.RedisRateLimit`), so the fleet scales without overrunning
Kore.ai's limits. Each export is checkpointed, so a job retried after a crash resumes.

Against the emulator (needs ``redis-server`` and ``pip install arq 'korecampaign-async[redis]'``)::

    redis-server --port 6379 --save '' &
    korecampaign emulator --port 8080 --contacts 50000 --rate-limit 600/60s,18000/1h &
    export KORE_HOST=http://127.0.0.1:8080 KORE_STREAM_ID=st-emulator-0001 KORE_ACCOUNT_ID=acc-emulator-0001 \\
           KORE_CLIENT_ID=cs-emulator-client KORE_CLIENT_SECRET=emulator-only-secret-not-a-real-credential
    export KORE_REDIS_URL=redis://127.0.0.1:6379/0 KORE_RATE_LIMIT=600/60s,18000/1h
    python examples/arq_worker.py enqueue cd-emu-000000 cd-emu-000002 cd-emu-000004 --out-dir exports/
    python examples/arq_worker.py worker            # start more of these to scale out; --burst exits when idle
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any, ClassVar

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import run_worker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from worker import ExportJob, handle_export

from korecampaign_async import KoreCampaignClient, RedisRateLimit
from korecampaign_async.ratelimit.windows import parse_windows

REDIS_URL = os.environ.get("KORE_REDIS_URL", "redis://127.0.0.1:6379/0")


async def startup(ctx: dict[str, Any]) -> None:
    """One client per worker process, its budget shared through Redis with every other worker."""
    windows = parse_windows(os.environ.get("KORE_RATE_LIMIT", "runtime"))
    budget = RedisRateLimit(REDIS_URL, windows=windows)
    ctx["client"] = KoreCampaignClient.from_env(rate_limit=budget, max_concurrency=8)


async def shutdown(ctx: dict[str, Any]) -> None:
    client: KoreCampaignClient = ctx["client"]
    await client.close()
    if isinstance(client.rate_limit, RedisRateLimit):
        await client.rate_limit.close()


async def export_campaign(ctx: dict[str, Any], campaign_id: str, out_dir: str) -> dict[str, Any]:
    """The arq job: export one campaign's contacts to ``out_dir/<id>.jsonl``."""
    result = await handle_export(ctx["client"], ExportJob(campaign_id), Path(out_dir))
    return {"campaign_id": campaign_id, "rows": result.rows, "file": result.path}


class WorkerSettings:
    """``arq``'s worker configuration (also usable as ``arq arq_worker.WorkerSettings``)."""

    functions: ClassVar[list[Any]] = [export_campaign]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    max_jobs = 4
    job_timeout = 6 * 3600  # a big export under a 1,800/h budget takes hours


async def enqueue(campaign_ids: list[str], out_dir: str) -> None:
    redis = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    for cid in campaign_ids:
        job = await redis.enqueue_job("export_campaign", cid, str(Path(out_dir).resolve()), _job_id=f"export:{cid}")
        print(f"queued {cid}" if job else f"{cid} already queued")
    await redis.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description="Kore.ai campaign exports as arq jobs")
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("enqueue", help="queue export jobs")
    q.add_argument("campaign_ids", nargs="+")
    q.add_argument("--out-dir", default="exports")
    w = sub.add_parser("worker", help="run a worker")
    w.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args()
    if args.command == "enqueue":
        asyncio.run(enqueue(args.campaign_ids, args.out_dir))
        return 0
    run_worker(WorkerSettings, burst=args.burst)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A fleet keeping one PostgreSQL current for many bots: ``korecampaign sync`` as arq jobs.

Each job syncs one bot (its settings in a dotenv file: ``KORE_HOST``, ``KORE_STREAM_ID``,
credentials...) into the database at ``KORE_DB_URL``. Workers on any hosts take jobs from one
Redis queue; each bot's requests draw from that bot's budget, shared through Redis
(:class:`korecampaign_async.RedisRateLimit`, keyed by host and stream id), and different bots
sync into the same database at the same time (syncs of one bot never interleave: the store
holds a PostgreSQL advisory lock per bot). A job retried after a crash resumes exactly: every
page was committed with the run's progress.

Against two emulated bots (needs ``redis-server``, PostgreSQL and
``pip install arq 'korecampaign-async[redis,postgres]'``)::

    korecampaign emulator --port 8081 --stream-id st-bot-a &   # (see tests/test_examples.py)
    python examples/arq_sync.py enqueue bot-a.env bot-b.env
    python examples/arq_sync.py worker        # start more of these to scale out; --burst exits when idle
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any, ClassVar

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import run_worker

from korecampaign_async import KoreCampaignClient, RedisRateLimit, open_store, sync
from korecampaign_async.cli.settings import read_env_file
from korecampaign_async.ratelimit.windows import parse_windows

REDIS_URL = os.environ.get("KORE_REDIS_URL", "redis://127.0.0.1:6379/0")


async def sync_bot(ctx: dict[str, Any], env_file: str) -> dict[str, Any]:
    """The arq job: sync the bot described by ``env_file`` into ``KORE_DB_URL``."""
    settings = {**os.environ, **read_env_file(env_file)}
    windows = parse_windows(settings.get("KORE_RATE_LIMIT", "runtime"))
    budget = RedisRateLimit(REDIS_URL, windows=windows)  # keyed per bot (host + stream id)
    store = open_store(settings["KORE_DB_URL"])
    try:
        async with KoreCampaignClient.from_env(settings, rate_limit=budget) as client:
            report = await sync(client, store, lock_timeout=600)
    finally:
        await store.close()
        await budget.close()
    return report.as_dict()


class WorkerSettings:
    """``arq``'s worker configuration."""

    functions: ClassVar[list[Any]] = [sync_bot]
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    max_jobs = 4
    job_timeout = 6 * 3600


async def enqueue(env_files: list[str]) -> None:
    redis = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    for env_file in env_files:
        path = str(Path(env_file).resolve())
        job = await redis.enqueue_job("sync_bot", path, _job_id=f"sync:{path}")
        print(f"queued {env_file}" if job else f"{env_file} already queued")
    await redis.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description="korecampaign sync of many bots as arq jobs")
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("enqueue", help="queue one sync job per bot")
    q.add_argument("env_files", nargs="+", help="one dotenv file of KORE_* settings per bot")
    w = sub.add_parser("worker", help="run a worker")
    w.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args()
    if args.command == "enqueue":
        asyncio.run(enqueue(args.env_files))
        return 0
    run_worker(WorkerSettings, burst=args.burst)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

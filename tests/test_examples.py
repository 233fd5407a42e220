"""The worker example runs against the emulator and shuts down gracefully on SIGTERM."""

import asyncio
import json
import signal
import sys
import time
from pathlib import Path

import msgspec
import pytest

from korecampaign_async.emulator import Emulator, campaign_id
from korecampaign_async.models.records import CampaignContact

ROOT = Path(__file__).resolve().parent.parent
WORKER = [sys.executable, str(ROOT / "examples" / "worker.py")]


def rows_of(path: Path) -> list[CampaignContact]:
    return [msgspec.json.decode(line, type=CampaignContact) for line in path.read_bytes().splitlines()]


def expected(index: int, count: int) -> list[CampaignContact]:
    return [msgspec.convert(Emulator.status_row(index, r), CampaignContact) for r in range(count)]


async def test_worker_exports_every_job(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *WORKER,
        "--emulator",
        "--campaigns",
        "10",
        "--contacts",
        "1500",
        "--workers",
        "3",
        "--out-dir",
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    reports = [json.loads(line) for line in out.decode().splitlines()]
    assert sorted(r["campaign"] for r in reports) == [campaign_id(i) for i in range(0, 10, 2)]
    assert {r["worker"] for r in reports} <= {"w0", "w1", "w2"} and len({r["worker"] for r in reports}) > 1
    for i in range(0, 10, 2):
        assert rows_of(tmp_path / f"{campaign_id(i)}.jsonl") == expected(i, 1500)
    assert json.loads(err.decode().splitlines()[-1])["stats"]["wasted_requests"] == 0


async def test_worker_sigterm_then_resume(tmp_path: Path) -> None:
    args = [
        "--emulator",
        "--campaigns",
        "4",
        "--contacts",
        "30000",
        "--latency-ms",
        "40",
        "--workers",
        "2",
        "--concurrency",
        "4",
        "--out-dir",
        str(tmp_path),
    ]
    proc = await asyncio.create_subprocess_exec(
        *WORKER, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    checkpoints = [tmp_path / f"{campaign_id(i)}.jsonl.checkpoint.json" for i in (0, 2)]
    deadline = time.monotonic() + 30
    while not all(c.exists() for c in checkpoints):
        assert time.monotonic() < deadline and proc.returncode is None
        await asyncio.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    start = time.monotonic()
    out, err = await asyncio.wait_for(proc.communicate(), 10)
    assert time.monotonic() - start < 2.0
    assert proc.returncode == 0
    assert '"shutdown"' in err.decode() and '"interrupted"' in out.decode()
    assert all(c.exists() for c in checkpoints)
    proc = await asyncio.create_subprocess_exec(
        *WORKER, *args, "--latency-ms", "0", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    for i in (0, 2):
        assert rows_of(tmp_path / f"{campaign_id(i)}.jsonl") == expected(i, 30000)
    assert not any(c.exists() for c in checkpoints)


@pytest.mark.slow
async def test_arq_fleet_exports_with_a_shared_budget(redis_url: str, tmp_path: Path) -> None:
    """Two arq workers (burst mode) drain the same queue, sharing one Redis budget."""
    import os

    from korecampaign_async.emulator import EmulatorConfig, run_emulator

    async with run_emulator(EmulatorConfig(campaigns=8, contacts=3000, rate_limit="30/1s")) as emu:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")} | emu.env()
        env |= {"KORE_REDIS_URL": redis_url, "KORE_RATE_LIMIT": "30/1s"}
        script = str(ROOT / "examples" / "arq_worker.py")
        ids = [campaign_id(i) for i in range(0, 8, 2)]
        enq = await asyncio.create_subprocess_exec(
            sys.executable,
            script,
            "enqueue",
            *ids,
            "--out-dir",
            str(tmp_path),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(enq.communicate(), 30)
        assert enq.returncode == 0, err.decode()
        assert out.decode().count("queued cd-emu-") == 4
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                script,
                "worker",
                "--burst",
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(2)
        ]
        for proc in workers:
            _, err = await asyncio.wait_for(proc.communicate(), 90)
            assert proc.returncode == 0, err.decode()
        for i in range(0, 8, 2):
            assert rows_of(tmp_path / f"{campaign_id(i)}.jsonl") == expected(i, 3000)
        assert emu.stats.throttled == 0
        assert emu.stats.duplicate_pages() == {}


@pytest.mark.slow
async def test_arq_fleet_syncs_two_bots_into_one_postgres(redis_url: str, postgres_url: str, tmp_path: Path) -> None:
    """Two bots, two arq workers, one PostgreSQL: the syncs run at the same time and each bot's
    rows land once, under its own stream_id."""
    import os

    import asyncpg

    from korecampaign_async.emulator import EmulatorConfig, run_emulator

    bots = ("st-bot-a", "st-bot-b")
    async with (
        run_emulator(EmulatorConfig(stream_id=bots[0], campaigns=6, contacts=2_000, latency_ms=5)) as a,
        run_emulator(EmulatorConfig(stream_id=bots[1], campaigns=4, contacts=2_500, latency_ms=5)) as b,
    ):
        env_files = []
        for emu in (a, b):
            path = tmp_path / f"{emu.config.stream_id}.env"
            path.write_text("".join(f"{k}={v}\n" for k, v in emu.env().items()) + "KORE_RATE_LIMIT=200/1s\n")
            env_files.append(str(path))
        env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
        env |= {"KORE_REDIS_URL": redis_url, "KORE_DB_URL": postgres_url}
        script = str(ROOT / "examples" / "arq_sync.py")
        enq = await asyncio.create_subprocess_exec(
            sys.executable, script, "enqueue", *env_files, env=env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await asyncio.wait_for(enq.communicate(), 30)
        assert enq.returncode == 0 and out.decode().count("queued") == 2
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable, script, "worker", "--burst", env=env, stderr=asyncio.subprocess.PIPE
            )
            for _ in range(2)
        ]
        for proc in workers:
            _, err = await asyncio.wait_for(proc.communicate(), 120)
            assert proc.returncode == 0, err.decode()
    conn = await asyncpg.connect(postgres_url)
    try:
        counts = dict(await conn.fetch("SELECT stream_id, count(*) FROM campaign_contacts GROUP BY stream_id"))
        runs = await conn.fetch("SELECT stream_id, status, started_at, finished_at FROM sync_runs ORDER BY stream_id")
    finally:
        await conn.close()
    assert counts == {bots[0]: 3 * 2_000, bots[1]: 2 * 2_500}
    assert [(r["stream_id"], r["status"]) for r in runs] == [(bots[0], "ok"), (bots[1], "ok")]
    first, second = runs
    assert first["started_at"] < second["finished_at"] and second["started_at"] < first["finished_at"], "not concurrent"


@pytest.mark.slow
async def test_lifecycle_worker_from_segment_to_synced_outcomes(tmp_path: Path) -> None:
    """segment file -> list -> import -> campaign -> start -> Completed -> sync, in one command."""
    import csv
    import sqlite3

    segment = tmp_path / "july.csv"
    with segment.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["phoneNumber", "first name"])
        writer.writerows([f"+1888{i:07d}", f"P{i}"] for i in range(300))
        writer.writerow(["not-a-phone", "Bad"])
    db = tmp_path / "outcomes.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "examples" / "lifecycle_worker.py"),
        str(segment),
        "--emulator",
        "--db",
        f"sqlite:///{db}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    steps = {s["step"]: s for s in map(json.loads, out.decode().splitlines())}
    assert list(steps) == ["contact_list", "import", "campaign", "start", "finished", "sync", "done"]
    assert steps["import"]["accepted"] == 300 and steps["import"]["problems"] == 1 and steps["import"]["verified"]
    assert steps["finished"]["status"] == "Completed"
    cid = steps["campaign"]["id"]
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT phone_number, number_of_attempts_so_far FROM campaign_contacts WHERE campaign_id = ?", (cid,)
        ).fetchall()
    assert sorted(p for p, _ in rows) == [f"+1888{i:07d}" for i in range(300)]
    assert all(attempts >= 1 for _, attempts in rows)  # every contact was dialled

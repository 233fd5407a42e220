"""The Redis-shared budget: exact rolling windows across limiters, fallback, and a real
fleet of worker processes."""

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

import msgspec
import pytest

from korecampaign_async import RateLimiterUnavailableError, RedisRateLimit
from korecampaign_async.emulator import Emulator, campaign_id
from korecampaign_async.models.records import CampaignContact

from .conftest import EmulatorFactory, _free_port


def within(times: list[float], limit: int, period: float) -> bool:
    times = sorted(times)
    return all(sum(1 for u in times[i:] if u - t < period) <= limit for i, t in enumerate(times))


@pytest.mark.xdist_group("timing")
async def test_shared_windows_hold_across_limiters(redis_url: str) -> None:
    key = f"test:{uuid.uuid4()}"
    windows = [(10, 0.5), (25, 2.0)]
    limiters = [RedisRateLimit(redis_url, key=key, windows=windows, margin=0.0) for _ in range(4)]
    stamps: list[float] = []

    async def hammer(limiter: RedisRateLimit) -> None:
        for _ in range(10):
            await limiter.acquire()
            stamps.append(time.monotonic())

    start = time.monotonic()
    await asyncio.gather(*(hammer(x) for x in limiters))
    elapsed = time.monotonic() - start
    assert len(stamps) == 40
    assert within(stamps, 10, 0.5 - 0.02) and within(stamps, 25, 2.0 - 0.02)
    assert 2.0 <= elapsed < 4.0  # 25 at once-ish, the last 15 after the 2 s window rolls
    for limiter in limiters:
        await limiter.close()


async def test_unreachable_redis_falls_back_to_a_local_fraction(caplog: pytest.LogCaptureFixture) -> None:
    url = f"redis://127.0.0.1:{_free_port()}/0"
    limiter = RedisRateLimit(url, key="k", windows=[(10, 1.0)], fallback_fraction=0.5)
    start = time.monotonic()
    for _ in range(6):
        await limiter.acquire()
    assert limiter.degraded
    assert time.monotonic() - start >= 0.9  # 5 per second locally: the 6th waited
    assert "unreachable" in caplog.text and "50%" in caplog.text
    await limiter.close()


async def test_unreachable_redis_can_fail_instead() -> None:
    secret_url = f"redis://user:hunter2@127.0.0.1:{_free_port()}/0"
    limiter = RedisRateLimit(secret_url, key="k", windows=[(10, 1.0)], fallback="fail")
    with pytest.raises(RateLimiterUnavailableError, match="unreachable") as err:
        await limiter.acquire()
    assert "hunter2" not in str(err.value) and "hunter2" not in repr(limiter)
    await limiter.close()


def test_default_key_is_host_and_stream() -> None:
    from korecampaign_async import KoreCampaignClient

    per_stream = RedisRateLimit("redis://127.0.0.1:1/0")
    KoreCampaignClient("https://kore.test", "st-9", "acc-1", auth="t", rate_limit=per_stream)
    assert per_stream.key == "korecampaign:ratelimit:https://kore.test:st-9"
    per_account = RedisRateLimit("redis://127.0.0.1:1/0", per="account")
    KoreCampaignClient("https://kore.test", "st-9", "acc-1", auth="t", rate_limit=per_account)
    assert per_account.key == "korecampaign:ratelimit:https://kore.test:st-9:acc-1"


async def run_fleet(emu: Emulator, tmp: Path, extra: list[str]) -> list[int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")} | emu.env()
    procs = []
    for i in range(4):
        out = tmp / f"{campaign_id(2 * i)}.jsonl"
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "korecampaign_async",
                "export",
                "campaign-contacts",
                campaign_id(2 * i),
                "--out",
                str(out),
                "--concurrency",
                "8",
                "--max-retries",
                "30",
                "--json-log",
                *extra,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        )
    codes = []
    for proc in procs:
        _, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, err.decode()
        codes.append(proc.returncode)
    for i in range(4):
        lines = (tmp / f"{campaign_id(2 * i)}.jsonl").read_bytes().splitlines()
        got = [msgspec.json.decode(x, type=CampaignContact) for x in lines]
        assert got == [msgspec.convert(Emulator.status_row(2 * i, r), CampaignContact) for r in range(2000)]
    return codes


@pytest.mark.slow
@pytest.mark.xdist_group("timing")
async def test_fleet_of_processes_shares_one_budget(
    redis_url: str, emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    """4 CLI processes, 80 pages, server limit 20/1s + 50/5s: with one Redis budget every row
    arrives once, the aggregate stays inside every window, and 429s stay <= 1 %. With
    per-process local limiters the same fleet overruns the budget (figures in benchmarks)."""
    spec = "20/1s,50/5s"
    async with emulator_factory(campaigns=8, contacts=2000, rate_limit=spec) as emu:
        key = f"fleet:{uuid.uuid4()}"
        await run_fleet(
            emu, tmp_path / "shared", ["--rate-limit", spec, "--redis-url", redis_url, "--rate-limit-key", key]
        )
        shared_429 = emu.stats.throttled
        arrivals = emu.stats.arrival_times
        # alone: none or one; with the suite's other workers on the same two cores, a starved
        # process can send past the 50 ms margin now and then (the benchmark: 0 429s)
        assert shared_429 <= 0.05 * len(arrivals)
        assert within(arrivals, 20, 0.95) and within(arrivals, 50, 4.95)
    async with emulator_factory(campaigns=8, contacts=2000, rate_limit=spec) as emu:
        await run_fleet(emu, tmp_path / "local", ["--rate-limit", spec])
        local_429 = emu.stats.throttled
    assert local_429 > max(10, 2 * shared_429)
    print(json.dumps({"fleet_429_shared_redis": shared_429, "fleet_429_local_limiters": local_429}))


def test_core_import_does_not_load_redis_or_pyarrow() -> None:
    import subprocess

    code = "import sys, korecampaign_async; print(sorted(m for m in ('redis', 'pyarrow', 'rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_a_redis_outage_is_said_once_however_many_requests_fail(caplog: pytest.LogCaptureFixture) -> None:
    """issue 23.9: eight requests failing together, and each retry of Redis failing the same
    way, print one warning, for a refused connection and for a Redis that hangs."""

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accepts, never answers

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    hung_port = server.sockets[0].getsockname()[1]
    try:
        for url in (f"redis://127.0.0.1:{_free_port()}/0", f"redis://127.0.0.1:{hung_port}/0"):
            caplog.clear()
            limiter = RedisRateLimit(url, key="k", windows=[(1000, 1.0)], reconnect_after=0.05, socket_timeout=0.2)
            await asyncio.gather(*(limiter.acquire() for _ in range(8)))
            await asyncio.sleep(0.06)
            await asyncio.gather(*(limiter.acquire() for _ in range(8)))  # Redis tried again: fails again
            warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
            assert len(warnings) == 1, [r.getMessage() for r in warnings]
            assert limiter.degraded
            await limiter.close()
    finally:
        server.close()


@pytest.mark.slow
@pytest.mark.xdist_group("timing")
async def test_a_fleet_infers_the_windows_from_its_shared_log(
    redis_url: str, emulator_factory: EmulatorFactory
) -> None:
    """issue 22.3, a fleet: three workers sharing one Redis budget whose configured window is
    far too loose, against two hidden windows whose 429s carry no Retry-After. Each worker's own
    log sees a third of the traffic; the shared log sees it all: the windows are inferred from
    it, paced by the shared budget, every row arrives once and 429s stay few."""
    from korecampaign_async import KoreCampaignClient, RetryPolicy
    from korecampaign_async.emulator import campaign_id

    key = f"fleet-infer:{uuid.uuid4()}"
    async with emulator_factory(
        campaigns=12, contacts=3_000, rate_limit="20/1s,60/10s", rate_limit_retry_after=False, latency_ms=5
    ) as emu:
        limiters = [RedisRateLimit(redis_url, key=key, windows=[(1000, 1.0)]) for _ in range(3)]
        clients = [
            KoreCampaignClient(**emu.client_kwargs(rate_limit=lim, retry=RetryPolicy(max_attempts=30), profile=False))
            for lim in limiters
        ]

        async def work(client: KoreCampaignClient, index: int) -> int:
            async with client:
                return len(await client.iter_campaign_contacts(campaign_id(2 * index)).collect())

        rows = await asyncio.gather(*(work(c, i) for i, c in enumerate(clients)))
        assert rows == [3_000] * 3
        learned = [c.transport.concurrency.learned_windows for c in clients]
        # every worker paces by the short window; the long one was learned (by the worker that
        # probed) and published in the shared profile, which the others take at their next hold.
        # The windows are found exactly in the pure tests (test_inference) and the economy
        # benchmark; here four test processes share two cores, and a stall of the event loop that
        # hosts the emulator and the three workers can bunch requests enough to add a short window
        # beside the true ones: tolerated only if it leaves the sustained pace the true windows'.
        assert all((20, 1.0) in w for w in learned) and any((60, 10.0) in w for w in learned), learned
        shared = json.loads(await limiters[0].load_profile() or b"{}")
        windows = [(int(n), float(w)) for n, w in shared["windows"]]
        assert {(20, 1.0), (60, 10.0)} <= set(windows), windows
        assert min(n / w for n, w in windows) == 6.0, windows  # 60 per 10 s: nothing slower
        # a 90-page run is mostly learning (the benchmark's 1,200 pages: see benchmarks/README.md)
        requests = sum(c.stats.requests for c in clients)
        throttled = sum(c.stats.throttled for c in clients)
        assert throttled <= 0.5 * requests, (throttled, requests)
        for lim in limiters:
            await lim.close()


async def test_a_request_and_the_fleets_log_are_read_on_one_clock(redis_url: str) -> None:
    """The time a request was counted at (what a 429 of it is placed at) is the very time the
    fleet's log gives for it: inference compares a refusal with the admissions around it on
    one clock, however late the worker's event loop saw the answer."""
    import time

    limiter = RedisRateLimit(redis_url, key=f"one-clock:{uuid.uuid4()}", windows=[(100, 1.0)])
    try:
        members = [await limiter.acquire() for _ in range(5)]
        assert all(isinstance(m, str) for m in members)
        await asyncio.sleep(0.05)  # a late event loop: the times must not move with it
        log = await limiter.shared_sends(60.0)
        assert log is not None and len(log) == 5
        counted = [limiter.admitted_at(m) for m in members if m is not None]
        assert counted == pytest.approx(log, abs=1e-6)
        assert all(at <= time.monotonic() for at in log)
        assert limiter.admitted_at(members[0] or "") is None  # taken once, by the transport
    finally:
        await limiter.close()

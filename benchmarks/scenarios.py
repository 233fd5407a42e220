"""The benchmark scenarios. Each returns ``{"rows": [...], "targets": [...]}``: measured
figures for the tables and the targets that ``--check`` enforces."""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from korecampaign_async import KoreCampaignClient, RateLimit
from korecampaign_async.cli.check import seconds_for
from korecampaign_async.emulator import Emulator, campaign_id, contact_list_id
from korecampaign_async.models.records import CampaignContact, Envelope, PageData

from . import contenders, economy_bench, export_bench, import_bench, sync_bench
from .harness import EmulatorProcess, Measurement, measure, measure_interleaved

CAMPAIGN = campaign_id(0)


@dataclass
class Profile:
    """Sizes of one benchmark run (``full``, ``quick`` or ``tiny``)."""

    name: str
    runs: int
    sweep_contacts: int
    latencies: list[float]
    concurrencies: list[int]
    cpu_contacts: int
    memory_contacts: int
    faults_contacts: int
    budget_pages: int
    budget_windows: str
    listed_campaigns: int
    exported_campaigns: int
    contacts_each: int
    fleet: bool
    decode_seconds: float = 1.0
    notes: list[str] = field(default_factory=list)
    sync_rows: int = 1_000_000
    export_rows: int = 1_000_000
    import_rows: int = 1_000_000
    #: economy: rows per endpoint (scaled to a million), pages and windows of the no-hint run
    economy_rows: int = 200_000
    economy_pages: int = 1_200
    economy_windows: str = "40/2s,120/20s"


PROFILES = {
    "full": Profile(
        "full",
        3,
        200_000,
        [0, 20, 50, 100],
        [1, 4, 8, 16, 32, 64],
        200_000,
        1_000_000,
        200_000,
        150,
        "20/1s,100/10s",
        1_000,
        100,
        2_000,
        True,
    ),
    "quick": Profile(
        "quick",
        1,
        20_000,
        [0, 50],
        [1, 8, 32],
        50_000,
        200_000,
        20_000,
        60,
        "20/1s,50/5s",
        200,
        20,
        1_000,
        False,
        0.3,
        sync_rows=100_000,
        export_rows=200_000,
        import_rows=100_000,
        economy_rows=50_000,
        economy_pages=300,
        economy_windows="20/1s,60/10s",
    ),
    "tiny": Profile(
        "tiny",
        1,
        2_000,
        [0, 5],
        [1, 4],
        2_000,
        5_000,
        2_000,
        25,
        "10/1s",
        20,
        3,
        300,
        False,
        0.05,
        sync_rows=5_000,
        export_rows=5_000,
        import_rows=5_000,
        economy_rows=2_000,
        economy_pages=60,
        economy_windows="10/0.5s,30/3s",
    ),
}


def target(name: str, value: float | None, goal: float, *, at_least: bool = True, unit: str = "") -> dict[str, Any]:
    """A target for ``--check``: ``value`` compared with ``goal``."""
    ok = value is not None and (value >= goal if at_least else value <= goal)
    return {
        "target": name,
        "value": None if value is None else round(value, 3),
        "goal": goal,
        "comparison": ">=" if at_least else "<=",
        "unit": unit,
        "ok": ok,
    }


# -- latency sweep ------------------------------------------------------------------------------
async def latency_sweep(p: Profile) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    for latency in p.latencies:
        with EmulatorProcess(
            campaigns=2, contacts=p.sweep_contacts, latency_ms=latency, contact_lists=1, list_contacts=p.sweep_contacts
        ) as emu:
            seq = await measure(
                "sequential",
                {"latency_ms": latency, "concurrency": 1},
                p.runs,
                lambda: contenders.sequential(emu, CAMPAIGN),
            )
            gat = await measure(
                "gather-all",
                {"latency_ms": latency, "concurrency": "all"},
                p.runs,
                lambda: contenders.gather_all(emu, CAMPAIGN),
            )
            found = [seq, gat]
            for c in p.concurrencies:
                m = await measure(
                    "korecampaign",
                    {"latency_ms": latency, "concurrency": c},
                    p.runs,
                    lambda c=c: contenders.korecampaign(emu, CAMPAIGN, concurrency=c),
                )  # type: ignore[misc]
                found.append(m)
            if latency == 50 or latency == max(p.latencies):
                cl = await measure(
                    "korecampaign iter_contact_list",
                    {"latency_ms": latency, "concurrency": 8},
                    p.runs,
                    lambda: contenders.korecampaign_contact_list(emu, contact_list_id(0), concurrency=8),
                )
                found.append(cl)
        for m in found:
            row = m.as_dict()
            c = m.params["concurrency"]
            if latency and isinstance(c, int):
                ideal = m.pages * latency / 1000 / c
                row["efficiency"] = round(ideal / m.median, 3)
            row["speedup_vs_sequential"] = round(seq.median / m.median, 2)
            rows.append(row)
            if latency == 50 and m.name == "korecampaign" and isinstance(c, int) and c <= 32:
                targets.append(target(f"efficiency at 50 ms, concurrency {c}", row.get("efficiency"), 0.9))
                targets.append(
                    target(
                        f"speed-up over sequential at 50 ms, concurrency {c} (>= 0.9 x {c})",
                        row["speedup_vs_sequential"],
                        round(0.9 * c, 2),
                    )
                )
    return {"rows": rows, "targets": targets}


# -- CPU ceiling --------------------------------------------------------------------------------
async def cpu_ceiling(p: Profile, out_dir: Path) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    best: dict[str, float] = {}
    with EmulatorProcess(campaigns=2, contacts=p.cpu_contacts, latency_ms=0) as emu:
        # one unmeasured pass fills the emulator's page cache: the first run would otherwise
        # measure the server encoding pages, not the client
        await contenders.floor(emu, CAMPAIGN, concurrency=8)
        for c in (8, 16, 32):
            measured = await measure_interleaved(
                [
                    (name, {"latency_ms": 0, "concurrency": c}, lambda fn=fn, c=c: fn(emu, CAMPAIGN, concurrency=c))
                    for name, fn in (
                        ("korecampaign", contenders.korecampaign),
                        ("korecampaign .pages()", contenders.korecampaign_pages),
                        ("floor", contenders.floor),
                    )
                ],
                max(p.runs, 5) if p.runs >= 3 else p.runs,  # short runs on a shared machine: more of them
            )
            for m in measured:
                row = m.as_dict()
                rows.append(row)
                best[m.name] = max(best.get(m.name, 0.0), row["rows_per_s"])
        pages_ratio = best["korecampaign .pages()"] / best["floor"]
        profiler = cProfile.Profile()
        profiler.enable()
        await contenders.korecampaign(emu, CAMPAIGN, concurrency=16)
        profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(40)
    (out_dir / "cpu-profile.txt").write_text(text.getvalue())
    imp = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import korecampaign_async"],
        capture_output=True,
        text=True,
        check=True,
    )
    (out_dir / "importtime.txt").write_text(imp.stderr)
    last = [line for line in imp.stderr.splitlines() if line.rstrip().endswith("korecampaign_async")]
    import_ms = int(last[-1].split("|")[1]) / 1000 if last else None
    ratio = best["korecampaign"] / best["floor"]
    return {
        "rows": rows,
        "summary": {
            "best_rows_per_s": best,
            "ratio": round(ratio, 3),
            "ratio_pages": round(pages_ratio, 3),
            "import_ms": import_ms,
            "profile": "cpu-profile.txt",
            "importtime": "importtime.txt",
        },
        "targets": [target("CPU ceiling: korecampaign rows/s vs floor (0 ms)", ratio, 0.8)],
    }


# -- decode -------------------------------------------------------------------------------------
def decode_bench(p: Profile) -> dict[str, Any]:
    from dataclasses import dataclass as dc

    page = {
        "status": "success",
        "data": {
            "results": [Emulator.status_row(0, r) for r in range(100)],
            "page": 1,
            "limit": 100,
            "totalPages": 1,
            "totalResults": 100,
        },
    }
    body = msgspec.json.encode(page)

    @dc
    class Row:
        phoneNumber: str
        uniqueId: str
        dialerOutcome: str
        numberOfAttemptsSoFar: int
        botSessionId: str
        agentDispositionCodes: list[str]
        botOutboundStatus: str
        botOutboundStatusDetail: str

    decoder = msgspec.json.Decoder(Envelope[PageData[CampaignContact]])

    def with_msgspec() -> int:
        return len(decoder.decode(body).data.results)

    def with_json_dataclasses() -> int:
        return len([Row(**r) for r in json.loads(body)["data"]["results"]])

    candidates = {"msgspec structs": with_msgspec, "json.loads + dataclasses": with_json_dataclasses}
    try:
        import pydantic

        class PRow(pydantic.BaseModel):
            phoneNumber: str
            uniqueId: str
            dialerOutcome: str
            numberOfAttemptsSoFar: int
            botSessionId: str
            agentDispositionCodes: list[str]
            botOutboundStatus: str
            botOutboundStatusDetail: str

        class PData(pydantic.BaseModel):
            results: list[PRow]

        class PEnvelope(pydantic.BaseModel):
            data: PData

        candidates["pydantic v2 models"] = lambda: len(PEnvelope.model_validate_json(body).data.results)
    except ImportError:
        pass
    rows = []
    rates: dict[str, float] = {}
    for name, fn in candidates.items():
        samples = []
        for _ in range(3):
            n, start = 0, time.perf_counter()
            while time.perf_counter() - start < p.decode_seconds:
                n += fn()
            samples.append(n / (time.perf_counter() - start))
        rates[name] = statistics.median(samples)
        rows.append(
            {"decoder": name, "rows_per_s": round(rates[name]), "min": round(min(samples)), "max": round(max(samples))}
        )
    ratio = rates["msgspec structs"] / rates["json.loads + dataclasses"]
    for row in rows:
        row["vs_json_dataclasses"] = round(row["rows_per_s"] / rates["json.loads + dataclasses"], 2)
    return {"rows": rows, "targets": [target("decode: msgspec vs json.loads + dataclasses", ratio, 3.0)]}


# -- memory -------------------------------------------------------------------------------------
def memory(p: Profile) -> dict[str, Any]:
    rows = []
    series: dict[str, list[list[float]]] = {}
    targets = []
    with EmulatorProcess(campaigns=2, contacts=p.memory_contacts, latency_ms=0, page_cache=0) as emu:
        for contender in ("korecampaign", "gather-all"):
            growths, flats, secs = [], [], []
            for _ in range(p.runs):
                out = subprocess.run(
                    [sys.executable, "-m", "benchmarks.memprobe", emu.url, CAMPAIGN, contender, "32"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                doc = json.loads(out.stdout)
                samples = doc["samples"]
                rss = [r for _, r in samples]
                growths.append(max(rss) - doc["start_rss"])
                half = len(rss) // 2
                quarter = max(1, len(rss) // 4)
                flats.append(max(rss[half:]) - max(rss[quarter:half] or rss[:1]))
                secs.append(doc["seconds"])
                series[contender] = [[t, (r - doc["start_rss"]) / 2**20] for t, r in samples]
                assert doc["rows"] == p.memory_contacts, doc["rows"]
            row = {
                "contender": contender,
                "rows": p.memory_contacts,
                "concurrency": 32 if contender == "korecampaign" else "all",
                "peak_rss_growth_mb": round(statistics.median(growths) / 2**20, 1),
                "min_mb": round(min(growths) / 2**20, 1),
                "max_mb": round(max(growths) / 2**20, 1),
                "growth_second_half_mb": round(statistics.median(flats) / 2**20, 1),
                "seconds": round(statistics.median(secs), 2),
            }
            rows.append(row)
            if contender == "korecampaign":
                targets.append(
                    target(
                        "memory: peak RSS growth streaming", row["peak_rss_growth_mb"], 50, at_least=False, unit="MB"
                    )
                )
                targets.append(
                    target(
                        "memory: RSS flat (growth in the second half)",
                        row["growth_second_half_mb"],
                        10,
                        at_least=False,
                        unit="MB",
                    )
                )
    return {"rows": rows, "series": series, "targets": targets}


# -- faults -------------------------------------------------------------------------------------
async def _checked_export(emu: EmulatorProcess, concurrency: int, expected: int) -> tuple[int, int, dict[str, Any]]:
    async with KoreCampaignClient(**emu.client_kwargs(max_concurrency=concurrency)) as client:
        n = 0
        async for row in client.iter_campaign_contacts(CAMPAIGN):
            if row.unique_id != f"u-0-{n}":
                raise AssertionError(f"row {n} is {row.unique_id}: a record was lost, duplicated or reordered")
            n += 1
        if n != expected:
            raise AssertionError(f"{n} rows instead of {expected}")
        return n, client.stats.pages, client.stats.as_dict()


async def faults(p: Profile) -> dict[str, Any]:
    stats: dict[str, Any] = {}

    async def run(emu: EmulatorProcess, key: str) -> tuple[int, int]:
        rows, pages, s = await _checked_export(emu, 16, p.faults_contacts)
        stats[key] = s
        return rows, pages

    with EmulatorProcess(campaigns=2, contacts=p.faults_contacts, latency_ms=20) as emu:
        clean = await measure(
            "korecampaign, no faults", {"latency_ms": 20, "concurrency": 16}, p.runs, lambda: run(emu, "clean")
        )
    with EmulatorProcess(
        campaigns=2,
        contacts=p.faults_contacts,
        latency_ms=20,
        fault_429=0.05,
        fault_5xx=0.01,
        retry_after=0.05,
        fault_rate=0,
    ) as emu:
        faulty = await measure(
            "korecampaign, 5% 429 + 1% 503", {"latency_ms": 20, "concurrency": 16}, p.runs, lambda: run(emu, "faulty")
        )
    ratio = clean.median / faulty.median
    rows = []
    for m, key in ((clean, "clean"), (faulty, "faulty")):
        row = m.as_dict()
        row["retries"] = sum(stats[key]["retries"].values())
        row["responses"] = stats[key]["responses"]
        row["goodput_vs_fault_free"] = round(clean.median / m.median, 3)
        rows.append(row)
    return {"rows": rows, "targets": [target("faults: goodput vs fault-free (every row exactly once)", ratio, 0.8)]}


# -- budget-bound -------------------------------------------------------------------------------
def ideal_seconds(requests: int, spec: str) -> float:
    """Time a perfect client needs for ``requests`` under rolling ``spec`` (zero latency)."""
    return seconds_for(requests, spec)


async def budget(p: Profile) -> dict[str, Any]:
    spec = p.budget_windows
    contacts = p.budget_pages * 100
    ideal = ideal_seconds(p.budget_pages, spec)
    rows = []
    targets = []
    cases = (
        ("no client limit (learns from 429s)", None, False),
        ("RateLimit = server windows", spec, False),
        ("no client limit, 429s without Retry-After (budget-bound, no hint)", None, True),
    )
    for label, limit, no_hint in cases:
        secs, wasted, throttled = [], [], []
        for _ in range(p.runs):  # a fresh server per run: its windows must start empty
            with EmulatorProcess(
                campaigns=2, contacts=contacts, latency_ms=5, rate_limit=spec, no_retry_after=no_hint
            ) as emu:
                kwargs: dict[str, Any] = {"max_concurrency": 16}
                if limit:
                    kwargs["rate_limit"] = RateLimit.parse(limit)
                async with KoreCampaignClient(**emu.client_kwargs(**kwargs)) as client:
                    start = time.perf_counter()
                    n = len(await client.iter_campaign_contacts(CAMPAIGN).collect())
                    secs.append(time.perf_counter() - start)
                    assert n == contacts
                    wasted.append(client.stats.wasted_requests)
                    throttled.append(client.stats.throttled)
        med = statistics.median(secs)
        row = {
            "client": label,
            "server_windows": spec,
            "pages": p.budget_pages,
            "runs": len(secs),
            "seconds_median": round(med, 2),
            "seconds_min": round(min(secs), 2),
            "seconds_max": round(max(secs), 2),
            "ideal_seconds": round(ideal, 2),
            "goodput_share_of_budget": round(ideal / med, 3) if med else None,
            "requests_wasted": statistics.median(wasted),
            "429s": statistics.median(throttled),
            "refetched_pages": 0,
        }
        rows.append(row)
        row["retry_after"] = "no" if no_hint else "yes"
        if no_hint:
            targets.append(
                target(
                    "budget, no hint: goodput share of the budget (429s without Retry-After)",
                    row["goodput_share_of_budget"],
                    0.7,
                )
            )
        elif limit:
            targets.append(target("budget: 429s with the correct windows configured", row["429s"], 0, at_least=False))
            targets.append(
                target("budget: goodput share of the budget, windows configured", row["goodput_share_of_budget"], 0.85)
            )
        else:
            targets.append(
                target("budget: goodput share of the budget, learning from 429s", row["goodput_share_of_budget"], 0.7)
            )
    return {"rows": rows, "targets": targets}


async def fleet(p: Profile) -> dict[str, Any]:
    """4 CLI processes against one rate-limited emulator: shared Redis budget vs local limiters."""
    server = shutil.which("redis-server")
    if not server:
        return {"rows": [], "skipped": "redis-server not installed (apt-get install redis-server)", "targets": []}
    port = 6400 + os.getpid() % 500
    redis_proc = subprocess.Popen(
        [server, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.3)
    spec = "20/1s,50/5s"
    rows = []
    try:
        for label, extra in (
            (
                "shared RedisRateLimit",
                ["--redis-url", f"redis://127.0.0.1:{port}/0", "--rate-limit-key", f"bench:{uuid.uuid4()}"],
            ),
            ("per-process RateLimit", []),
        ):
            with (
                EmulatorProcess(campaigns=8, contacts=2_000, rate_limit=spec) as emu,
                tempfile.TemporaryDirectory() as tmp,
            ):
                env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")} | emu.env
                start = time.perf_counter()
                procs = [
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "korecampaign_async",
                            "export",
                            "campaign-contacts",
                            campaign_id(2 * i),
                            "--out",
                            f"{tmp}/{i}.jsonl",
                            "--json-log",
                            "--rate-limit",
                            spec,
                            "--max-retries",
                            "30",
                            *extra,
                        ],
                        env=env,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                    for i in range(4)
                ]
                done = [json.loads(pr.communicate()[1].splitlines()[-1]) for pr in procs]
                seconds = time.perf_counter() - start
                requests = sum(d["stats"]["requests"] for d in done)
                throttled = sum(d["stats"]["throttled"] for d in done)
                rows.append(
                    {
                        "fleet": label,
                        "processes": 4,
                        "server_windows": spec,
                        "rows": sum(d["rows"] for d in done),
                        "requests": requests,
                        "429s": throttled,
                        "429_share": round(throttled / requests, 3),
                        "seconds": round(seconds, 2),
                    }
                )
    finally:
        redis_proc.terminate()
    shared = rows[0]
    return {
        "rows": rows,
        "targets": [target("fleet: 429 share with a shared Redis budget", shared["429_share"], 0.01, at_least=False)],
    }


# -- scaling ------------------------------------------------------------------------------------
async def scaling(p: Profile) -> dict[str, Any]:
    rows = []
    with EmulatorProcess(campaigns=2 * p.listed_campaigns, contacts=p.contacts_each, latency_ms=20) as emu:
        listed = await measure(
            "iter_campaigns('voice')",
            {"latency_ms": 20, "concurrency": 16},
            p.runs,
            lambda: contenders.korecampaign_campaigns(emu, concurrency=16),
        )
        rows.append(listed.as_dict())
        ids = [campaign_id(2 * i) for i in range(p.exported_campaigns)]

        async def many() -> tuple[int, int]:
            async with KoreCampaignClient(**emu.client_kwargs(max_concurrency=16)) as client:
                n = 0
                async for _ in client.iter_contacts_of(ids):
                    n += 1
                return n, client.stats.pages

        multi = await measure(
            f"iter_contacts_of({p.exported_campaigns} campaigns)", {"latency_ms": 20, "concurrency": 16}, p.runs, many
        )
    with EmulatorProcess(campaigns=2, contacts=p.contacts_each * p.exported_campaigns, latency_ms=20) as emu:
        single = await measure(
            "iter_campaign_contacts(1 campaign, same rows)",
            {"latency_ms": 20, "concurrency": 16},
            p.runs,
            lambda: contenders.korecampaign(emu, CAMPAIGN, concurrency=16),
        )
    for m in (multi, single):
        row = m.as_dict()
        row["vs_single_campaign"] = round(single.median / m.median, 3)
        rows.append(row)
    return {"rows": rows, "targets": []}


def measurements_only(items: list[Measurement]) -> list[dict[str, Any]]:
    return [m.as_dict() for m in items]


async def run_all(p: Profile, out_dir: Path, only: set[str] | None, log: Any, checkpoint: Any = None) -> dict[str, Any]:
    """Run every scenario (or those in ``only``); return the result document's scenarios."""
    results: dict[str, Any] = {}
    plan: list[tuple[str, Any]] = [
        ("decode", lambda: asyncio.to_thread(decode_bench, p)),
        ("cpu_ceiling", lambda: cpu_ceiling(p, out_dir)),
        ("latency_sweep", lambda: latency_sweep(p)),
        ("memory", lambda: asyncio.to_thread(memory, p)),
        ("faults", lambda: faults(p)),
        ("budget", lambda: budget(p)),
        ("fleet", lambda: fleet(p) if p.fleet else _skipped("fleet scenario runs in the full profile")),
        ("scaling", lambda: scaling(p)),
        ("sync", lambda: sync_bench.run(p, target)),
        ("export", lambda: export_bench.run(p, target)),
        ("import", lambda: import_bench.run(p, target)),
        ("economy", lambda: economy_bench.run(p, target)),
    ]
    for name, run in plan:
        if only and name not in only:
            continue
        log(f"-- {name}")
        start = time.perf_counter()
        try:
            results[name] = await run()
        except Exception as exc:  # one broken scenario must not lose the others' figures
            log(f"   ERROR {name}: {exc!r}")
            results[name] = {"rows": [], "error": repr(exc), "targets": [target(f"{name}: scenario ran", 0, 1)]}
        results[name]["elapsed_s"] = round(time.perf_counter() - start, 1)
        if checkpoint is not None:
            checkpoint(results)
        for t in results[name].get("targets", []):
            log(f"   {'ok  ' if t['ok'] else 'MISS'} {t['target']}: {t['value']} (goal {t['comparison']} {t['goal']})")
    return results


async def _skipped(reason: str) -> dict[str, Any]:
    return {"rows": [], "skipped": reason, "targets": []}

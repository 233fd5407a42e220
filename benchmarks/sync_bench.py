"""``--only sync``: ``korecampaign sync`` against bare bulk loads, for SQLite and PostgreSQL.

Data: ``p.sync_rows`` contact rows in 10 voice campaigns from the emulator (its own process,
0 ms). For each store:

* **first sync** into an empty database, against a *bare load* of the same rows by the same
  driver (sqlite3 ``executemany`` in one transaction; asyncpg ``copy_records_to_table``),
  rows generated before the clock starts: goal >= 0.5x the bare load's rows/s;
* **overlap**: sync time <= 1.25 x max(fetch alone, bare load alone);
* **re-sync, every campaign final**: requests = list-campaigns pages only; time <= 5 % of the first;
* **re-sync of unchanged, non-final campaigns**: 0 rows written, >= 0.8x the fetch-alone rate;
* **peak RSS growth** of the first sync < 100 MB.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
from typing import Any

from korecampaign_async import KoreCampaignClient, open_store, sync
from korecampaign_async.emulator import Emulator, campaign_id
from korecampaign_async.stores.schema import CONTACT_COLUMNS

from .harness import EmulatorProcess, RssSampler
from .pgcluster import create_database

VOICE = 10
COLUMNS = list(CONTACT_COLUMNS)


def _rows(index: int, count: int, stamp: Any) -> list[tuple[Any, ...]]:
    out = []
    for r in range(count):
        d = Emulator.status_row(index, r)
        out.append(
            (
                "st-emulator-0001",
                campaign_id(index),
                d["phoneNumber"],
                0,
                d["uniqueId"],
                d["dialerOutcome"],
                d["numberOfAttemptsSoFar"],
                d["botSessionId"],
                json.dumps(d["agentDispositionCodes"]),
                d["botOutboundStatus"],
                d["botOutboundStatusDetail"],
                stamp,
                stamp,
                stamp,
            )
        )
    return out


async def _bare_load(url: str, per: int) -> float:
    """Seconds to bulk-load the same rows with the store's own driver, generation excluded."""
    store = open_store(url)
    await store.open()  # the schema, as a sync would have it
    await store.close()
    total = 0.0
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        placeholders = ", ".join("?" * len(COLUMNS))
        for i in range(VOICE):
            rows = _rows(2 * i, per, "2026-01-01T00:00:00.000Z")
            start = time.perf_counter()
            conn.execute("BEGIN")
            conn.executemany(f"INSERT INTO campaign_contacts ({', '.join(COLUMNS)}) VALUES ({placeholders})", rows)
            conn.execute("COMMIT")
            total += time.perf_counter() - start
        conn.close()
        return total
    from datetime import UTC, datetime

    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for i in range(VOICE):
            rows = _rows(2 * i, per, datetime.now(UTC))
            start = time.perf_counter()
            await conn.copy_records_to_table("campaign_contacts", records=rows, columns=COLUMNS)
            total += time.perf_counter() - start
    finally:
        await conn.close()
    return total


async def _fetch_alone(emu: EmulatorProcess) -> tuple[float, int]:
    async with KoreCampaignClient(**emu.client_kwargs(max_concurrency=16)) as client:
        start = time.perf_counter()
        n = 0
        for i in range(VOICE):
            async for page in client.iter_campaign_contacts(campaign_id(2 * i)).pages():
                n += len(page.results)
        return time.perf_counter() - start, n


async def _sync(emu: EmulatorProcess, url: str, rss: bool = False) -> tuple[Any, float, int]:
    # full=True: these figures time the pass over every page (writing, or comparing when
    # nothing changed). A plain re-sync of an unchanged account skips those campaigns
    # altogether (issue 22.2); its request count is the "economy" scenario's.
    store = open_store(url)
    try:
        async with KoreCampaignClient(**emu.client_kwargs(max_concurrency=16)) as client:
            start = time.perf_counter()
            if rss:
                with RssSampler() as sampler:
                    report = await sync(client, store, types=("voice",), full=True)
                growth = sampler.peak_growth
            else:
                report, growth = await sync(client, store, types=("voice",), full=True), 0
            return report, time.perf_counter() - start, growth
    finally:
        await store.close()


async def _settle(url: str) -> None:
    """Finish the background work the first sync left the database (PostgreSQL's autovacuum of a
    table that just took 1M rows, the checkpoint; SQLite's WAL checkpoint) before the re-syncs
    are timed: otherwise it shares the 2 cores with whichever measurement it overlaps."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        return
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM (ANALYZE)")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def _new_db(kind: str, admin: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='korecampaign-sync-')}/bench.db"
    assert admin is not None
    return await create_database(admin, "bench")


async def run(p: Any, target: Any) -> dict[str, Any]:
    from .pgcluster import bindir, throwaway_cluster

    per = max(1, p.sync_rows // VOICE)
    rows_out: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    kinds = ["sqlite"] + (["postgres"] if bindir() else [])
    with throwaway_cluster() if "postgres" in kinds else _null() as admin:
        # every voice campaign Completed (generation 4): the re-sync skips them all
        with EmulatorProcess(campaigns=2 * VOICE, contacts=per, latency_ms=0, generation=4) as emu:
            fetch_s, fetched = await _fetch_alone(emu)
            for kind in kinds:
                bare_s = await _bare_load(await _new_db(kind, admin), per)
                url = await _new_db(kind, admin)
                first, first_s, growth = await _sync(emu, url, rss=True)
                again, again_s, _ = await _sync(emu, url)
                rows = first.contacts_inserted
                row = {
                    "store": kind,
                    "rows": rows,
                    "fetch_alone_rows_per_s": round(fetched / fetch_s),
                    "bare_load_rows_per_s": round(rows / bare_s),
                    "first_sync_rows_per_s": round(rows / first_s),
                    "first_sync_vs_bare": round(bare_s / first_s, 3),
                    "sync_vs_max_fetch_bare": round(first_s / max(fetch_s, bare_s), 3),
                    "peak_rss_growth_mb": round(growth / 2**20, 1),
                    "resync_final_requests": again.requests,
                    "resync_final_list_pages": 1,
                    "resync_final_vs_first_time": round(again_s / first_s, 4),
                }
                targets += [
                    target(f"sync {kind}: first sync vs bare load (rows/s)", row["first_sync_vs_bare"], 0.5),
                    target(
                        f"sync {kind}: time / max(fetch alone, bare load)",
                        row["sync_vs_max_fetch_bare"],
                        1.25,
                        at_least=False,
                    ),
                    target(
                        f"sync {kind}: re-sync all final, requests beyond the list pages",
                        again.requests - 1,
                        0,
                        at_least=False,
                    ),
                    target(
                        f"sync {kind}: re-sync all final, time vs first",
                        row["resync_final_vs_first_time"],
                        0.05,
                        at_least=False,
                    ),
                    target(f"sync {kind}: peak RSS growth", row["peak_rss_growth_mb"], 100, at_least=False, unit="MB"),
                ]
                rows_out.append(row)
        # nothing final (generation 0): the re-sync reads every campaign and writes nothing. Fetch
        # alone and the re-sync take turns, run by run (a fetch measured once, minutes earlier, on a
        # machine where a database is still checkpointing, made the ratio move by half)
        with EmulatorProcess(campaigns=2 * VOICE, contacts=per, latency_ms=0) as emu:
            for kind, row in zip(kinds, rows_out, strict=True):
                url = await _new_db(kind, admin)
                await _sync(emu, url)
                await _settle(url)
                ratios, written = [], 0
                for _ in range(p.runs):
                    fetch_s, _fetched = await _fetch_alone(emu)
                    again, again_s, _ = await _sync(emu, url)
                    written += again.contacts_inserted + again.contacts_updated
                    ratios.append(fetch_s / again_s)
                row["resync_unchanged_rows_written"] = written
                row["resync_unchanged_vs_fetch"] = round(statistics.median(ratios), 3)
                targets += [
                    target(f"sync {kind}: re-sync unchanged, rows written", written, 0, at_least=False),
                    target(
                        f"sync {kind}: re-sync unchanged vs fetch alone (rows/s)", row["resync_unchanged_vs_fetch"], 0.8
                    ),
                ]
    return {"rows": rows_out, "targets": targets}


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def main() -> None:  # pragma: no cover - ad hoc use
    from .scenarios import PROFILES, target

    print(json.dumps(asyncio.run(run(PROFILES["tiny"], target)), indent=2))

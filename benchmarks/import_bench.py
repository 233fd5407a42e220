"""``--only import``: bulk import (``client.contact_lists.import_contacts``) against the
leanest batch-POST loop we can write, and under a configured rate budget.

``p.import_rows`` contacts into a list of the emulator (its own process, 0 ms), batches of
1,000, 16 in flight, both sides reading the same generated rows. The bare loop only batches,
encodes and posts; the SDK also checks every row, copies it, and keeps its accounting. Goal:
>= 0.7x the bare loop's rows/s. Budget: ``p.budget_pages`` batches against a server enforcing
``p.budget_windows`` with the same windows configured in the client: goodput >= 0.95 of the
budget, zero 429s. Each run imports into a fresh list, deleted afterwards (the emulator keeps
imported contacts in memory).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import msgspec

from korecampaign_async import KoreCampaignClient, RateLimit
from korecampaign_async.models.writes import ContactListSpec

from .harness import DEFAULTS, EmulatorProcess

BATCH = 1_000
CONCURRENCY = 16


def contacts(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {"phoneNumber": f"+1999{i:07d}", "first name": f"Person {i}", "email": f"p{i}@example.com"}


async def _bare(emu: EmulatorProcess, name: str, n: int) -> float:
    url = f"{emu.url}/api/1.1/public/{DEFAULTS.stream_id}/campaign/contactList/addContacts"
    params = {"accountId": DEFAULTS.account_id}
    gate = asyncio.Semaphore(CONCURRENCY)
    encode = msgspec.json.Encoder().encode
    async with aiohttp.ClientSession(headers=emu.raw_headers()) as session:

        async def post(batch: list[dict[str, Any]]) -> None:
            try:
                async with session.post(
                    url, params=params, data=encode({"contact_list_name": name, "data": batch})
                ) as r:
                    await r.read()
                    assert r.status == 200, r.status
            finally:
                gate.release()

        start = time.perf_counter()
        tasks = []
        batch: list[dict[str, Any]] = []
        for row in contacts(n):
            batch.append(row)
            if len(batch) == BATCH:
                await gate.acquire()
                tasks.append(asyncio.create_task(post(batch)))
                batch = []
        if batch:
            await gate.acquire()
            tasks.append(asyncio.create_task(post(batch)))
        await asyncio.gather(*tasks)
        return n / (time.perf_counter() - start)


async def _sdk(client: KoreCampaignClient, target: Any, n: int) -> float:
    start = time.perf_counter()
    report = await client.contact_lists.import_contacts(target, contacts(n), batch_size=BATCH, concurrency=CONCURRENCY)
    assert report.accepted == n and report.rejected == 0
    return n / (time.perf_counter() - start)


async def run(p: Any, target: Any) -> dict[str, Any]:
    rows_out: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    n = p.import_rows
    with EmulatorProcess(campaigns=2, contacts=10, latency_ms=0, page_cache=0) as emu:
        async with KoreCampaignClient(**emu.client_kwargs(max_concurrency=CONCURRENCY)) as client:
            bare_rates, sdk_rates = [], []
            for run_no in range(p.runs):  # the two take turns, run by run
                for kind in ("bare", "sdk"):
                    spec = ContactListSpec(
                        name=f"bench-{kind}-{run_no}", description="benchmark", allow_duplicates=True
                    )
                    created = await client.contact_lists.create(spec)
                    assert created.id is not None
                    if kind == "bare":
                        bare_rates.append(await _bare(emu, spec.name, n))
                    else:
                        sdk_rates.append(await _sdk(client, created, n))
                    await client.contact_lists.delete(created.id, confirm=True)
            bare, sdk = statistics.median(bare_rates), statistics.median(sdk_rates)
            rows_out.append(
                {
                    "case": "0 ms, no budget",
                    "rows": n,
                    "runs": p.runs,
                    "bare_rows_per_s": round(bare),
                    "sdk_rows_per_s": round(sdk),
                    "sdk_vs_bare": round(sdk / bare, 3),
                }
            )
            targets.append(target("import: rows/s vs a bare batch-POST loop", rows_out[-1]["sdk_vs_bare"], 0.7))

    spec_windows = p.budget_windows
    batches = p.budget_pages
    from .scenarios import ideal_seconds

    ideal = ideal_seconds(batches + 1, spec_windows)  # the list's create is in the same windows
    secs, throttled = [], []
    for run_no in range(p.runs):  # a fresh server per run: its windows start empty
        with EmulatorProcess(campaigns=2, contacts=10, latency_ms=5, rate_limit=spec_windows) as emu:
            kwargs = {"max_concurrency": CONCURRENCY, "rate_limit": RateLimit.parse(spec_windows)}
            async with KoreCampaignClient(**emu.client_kwargs(**kwargs)) as client:
                spec = ContactListSpec(name=f"budget-{run_no}", description="benchmark", allow_duplicates=True)
                start = time.perf_counter()
                created = await client.contact_lists.create(spec)
                report = await client.contact_lists.import_contacts(
                    created, contacts(batches * 100), batch_size=100, concurrency=CONCURRENCY
                )
                secs.append(time.perf_counter() - start)
                assert report.accepted == batches * 100
                throttled.append(client.stats.throttled)
    med = statistics.median(secs)
    rows_out.append(
        {
            "case": f"budget {spec_windows}, windows configured",
            "rows": batches * 100,
            "runs": p.runs,
            "batches": batches,
            "seconds_median": round(med, 2),
            "ideal_seconds": round(ideal, 2),
            "goodput_share_of_budget": round(ideal / med, 3),
            "429s": statistics.median(throttled),
        }
    )
    targets.append(target("import: goodput share of the budget", rows_out[-1]["goodput_share_of_budget"], 0.95))
    targets.append(target("import: 429s under the configured budget", rows_out[-1]["429s"], 0, at_least=False))
    return {"rows": rows_out, "targets": targets}

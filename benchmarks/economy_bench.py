"""``--only economy``: how many requests a job costs, since the rate budget decides how long it
takes (issue 22).

* **Requests per 1,000,000 rows**, per endpoint, against a server capping ``limit`` at 100
  (it refuses more) and one serving pages of 1,000: ``page_size="auto"`` against the old fixed
  100 (measured on ``p.economy_rows`` rows, scaled to a million).
* **Re-sync of an unchanged account**: requests spent by the second sync against the ideal (the
  list pages only).
* **The budget learned without hints**: an export against two hidden windows whose 429s carry
  no ``Retry-After``, nothing configured: goodput as a share of what a perfect client achieves
  under the same windows, and the share of requests answered 429; then a **second run**
  (a new client reading the server profile the first one saved): probe requests and 429s.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from typing import Any

from korecampaign_async import KoreCampaignClient, RetryPolicy, open_store, sync
from korecampaign_async.cli.check import seconds_for
from korecampaign_async.emulator import campaign_id, contact_list_id
from korecampaign_async.ratelimit.windows import parse_windows
from korecampaign_async.transport.profile import ProfileStore

from .harness import EmulatorProcess

MILLION = 1_000_000


async def _requests(emu: EmulatorProcess, what: str, page_size: int | str, profiles: str) -> tuple[int, int, int]:
    """Rows read, requests spent reading ``what`` with a fresh client (no profile), and how
    many of them were one-off learning (the page/skip probe, a refused page size)."""
    kwargs: dict[str, Any] = {"max_concurrency": 16, "page_size": page_size, "profile": ProfileStore(profiles)}
    async with KoreCampaignClient(**emu.client_kwargs(**kwargs)) as client:
        if what == "contact-list contacts":
            rows = len(await client.iter_contact_list(contact_list_id(0)).collect())
        elif what == "list campaigns":
            rows = len(await client.iter_campaigns("voice").collect())
        else:
            rows = len(await client.iter_campaign_contacts(campaign_id(0)).collect())
        stats = client.stats
        return rows, stats.requests, stats.probe_requests + stats.page_size_refusals


async def _per_million(p: Any) -> list[dict[str, Any]]:
    out = []
    rows = p.economy_rows
    for server, options in (
        ("100-cap server (refuses more)", {"limit_policy": "reject", "max_limit": 100}),
        ("1,000-page server", {"limit_policy": "serve"}),
    ):
        with EmulatorProcess(
            campaigns=2 * rows // 10, contacts=rows, contact_lists=1, list_contacts=rows, latency_ms=0, **options
        ) as emu:
            for what in ("campaign contacts", "contact-list contacts", "list campaigns"):
                row: dict[str, Any] = {"server": server, "endpoint": what}
                for label, size in (("fixed 100", 100), ("auto", "auto")):
                    with tempfile.TemporaryDirectory() as profiles:
                        n, requests, learning = await _requests(emu, what, size, profiles)
                    # the pages scale with the rows; learning is once per endpoint, whatever the size
                    row[f"requests per 1M rows ({label})"] = round((requests - learning) / n * MILLION) + learning
                row["rows measured"] = n
                out.append(row)
    return out


async def _resync(p: Any) -> dict[str, Any]:
    with (
        # every campaign final or between runs (generation 4: no Active one, which dials and is read)
        EmulatorProcess(campaigns=40, contacts=p.economy_rows // 20, latency_ms=0, generation=4) as emu,
        tempfile.TemporaryDirectory() as tmp,
    ):
        store = open_store(f"sqlite:///{tmp}/economy.db")
        try:
            async with KoreCampaignClient(**emu.client_kwargs(profile=ProfileStore(tmp))) as client:
                await sync(client, store, contact_lists=[contact_list_id(0)])
                second = await sync(client, store, contact_lists=[contact_list_id(0)])
        finally:
            await store.close()
    ideal = 3  # one page of voice campaigns, one of SMS campaigns, the list of lists
    return {
        "case": "re-sync of an unchanged account (40 campaigns, none dialling, a contact list)",
        "requests": second.requests,
        "ideal (list pages only)": ideal,
        "requests vs ideal": round(second.requests / ideal, 3),
        "skipped": dict(second.skip_reasons),
        "read": dict(second.read_reasons),
    }


async def _export(emu: EmulatorProcess, profiles: str, start: int, pages: int) -> dict[str, Any]:
    kwargs = {"profile": ProfileStore(profiles), "retry": RetryPolicy(max_attempts=20)}
    async with KoreCampaignClient(**emu.client_kwargs(**kwargs)) as client:
        began = time.perf_counter()
        rows = 0
        for i in range(start, start + 2 * math.ceil(pages / 10), 2):
            rows += len(await client.iter_campaign_contacts(campaign_id(i)).collect())
            if rows >= pages * 100:
                break
        elapsed = time.perf_counter() - began
        stats = client.stats
        return {
            "seconds": round(elapsed, 2),
            "requests": stats.requests,
            "pages": stats.pages,
            "429s": stats.throttled,
            "probes": stats.probe_requests,
            "windows learned": ",".join(f"{n}/{w:g}s" for n, w in client.transport.concurrency.learned_windows),
        }


async def _budget(p: Any) -> list[dict[str, Any]]:
    spec = p.economy_windows
    pages = p.economy_pages
    longest = max(w for _, w in parse_windows(spec))
    with (
        EmulatorProcess(
            campaigns=2 * math.ceil(pages / 10) * 2 + 2,
            contacts=1_000,
            latency_ms=5,
            rate_limit=spec,
            no_retry_after=True,
        ) as emu,
        tempfile.TemporaryDirectory() as profiles,
    ):
        first = await _export(emu, profiles, 0, pages)
        await asyncio.sleep(longest + 0.5)  # the server's windows empty again
        second = await _export(emu, profiles, 2 * math.ceil(pages / 10), pages)
    rows = []
    for run, result in (("first run (learns)", first), ("second run (server profile)", second)):
        ideal = seconds_for(result["pages"], spec)
        rows.append(
            {
                "run": run,
                "server windows": spec,
                **result,
                "ideal seconds": round(ideal, 2),
                "goodput share of the budget": round(ideal / result["seconds"], 3),
                "429 share of requests": round(result["429s"] / max(1, result["requests"]), 4),
            }
        )
    return rows


async def _fleet(p: Any, redis_url: str, workers: int = 3) -> dict[str, Any]:
    """The no-hint run by a fleet: ``workers`` clients, one Redis budget configured far too
    loose (1,000 requests a second), each exporting its share of the pages."""
    import uuid

    from korecampaign_async import RedisRateLimit

    spec = p.economy_windows
    # twice the single process's pages: three workers' first burst of in-flight requests and one
    # probing worker are the learning cost, amortised over a run of the same length per worker
    pages = 2 * p.economy_pages
    per = math.ceil(pages / workers / 10)  # campaigns of 10 pages each, per worker
    key = f"economy-fleet:{uuid.uuid4()}"
    with (
        EmulatorProcess(
            campaigns=2 * per * workers + 2, contacts=1_000, latency_ms=5, rate_limit=spec, no_retry_after=True
        ) as emu,
        tempfile.TemporaryDirectory() as profiles,
    ):
        limiters = [RedisRateLimit(redis_url, key=key, windows=[(1_000, 1.0)]) for _ in range(workers)]

        async def work(w: int) -> Any:
            kwargs = {
                "rate_limit": limiters[w],
                "profile": ProfileStore(profiles),
                "retry": RetryPolicy(max_attempts=30),
            }
            async with KoreCampaignClient(**emu.client_kwargs(**kwargs)) as client:
                for c in range(per):
                    await client.iter_campaign_contacts(campaign_id(2 * (w * per + c))).collect()
                return client.stats, client.transport.concurrency.learned_windows

        began = time.perf_counter()
        results = await asyncio.gather(*(work(w) for w in range(workers)))
        elapsed = time.perf_counter() - began
        for limiter in limiters:
            await limiter.close()
    done = sum(s.pages for s, _ in results)
    requests = sum(s.requests for s, _ in results)
    throttled = sum(s.throttled for s, _ in results)
    ideal = seconds_for(done, spec)
    return {
        "run": f"fleet of {workers}, one Redis budget (configured 1000/1s: far too loose)",
        "server windows": spec,
        "seconds": round(elapsed, 2),
        "requests": requests,
        "pages": done,
        "429s": throttled,
        "probes": sum(s.probe_requests for s, _ in results),
        "windows learned": " | ".join(",".join(f"{n}/{w:g}s" for n, w in ws) for _, ws in results),
        "ideal seconds": round(ideal, 2),
        "goodput share of the budget": round(ideal / elapsed, 3),
        "429 share of requests": round(throttled / max(1, requests), 4),
    }


def _redis_server() -> tuple[Any, str] | None:
    import shutil
    import socket
    import subprocess

    binary = shutil.which("redis-server")
    if binary is None:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


async def run(p: Any, target: Any) -> dict[str, Any]:
    per_million = await _per_million(p)
    resync = await _resync(p)
    budget = await _budget(p)
    server = _redis_server()
    if server is not None:
        try:
            budget.append(await _fleet(p, server[1]))
        finally:
            server[0].kill()
    served = next(r for r in per_million if r["server"].startswith("1,000") and r["endpoint"].startswith("contact-l"))
    capped = next(r for r in per_million if r["server"].startswith("100") and r["endpoint"].startswith("contact-l"))
    first, second = budget[0], budget[1]
    targets = [
        target(
            "economy: contact-list requests per 1M rows, 1,000-page server",
            served["requests per 1M rows (auto)"],
            1_010,
            at_least=False,
        ),
        target(
            "economy: contact-list requests per 1M rows, 100-cap server",
            capped["requests per 1M rows (auto)"],
            10_010,
            at_least=False,
        ),
        target(
            "economy: unchanged re-sync requests vs the list pages", resync["requests vs ideal"], 1.0, at_least=False
        ),
        target("economy: no-hint two-window goodput share of the budget", first["goodput share of the budget"], 0.95),
        target(
            "economy: no-hint two-window 429 share of requests", first["429 share of requests"], 0.02, at_least=False
        ),
        target("economy: second run's learning 429s", second["429s"], 0, at_least=False),
        target("economy: second run's probe requests", second["probes"], 0, at_least=False),
    ]
    if len(budget) > 2:
        fleet = budget[2]
        targets += [
            target(
                "economy: no-hint fleet (Redis) goodput share of the budget", fleet["goodput share of the budget"], 0.95
            ),
            target(
                "economy: no-hint fleet (Redis) 429 share of requests",
                fleet["429 share of requests"],
                0.02,
                at_least=False,
            ),
        ]
    return {"rows": [*per_million, resync, *budget], "targets": targets}

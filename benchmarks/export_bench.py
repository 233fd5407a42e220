"""``--only export``: file exports against fetching alone, in the same run.

``p.export_rows`` contact rows of one campaign from the emulator in its own process (0 ms);
the export runs in this process as the CLI does (``export_to_file``: a ``.part`` file, a
checkpoint, the rename). Goals: every format >= 0.6x the fetch-alone rate; Parquet's peak RSS
growth < 100 MB (row groups written as they fill), measured after pyarrow is imported (its
libraries are not data the export holds)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from typing import Any

import msgspec

from korecampaign_async import KoreCampaignClient
from korecampaign_async.emulator import campaign_id
from korecampaign_async.export import export_to_file
from korecampaign_async.models.records import CampaignContact

from .harness import EmulatorProcess, RssSampler

CONCURRENCY = 16


async def _fetch_alone(emu: EmulatorProcess) -> float:
    async with KoreCampaignClient(**emu.client_kwargs(max_concurrency=CONCURRENCY)) as client:
        start = time.perf_counter()
        n = 0
        async for page in client.iter_campaign_contacts(campaign_id(0)).pages():
            n += len(page.results)
        return n / (time.perf_counter() - start)


async def _export(emu: EmulatorProcess, fmt: str) -> tuple[float, int]:
    out = os.path.join(tempfile.mkdtemp(prefix="korecampaign-export-"), f"contacts.{fmt}")
    async with KoreCampaignClient(**emu.client_kwargs(max_concurrency=CONCURRENCY)) as client:
        with RssSampler() as rss:
            start = time.perf_counter()
            result = await export_to_file(
                lambda page: client.iter_campaign_contacts(campaign_id(0), start_page=page),
                out,
                fmt,  # type: ignore[arg-type]
                CampaignContact,
                {"endpoint": "campaign-contacts", "id": campaign_id(0), "page_size": client.page_size},
            )
            seconds = time.perf_counter() - start
    os.remove(out)
    return result.rows / seconds, rss.peak_growth


def _warm_up_parquet() -> None:
    from korecampaign_async.emulator import Emulator
    from korecampaign_async.export import ParquetSink

    out = os.path.join(tempfile.mkdtemp(prefix="korecampaign-warm-"), "warm.parquet")
    sink = ParquetSink(out, CampaignContact)
    sink.write([msgspec.convert(Emulator.status_row(0, 0), CampaignContact)])
    sink.finish()
    os.remove(out)


async def run(p: Any, target: Any) -> dict[str, Any]:
    # Loaded and used once before any RSS is sampled: the libraries' own ~100 MB (import) and
    # ~50 MB (their code and state, touched by the first conversion) are paid once per process,
    # whatever the export's size; the goal is about what the export buffers.
    _warm_up_parquet()

    rows_out: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    with EmulatorProcess(campaigns=2, contacts=p.export_rows, latency_ms=0, page_cache=0) as emu:
        for fmt in ("jsonl", "csv", "parquet"):
            fetch, rates, growths = [], [], []
            for _ in range(p.runs):  # fetch alone and the export take turns, run by run
                fetch.append(await _fetch_alone(emu))
                rate, growth = await _export(emu, fmt)
                rates.append(rate)
                growths.append(growth)
            fetch_rate, rate = statistics.median(fetch), statistics.median(rates)
            row = {
                "format": fmt,
                "rows": p.export_rows,
                "runs": p.runs,
                "fetch_alone_rows_per_s": round(fetch_rate),
                "export_rows_per_s": round(rate),
                "export_vs_fetch": round(rate / fetch_rate, 3),
                "peak_rss_growth_mb": round(max(growths) / 2**20, 1),  # the worst run, not the median
            }
            rows_out.append(row)
            targets.append(target(f"export {fmt}: rows/s vs fetch alone", row["export_vs_fetch"], 0.6))
            if fmt == "parquet":
                targets.append(
                    target("export parquet: peak RSS growth", row["peak_rss_growth_mb"], 100, at_least=False, unit="MB")
                )
    return {"rows": rows_out, "targets": targets}

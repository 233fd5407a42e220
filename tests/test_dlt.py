"""The dlt source, loaded into dlt's embedded DuckDB destination: first load, a re-load
without duplicates, and the state that makes the second load skip final campaigns."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from korecampaign_async.emulator import Emulator, EmulatorConfig, contact_list_id, run_emulator

dlt = pytest.importorskip("dlt")


@pytest.fixture
def threaded_emulator() -> Iterator[Emulator]:
    """An emulator on its own thread and loop: dlt's pipeline.run blocks and runs its own."""
    ready, stop = threading.Event(), threading.Event()
    box: dict[str, Emulator] = {}

    async def serve() -> None:
        config = EmulatorConfig(campaigns=8, contacts=250, list_contacts=120, generation=4)
        async with run_emulator(config) as emu:
            box["emu"] = emu
            ready.set()
            await asyncio.to_thread(stop.wait)

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield box["emu"]
    stop.set()
    thread.join(10)


def test_load_reload_and_state(threaded_emulator: Emulator, tmp_path: Path) -> None:
    from korecampaign_async.dlt import kore_campaigns

    emu = threaded_emulator
    pipeline = dlt.pipeline(
        pipeline_name="kore",
        destination=dlt.destinations.duckdb(str(tmp_path / "warehouse.duckdb")),
        dataset_name="kore",
        pipelines_dir=str(tmp_path / "pipelines"),
    )

    def counts() -> dict[str, int]:
        with pipeline.sql_client() as sql:
            return {
                table: sql.execute_sql(f"SELECT count(*) FROM {table}")[0][0]
                for table in ("campaigns", "campaign_contacts", "contact_list_contacts")
            }

    source = kore_campaigns(emu.env(), contact_lists=[contact_list_id(0)])
    pipeline.run(source)
    assert counts() == {"campaigns": 8, "campaign_contacts": 4 * 250, "contact_list_contacts": 120}
    with pipeline.sql_client() as sql:
        keys = sql.execute_sql("SELECT count(DISTINCT (campaign_id, phone_number, ordinal)) FROM campaign_contacts")
    assert keys[0][0] == 1_000
    status_reads = emu.stats.by_endpoint["status"]
    assert status_reads == 4 * 3  # 250 rows: three pages per voice campaign

    pipeline.run(kore_campaigns(emu.env(), contact_lists=[contact_list_id(0)]))
    assert counts() == {"campaigns": 8, "campaign_contacts": 1_000, "contact_list_contacts": 120}  # merged
    assert emu.stats.by_endpoint["status"] == status_reads  # every voice campaign final: none read again
    state = pipeline.state["sources"]["kore_campaigns"]["resources"]["campaign_contacts"]["complete"]
    assert set(state.values()) == {"Completed"} and len(state) == 4

    pipeline.run(kore_campaigns(emu.env(), full=True).with_resources("campaign_contacts"))
    assert emu.stats.by_endpoint["status"] == 2 * status_reads and counts()["campaign_contacts"] == 1_000

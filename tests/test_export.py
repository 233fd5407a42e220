"""Exports and their checkpoints, below the CLI: a write that fails half-way through a page
must leave a checkpoint from which a resume delivers every row exactly once."""

from __future__ import annotations

import errno
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import pytest

from korecampaign_async.emulator import campaign_id
from korecampaign_async.export import Checkpoint, JsonlSink, export_stream, open_sink
from korecampaign_async.models import CampaignContact

from .conftest import EmulatorFactory, make_client


class DiskFillsUp(JsonlSink):
    """Writes half of page ``fail_at`` and then fails, as a full disk does."""

    def __init__(self, path: str, fail_at: int) -> None:
        super().__init__(path, CampaignContact)
        self.calls = 0
        self.fail_at = fail_at

    def write(self, records: Sequence[msgspec.Struct]) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            self._fh.write(msgspec.json.encode(list(records))[:500])
            self._fh.flush()
            raise OSError(errno.ENOSPC, "No space left on device")
        super().write(records)


@pytest.mark.parametrize("fail_at", [1, 6])
async def test_a_write_that_fails_mid_page_resumes_without_loss(
    emulator_factory: EmulatorFactory, tmp_path: Path, fail_at: int
) -> None:
    out = str(tmp_path / "contacts.jsonl")
    identity = {"endpoint": "campaign-contacts", "id": campaign_id(0), "format": "jsonl"}
    async with emulator_factory(contacts=1_234) as emu, make_client(emu) as client:
        checkpoint = Checkpoint.for_output(out, identity)
        with pytest.raises(OSError, match="No space left"):
            await export_stream(
                client.iter_campaign_contacts(campaign_id(0)), DiskFillsUp(out, fail_at), checkpoint, checkpoint_every=0
            )
        resumed = Checkpoint.for_output(out, identity)
        state = resumed.sink_state if resumed.load() else None
        assert resumed.next_page == (fail_at if state is not None else 1)  # the half-written page comes again
        sink = open_sink(out, "jsonl", CampaignContact, resume_state=state)
        await export_stream(client.iter_campaign_contacts(campaign_id(0), start_page=resumed.next_page), sink, resumed)
        expected = [msgspec.convert(emu.status_row(0, r), CampaignContact) for r in range(1_234)]
    lines = Path(out).read_bytes().splitlines()
    assert [msgspec.json.decode(line, type=CampaignContact) for line in lines] == expected


@pytest.mark.parametrize("kind", ["campaign-contacts", "campaigns"])
async def test_parquet_and_csv_hold_the_rows_of_the_jsonl_export(
    emulator_factory: EmulatorFactory, tmp_path: Path, kind: str
) -> None:
    """Every format, row for row, against the JSON Lines export of the same records."""
    import csv
    from datetime import datetime

    import pyarrow.parquet as pq

    from korecampaign_async.export import _csv_cell, columns_for, export_to_file, flatten
    from korecampaign_async.models import Campaign

    record_type: type[msgspec.Struct] = CampaignContact if kind == "campaign-contacts" else Campaign
    async with emulator_factory(contacts=777, campaigns=70) as emu, make_client(emu) as client:

        def open_stream(page: int) -> Any:
            if kind == "campaigns":
                return client.iter_campaigns("voice", start_page=page)
            return client.iter_campaign_contacts(campaign_id(0), start_page=page)

        for fmt in ("jsonl", "csv", "parquet"):
            await export_to_file(open_stream, str(tmp_path / f"out.{fmt}"), fmt, record_type, {"kind": kind})  # type: ignore[arg-type]
    records = [
        msgspec.json.decode(line, type=record_type) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()
    ]
    assert len(records) == (777 if kind == "campaign-contacts" else 35)
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.to_pylist() == [
        {k: v for k, v in msgspec.to_builtins(r, builtin_types=(datetime,)).items()} | _defaults(table, r)
        for r in records
    ]
    columns = columns_for(record_type)
    with (tmp_path / "out.csv").open(newline="") as fh:
        assert list(csv.DictReader(fh)) == [
            {c.name: _csv_cell(v, c.kind) for c, v in zip(columns, row, strict=True)}
            for row in flatten(records, columns)
        ]


def _defaults(table: Any, record: Any) -> dict[str, Any]:
    """Fields a record omits (defaults) are present in Parquet: null, an empty list, or JSON text."""
    import json

    data = msgspec.to_builtins(record)
    out: dict[str, Any] = {}
    for field in table.schema:
        name = field.name
        if name not in data:
            out[name] = [] if str(field.type).startswith("list") else None
        elif name == "dncLists":
            out[name] = json.dumps(data[name])
    return out

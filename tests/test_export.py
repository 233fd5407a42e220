"""Exports and their checkpoints, below the CLI: a write that fails half-way through a page
must leave a checkpoint from which a resume delivers every row exactly once."""

from __future__ import annotations

import errno
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from korecampaign_async import AuthenticationError, OutputError
from korecampaign_async.emulator import campaign_id
from korecampaign_async.export import Checkpoint, JsonlSink, export_stream, export_to_file, open_sink
from korecampaign_async.models.records import CampaignContact

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
        with pytest.raises(OutputError, match="no space left on device") as err:
            await export_stream(
                client.iter_campaign_contacts(campaign_id(0)), DiskFillsUp(out, fail_at), checkpoint, checkpoint_every=0
            )
        assert err.value.errno == errno.ENOSPC and isinstance(err.value, OSError)
        assert err.value.path == out + ".part" and "--resume" in str(err.value)
        resumed = Checkpoint.for_output(out, identity)
        state = resumed.sink_state if resumed.load() else None
        assert resumed.next_page == (fail_at if state is not None else 1)  # the half-written page comes again
        assert not Path(checkpoint.path + ".tmp").exists()
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

    from korecampaign_async.export import columns_for, export_to_file, flatten
    from korecampaign_async.export.columns import _csv_cell
    from korecampaign_async.models.records import Campaign

    record_type: type[msgspec.Struct] = CampaignContact if kind == "campaign-contacts" else Campaign
    async with emulator_factory(contacts=777, campaigns=70) as emu, make_client(emu) as client:

        def open_stream(page: int) -> Any:
            if kind == "campaigns":
                return client.iter_campaigns("voice", start_page=page)
            return client.iter_campaign_contacts(campaign_id(0), start_page=page)

        for fmt in ("jsonl", "csv", "parquet"):
            await export_to_file(open_stream, str(tmp_path / f"out.{fmt}"), fmt, record_type, {"kind": kind})
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
    from datetime import datetime

    import pyarrow as pa

    data = msgspec.to_builtins(record)
    full = msgspec.to_builtins(record, builtin_types=(datetime,))

    def filled(arrow_type: Any, value: Any) -> Any:
        """A nested struct as Parquet holds it: every field of its type, the omitted ones null."""
        if not pa.types.is_struct(arrow_type) or not isinstance(value, dict):
            return value
        return {
            f.name: filled(f.type, value[f.name])
            if f.name in value
            else ([] if str(f.type).startswith("list") else None)
            for f in arrow_type
        }

    out: dict[str, Any] = {}
    for field in table.schema:
        name = field.name
        if name not in data:
            out[name] = [] if str(field.type).startswith("list") else None
        elif name == "dncLists":
            out[name] = json.dumps(data[name])
        elif pa.types.is_struct(field.type):
            out[name] = filled(field.type, full[name])
    return out


class _Inner(msgspec.Struct, rename="camel"):
    caller_id: str | None = None


class _Tricky(msgspec.Struct, rename="camel", kw_only=True):
    text: str | None = None
    count: int | None = None
    ratio: float | None = None
    flag: bool | None = None
    tags: list[str] | None = None
    when: datetime | None = None
    extra: dict[str, Any] | None = None
    inner: _Inner | None = None


_NASTY = [
    "",
    "plain",
    "a,b",
    'say "hi"',
    "line\nbreak",
    "cr\rhere",
    "crlf\r\n",
    "ünïcødé ✓",
    " lead",
    "trail ",
    ",",
    '"',
]


def _tricky_records(seed: int, n: int) -> list[_Tricky]:
    import random
    from datetime import UTC, datetime

    rng = random.Random(seed)

    def maybe(value: Any) -> Any:
        return None if rng.random() < 0.2 else value

    return [
        _Tricky(
            text=maybe(rng.choice(_NASTY)),
            count=maybe(rng.randint(-5, 10**12)),
            ratio=maybe(rng.random() * 10 ** rng.randint(-3, 9)),
            flag=maybe(rng.random() < 0.5),
            tags=maybe([rng.choice(_NASTY) for _ in range(rng.randint(0, 3))]),
            when=maybe(datetime(2026, 1, 1 + rng.randint(0, 27), rng.randint(0, 23), tzinfo=UTC)),
            extra=maybe({"k": rng.choice(_NASTY)}),
            inner=maybe(_Inner(caller_id=maybe(rng.choice(_NASTY)))),
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("clean", [True, False])
def test_csv_sink_writes_what_csv_writer_writes(tmp_path: Path, clean: bool) -> None:
    """The page-at-once fast path (no quoting needed) and the csv.writer path both give
    exactly the bytes csv.writer gives for the reference cells (_csv_cell of flatten)."""
    import csv
    import io

    from korecampaign_async.export import CsvSink, columns_for, flatten
    from korecampaign_async.export.columns import _csv_cell

    pages = []
    for seed in range(40):
        records = _tricky_records(seed, 25)
        if clean:  # pages whose cells need no quoting take the fast path
            records = [msgspec.structs.replace(r, text="x", tags=["a", "b"], extra=None, inner=None) for r in records]
        pages.append(records)
    out = tmp_path / "t.csv"
    sink = CsvSink(str(out), _Tricky)
    slow_pages = []
    emit = sink._emit

    def counted(rows: list[list[str]]) -> None:
        slow_pages.append(len(rows))
        emit(rows)

    sink._emit = counted  # type: ignore[method-assign]
    for page in pages:
        sink.write(page)
    # clean pages all take the fast path; among random ones most need quoting somewhere
    assert len(slow_pages) == (0 if clean else len(pages))
    sink.write([])
    sink.finish()
    columns = columns_for(_Tricky)
    want = io.StringIO()
    writer = csv.writer(want, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    for page in pages:
        writer.writerows(
            [_csv_cell(v, c.kind) for c, v in zip(columns, row, strict=True)] for row in flatten(page, columns)
        )
    assert out.read_bytes() == want.getvalue().encode()


def test_parquet_parts_checkpoint_when_finished_and_merge_in_order(tmp_path: Path) -> None:
    """Parts finish every ``rows_per_part`` rows; a checkpoint is due exactly then; a resume
    keeps the finished parts and drops the unfinished one; finish() merges them in order."""
    import pyarrow.parquet as pq

    from korecampaign_async.emulator import Emulator
    from korecampaign_async.export import ParquetSink

    rows = [msgspec.convert(Emulator.status_row(0, r), CampaignContact) for r in range(1_000)]
    pages = [rows[i : i + 100] for i in range(0, 1_000, 100)]
    out = str(tmp_path / "c.parquet")
    sink = ParquetSink(out, CampaignContact, rows_per_part=300, row_group_rows=128)
    due = []
    state: dict[str, Any] = {}
    for number, page in enumerate(pages[:7], start=1):
        sink.write(page)
        if sink.checkpoint_due(0.0, 0.25):
            due.append(number)
            state = sink.state()
            assert not sink.checkpoint_due(0.0, 0.25)  # once per finished part
    assert due == [3, 6]
    assert [Path(p).name for p in state["parts"]] == ["part-000000.parquet", "part-000001.parquet"]
    sink.close()  # a crash after page 7: its rows were in no finished part
    resumed = ParquetSink(out, CampaignContact, resume_state=state, rows_per_part=300, row_group_rows=128)
    for page in pages[6:]:
        resumed.write(page)
    resumed.finish()
    table = pq.read_table(out)
    assert table.column("uniqueId").to_pylist() == [r.unique_id for r in rows]
    assert not Path(out + ".parts").exists()


def test_parquet_single_part_is_renamed_with_full_row_groups(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from korecampaign_async.emulator import Emulator
    from korecampaign_async.export import ParquetSink

    rows = [msgspec.convert(Emulator.status_row(1, r), CampaignContact) for r in range(1_000)]
    out = str(tmp_path / "c.parquet")
    sink = ParquetSink(out, CampaignContact, row_group_rows=256)
    for i in range(0, 1_000, 90):
        sink.write(rows[i : i + 90])
    assert not sink.checkpoint_due(10.0, 0.25)  # nothing finished: nothing durable to record
    sink.finish()
    source = pq.ParquetFile(out)
    # row groups fill before they are written: 256 rows each (a page boundary at or after)
    assert [source.metadata.row_group(g).num_rows for g in range(source.num_row_groups)] == [270, 270, 270, 190]
    assert source.read().column("uniqueId").to_pylist() == [r.unique_id for r in rows]


def test_parquet_sink_rejects_bad_sizes(tmp_path: Path) -> None:
    from korecampaign_async.errors import InvalidParameterError
    from korecampaign_async.export import ParquetSink

    with pytest.raises(InvalidParameterError, match="rows_per_part"):
        ParquetSink(str(tmp_path / "x.parquet"), CampaignContact, rows_per_part=0)
    with pytest.raises(InvalidParameterError, match="part_seconds"):
        ParquetSink(str(tmp_path / "x.parquet"), CampaignContact, part_seconds=-1)


class _FullDisk:
    """Wraps a sink: from page ``fail_at`` on, every write (and every checkpoint save, as on a
    full disk) fails with ENOSPC."""

    def __init__(self, sink: Any, fail_at: int, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sink, self.fail_at, self.calls, self.monkeypatch = sink, fail_at, 0, monkeypatch
        self.path = sink.path

    def write(self, records: Sequence[msgspec.Struct]) -> None:
        self.calls += 1
        if self.calls >= self.fail_at:
            import korecampaign_async._files as files

            def full(*args: Any, **kwargs: Any) -> Any:
                raise OSError(errno.ENOSPC, "No space left on device")

            # the checkpoint's temp file can no longer be written either
            self.monkeypatch.setattr(files.json, "dump", full)  # type: ignore[attr-defined]
            raise OSError(errno.ENOSPC, "No space left on device")
        self.sink.write(records)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sink, name)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
async def test_a_full_disk_keeps_the_part_and_the_last_good_checkpoint(
    emulator_factory: EmulatorFactory, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 23.7: one OutputError naming the file, the .part and the last good checkpoint
    kept (no stray checkpoint temp file), and a resume completes the export exactly."""
    out = str(tmp_path / f"contacts.{fmt}")
    identity = {"endpoint": "campaign-contacts", "id": campaign_id(0), "format": fmt}
    async with emulator_factory(contacts=2_345) as emu, make_client(emu) as client:
        checkpoint = Checkpoint.for_output(out, identity)
        sink = open_sink(out, fmt, CampaignContact)  # type: ignore[arg-type]
        if fmt == "parquet":
            sink.part_seconds = 0.0  # type: ignore[attr-defined]  # a part (and a checkpoint) per page
        with pytest.raises(OutputError, match="no space left on device"):
            await export_stream(
                client.iter_campaign_contacts(campaign_id(0)),
                _FullDisk(sink, 9, monkeypatch),
                checkpoint,
                checkpoint_every=0,
            )
        monkeypatch.undo()
        assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        resumed = Checkpoint.for_output(out, identity)
        assert resumed.load() and 1 < resumed.next_page <= 9
        assert Path(out + (".parts" if fmt == "parquet" else ".part")).exists()
        result = await export_to_file(
            lambda start: client.iter_campaign_contacts(campaign_id(0), start_page=start),
            out,
            fmt,  # type: ignore[arg-type]
            CampaignContact,
            {k: v for k, v in identity.items() if k != "format"},  # export_to_file adds the format
            resume=True,
        )
        assert result.rows == 2_345 and result.resumed_from_page == resumed.next_page
        expected = [msgspec.convert(emu.status_row(0, r), CampaignContact) for r in range(2_345)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"contacts.{fmt}"]  # no .part, checkpoint or temp left
    assert _read(out, fmt) == [msgspec.to_builtins(r) for r in expected]


def _read(path: str, fmt: str) -> list[Any]:
    """The rows of an export as plain dicts (camelCase keys, None for missing), any format."""
    from korecampaign_async.export import columns_for

    if fmt == "jsonl":
        return [msgspec.to_builtins(msgspec.json.decode(line, type=CampaignContact)) for line in open(path, "rb")]
    if fmt == "csv":
        import csv

        columns = {c.name: c for c in columns_for(CampaignContact)}
        rows = []
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh):
                doc: dict[str, Any] = {}
                for name, value in row.items():
                    kind = columns[name].kind
                    if value == "":
                        continue
                    doc[name] = int(value) if kind == "int" else (value.split("|") if kind == "list" else value)
                rows.append(msgspec.to_builtins(msgspec.convert(doc, CampaignContact)))
        return rows
    import pyarrow.parquet as pq

    table = pq.read_table(path).to_pylist()
    return [msgspec.to_builtins(msgspec.convert(r, CampaignContact)) for r in table]


async def test_a_run_whose_first_request_fails_leaves_nothing_behind(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    """issue 23.4: HTTP 401 on the first request: no .part, no checkpoint, so the same call
    (not a resume) succeeds once the settings are fixed."""
    out = str(tmp_path / "contacts.csv")
    identity = {"endpoint": "campaign-contacts", "id": campaign_id(0)}
    async with emulator_factory(contacts=250) as emu:
        for iid, fails in (("wrong-iid", True), (emu.config.effective_iid, False)):
            async with make_client(emu, iid=iid) as client:
                run = export_to_file(
                    lambda start, c=client: c.iter_campaign_contacts(campaign_id(0), start_page=start),  # type: ignore[misc]
                    out,
                    "csv",
                    CampaignContact,
                    identity,
                )
                if fails:
                    with pytest.raises(AuthenticationError):
                        await run
                    assert list(tmp_path.iterdir()) == []
                else:
                    assert (await run).rows == 250
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.csv"]

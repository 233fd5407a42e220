"""Columnar output: the Arrow schema derived from the structs, batches of a fixed size with
memory for one batch, and tables / frames that hold exactly the records of the stream."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pyarrow as pa
import pytest

from korecampaign_async import Campaign, CampaignContact, Contact, InvalidParameterError
from korecampaign_async.emulator import campaign_id, contact_list_id
from korecampaign_async.models.arrow import arrow_schema

from .conftest import EmulatorFactory, make_client


def test_schema_is_derived_from_the_structs() -> None:
    contact = arrow_schema(CampaignContact)
    assert contact.names == [
        "phoneNumber",
        "uniqueId",
        "dialerOutcome",
        "numberOfAttemptsSoFar",
        "botSessionId",
        "agentDispositionCodes",
        "botOutboundStatus",
        "botOutboundStatusDetail",
    ]
    assert contact.field("numberOfAttemptsSoFar").type == pa.int64()
    assert contact.field("agentDispositionCodes").type == pa.list_(pa.string())
    campaign = arrow_schema(Campaign)
    assert "_id" not in campaign.names and campaign.field("createdAt").type == pa.timestamp("ms", tz="UTC")
    days = campaign.field("dialingStrategy").type.field("callingHours").type.field("days").type
    assert days == pa.list_(pa.struct([("day", pa.string()), ("start", pa.string()), ("end", pa.string())]))
    assert campaign.field("dncLists").type == pa.string()  # an object or a list: JSON text
    assert campaign.field("priority").type == pa.string()
    assert arrow_schema(Contact).field("updatedAt").type == pa.timestamp("ms", tz="UTC")


async def test_batches_of_a_fixed_size_hold_every_record(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=1_234) as emu, make_client(emu) as client:
        batches = [b async for b in client.iter_campaign_contacts(campaign_id(0)).arrow_batches(rows=500)]
        assert [b.num_rows for b in batches] == [500, 500, 234]
        assert all(b.schema == arrow_schema(CampaignContact) for b in batches)
        rows = pa.Table.from_batches(batches).to_pylist()
        expected = msgspec.to_builtins([msgspec.convert(emu.status_row(0, r), CampaignContact) for r in range(1_234)])
        assert rows == expected
        with pytest.raises(InvalidParameterError, match="rows"):
            [b async for b in client.iter_campaign_contacts(campaign_id(0)).arrow_batches(rows=0)]


async def test_campaigns_keep_nested_calling_hours(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(campaigns=30) as emu, make_client(emu) as client:
        table = await client.iter_campaigns("voice").to_arrow()
        assert table.num_rows == 15 and table.schema == arrow_schema(Campaign)
        first = table.to_pylist()[0]
        assert first["id"] == campaign_id(0)
        assert [d["day"] for d in first["dialingStrategy"]["callingHours"]["days"]] == ["MO", "TU", "WE", "TH", "FR"]
        assert first["createdAt"] == datetime(2025, 12, 1, tzinfo=UTC)
        assert first["dncLists"] == '{"id": "cl-emu-dnc", "name": "DNC list"}'


async def test_polars_and_pandas_frames(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(list_contacts=321) as emu, make_client(emu) as client:
        frame = await client.iter_contact_list(contact_list_id(0)).to_polars()
        assert frame.height == 321 and frame["id"].to_list()[:2] == [emu.list_contact(0, r)["_id"] for r in range(2)]
        pandas_frame = await client.iter_contact_list(contact_list_id(1)).to_pandas()
        assert len(pandas_frame) == 321 and str(pandas_frame["createdAt"].dt.tz) == "UTC"


@pytest.mark.parametrize("chunk_rows", [1, 7, 8192])
def test_column_buffer_chunks_hold_the_same_rows(chunk_rows: int) -> None:
    """Converting to Arrow every few rows (to bound the Python objects held) changes nothing
    in the rows taken, nested structs and lists included."""
    from korecampaign_async.emulator import Emulator
    from korecampaign_async.models.arrow import ColumnBuffer

    campaigns = [msgspec.convert(Emulator().campaign(i), Campaign) for i in range(23)]
    buffer = ColumnBuffer(Campaign, chunk_rows=chunk_rows)
    for start in range(0, 23, 5):
        buffer.extend(campaigns[start : start + 5])
    assert len(buffer) == 23
    batch = buffer.take()
    assert isinstance(batch, pa.RecordBatch) and len(buffer) == 0
    reference = ColumnBuffer(Campaign, chunk_rows=10**9)
    reference.extend(campaigns)
    assert batch.to_pylist() == reference.take().to_pylist()
    assert batch.num_rows == 23 and batch.column(0).to_pylist() == [c.id for c in campaigns]
    assert buffer.take().num_rows == 0  # empty afterwards

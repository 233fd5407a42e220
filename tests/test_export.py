"""Exports and their checkpoints, below the CLI: a write that fails half-way through a page
must leave a checkpoint from which a resume delivers every row exactly once."""

from __future__ import annotations

import errno
from collections.abc import Sequence
from pathlib import Path

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

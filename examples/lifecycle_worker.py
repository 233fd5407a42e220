"""A campaign's whole lifecycle, as an event-driven worker runs it: a CRM segment (a CSV or
JSON Lines file) in, outcomes in a database out.

    segment file -> contact list -> import (checked, batched, verified) -> voice campaign
    -> wait until Ready -> start -> wait until Completed -> sync the outcomes (SQLite/PostgreSQL)

Every step is idempotent on a re-run: the list and the campaign are looked up by name before
they are created, the import keeps a checkpoint (``--resume`` semantics), and the sync writes
only what changed. One command against the embedded emulator (no account, no network)::

    python examples/lifecycle_worker.py segment.csv --emulator --db sqlite:///outcomes.db

With a real account, drop ``--emulator`` and set ``KORE_*`` (``KoreCampaignClient.from_env``)
and the campaign settings below (caller id, flow, DNC list) to yours. Each step prints one
JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from korecampaign_async import KoreCampaignClient, open_store, sync
from korecampaign_async.cli.manage_command import read_contacts
from korecampaign_async.models.records import CallerId, CallingDay, CallingHours, DialingStrategy, DncList
from korecampaign_async.models.writes import ContactList, ContactListSpec, VoiceCampaignSpec


def step(what: str, **fields: Any) -> None:
    print(json.dumps({"step": what, "time": round(time.time(), 3), **fields}), flush=True)


def campaign_spec(name: str, list_name: str) -> VoiceCampaignSpec:
    weekdays = [CallingDay(day=d, start="9:00 AM", end="6:00 PM") for d in ("MO", "TU", "WE", "TH", "FR")]
    return VoiceCampaignSpec(
        name=name,
        description=f"Outreach to the segment {list_name}",
        contact_lists=[list_name],
        dnc_lists=DncList(name="DNC list"),
        priority="3",
        dialing_mode="Agentless",
        dialing_strategy=DialingStrategy(
            caller_id=CallerId(phone_number="+14846500000"),
            calling_hours=CallingHours(frequency="WEEKLY", timezone="UTC", days=weekdays),
            dialing_order="FIFO",
            max_attempts_per_record=3,
            default_retry_period=10,
            max_ring_time=30,
        ),
        experience_flow_name="Voice Survey Entry Flow",
        enable_machine_detect="no",
    )


@contextlib.asynccontextmanager
async def connect(emulated: bool) -> AsyncIterator[KoreCampaignClient]:
    if not emulated:
        async with KoreCampaignClient.from_env() as client:
            yield client
        return
    from korecampaign_async.emulator import EmulatorConfig, run_emulator

    # scaled time: the emulated campaign dials its contacts in two seconds
    config = EmulatorConfig(campaigns=4, run_seconds=2.0, prepare_seconds=0.3)
    async with run_emulator(config) as emu, KoreCampaignClient(**emu.client_kwargs(max_concurrency=8)) as client:
        yield client


async def run(segment: str, *, emulated: bool, db: str, poll: float) -> dict[str, Any]:
    stem = Path(segment).stem
    list_name = f"Segment {stem}"[:48]
    campaign_name = f"Outreach {stem}"[:48]
    async with connect(emulated) as client:
        # 1. the contact list: found by name, else created (a re-run reuses it)
        target: ContactList | None = await client.contact_lists.find(list_name)
        if target is None:
            target = await client.contact_lists.create(
                ContactListSpec(name=list_name, description=f"Imported from {Path(segment).name}")
            )
        step("contact_list", id=target.id, name=target.name)

        # 2. the import: every row checked, batches within the budget, a checkpoint beside the file
        rows, first_line = read_contacts(segment)
        checkpoint = Path(segment + ".import-checkpoint.json")
        report = await client.contact_lists.import_contacts(
            target, rows, checkpoint=checkpoint, resume=checkpoint.exists(), start_line=first_line, verify=True
        )
        step("import", **{k: v for k, v in report.as_dict().items() if k != "problems"}, problems=len(report.problems))

        # 3. the campaign: found by name, else created; then Ready, started, Completed
        found = await client.campaigns.find(campaign_name, "voice")
        campaign = found or await client.campaigns.create(campaign_spec(campaign_name, list_name))
        assert campaign.id is not None
        step("campaign", id=campaign.id, name=campaign.name, status=campaign.status)
        state = await client.campaigns.wait(campaign.id, until={"Ready", "Active", "Completed"}, poll=poll)
        if state.status == "Ready":
            started = await client.campaigns.start(campaign.id, type="voice")
            step("start", status=started.status, instance=started.campaign_instance_id)
        state = await client.campaigns.wait(campaign.id, poll=poll, max_poll=max(poll, 30.0))
        step("finished", status=state.status)

        # 4. the outcomes into the database (what `korecampaign sync` does)
        store = open_store(db)
        try:
            synced = await sync(client, store, types=("voice",))
        finally:
            await store.close()
        counts = {k: getattr(synced, k) for k in ("campaigns_seen", "contacts_inserted", "contacts_updated")}
        step("sync", status=synced.status, database=synced.database, **counts)
        return {"campaign": campaign.id, "status": state.status, "imported": report.accepted, "synced": counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("segment", help="CSV (header row with phoneNumber) or JSON Lines of contacts")
    parser.add_argument("--emulator", action="store_true", help="run against an embedded emulator")
    parser.add_argument("--db", default="sqlite:///korecampaign.db", help="where the outcomes go")
    parser.add_argument("--poll", type=float, default=5.0, help="first status poll interval in seconds")
    args = parser.parse_args(argv)
    poll = 0.2 if args.emulator else args.poll
    result = asyncio.run(run(args.segment, emulated=args.emulator, db=args.db, poll=poll))
    step("done", **result)
    return 0 if result["status"] == "Completed" else 1


if __name__ == "__main__":
    sys.exit(main())

"""The emulator's write state: runs in scaled time (an injectable clock), imports that land
after a delay, duplicate policies, and a state file that survives a restart."""

from __future__ import annotations

from pathlib import Path

from korecampaign_async import ContactListSpec, KoreCampaignClient
from korecampaign_async.emulator import EmulatorConfig, State, run_emulator


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_run_dials_in_scaled_time_stops_and_resumes() -> None:
    clock = Clock()
    state = State(EmulatorConfig(run_seconds=10.0, prepare_seconds=1.0), clock=clock)
    doc = state.create_campaign("voice", {"name": "R", "description": "d", "contactLists": ["L"], "status": "x"})
    cid = doc["id"]
    assert state.status_of(cid, "Preparing") == "Preparing"
    clock.now += 1.0
    assert state.status_of(cid, "Preparing") == "Ready"
    state.start(cid)
    clock.now += 4.0
    contacts = [{"phoneNumber": f"+1{i:09d}"} for i in range(10)]
    rows = state.status_rows(cid, contacts)
    assert [r["numberOfAttemptsSoFar"] > 0 for r in rows] == [True] * 4 + [False] * 6
    assert state.status_of(cid, "Ready") == "Active"
    state.stop(cid)
    clock.now += 100.0  # stopped: nothing moves
    assert state.fraction(cid) == 0.4 and state.status_of(cid, "Ready") == "Stopped"
    state.start(cid)  # resumes where it stopped
    clock.now += 6.0
    assert state.fraction(cid) == 1.0 and state.status_of(cid, "Ready") == "Completed"
    assert all(r["dialerOutcome"] for r in state.status_rows(cid, contacts))


def test_queued_contacts_land_after_the_delay_and_follow_the_duplicate_policy() -> None:
    clock = Clock()
    state = State(EmulatorConfig(import_delay=2.0), clock=clock)
    strict = state.create_list({"name": "S", "description": "d", "allowDuplicates": False})["_id"]
    loose = state.create_list({"name": "L", "description": "d", "allowDuplicates": True})["_id"]
    batch = [{"phoneNumber": "+15550000001"}, {"phoneNumber": "+15550000001"}, {"phoneNumber": "+15550000002"}]
    state.queue_contacts(strict, batch)
    state.queue_contacts(loose, batch)
    assert state.added_contacts(strict) == [] and state.added_contacts(loose) == []
    clock.now += 2.0
    assert [c["phoneNumber"] for c in state.added_contacts(strict)] == ["+15550000001", "+15550000002"]
    assert len(state.added_contacts(loose)) == 3


async def test_the_state_file_survives_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "emulator-state.json")
    config = EmulatorConfig(state_file=path, prepare_seconds=0)
    async with run_emulator(config) as emu, KoreCampaignClient(**emu.client_kwargs()) as client:
        created = await client.contact_lists.create(ContactListSpec(name="Kept", description="d"))
        await client.contact_lists.add_contacts("Kept", [{"phoneNumber": "+15550000009"}])
    async with run_emulator(EmulatorConfig(state_file=path)) as emu, KoreCampaignClient(**emu.client_kwargs()) as c:
        again = await c.contact_lists.find("Kept")
        assert again is not None and again.id == created.id
        assert [x.phone_number async for x in c.iter_contact_list(created.id or "")] == ["+15550000009"]

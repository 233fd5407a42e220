"""The Contact Center flavour (``api="contact-center"``) against the emulator serving the
agentassist pages, in both editions: every read and write the SDK has, the edition learned
(or configured), remembered, and the calls those pages do not document refused before any
request. The pages' own samples are checked one by one in test_contact_center_samples.py."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from korecampaign_async import (
    ConfigurationError,
    InvalidParameterError,
    KoreCampaignClient,
    NotFoundError,
    UnsupportedOperationError,
)
from korecampaign_async.emulator import campaign_id, contact_list_id
from korecampaign_async.emulator.cli import CONTACT_CENTER_IID
from korecampaign_async.emulator.state import STARTABLE
from korecampaign_async.models.records import DncList, SmsMessage
from korecampaign_async.models.writes import (
    CallBack,
    ContactListSpec,
    ContactListUpdate,
    ScheduleSpec,
    SmsCampaignSpec,
)
from korecampaign_async.transport.profile import ProfileStore

from .conftest import EmulatorFactory, make_client
from .test_cli import cli_env, run_cli
from .test_client import expected_phones
from .test_resources_campaigns import voice_spec

EDITIONS = ("iid", "stream")


def cc_voice(name: str, **changes: Any) -> Any:
    """A voice body as the Contact Center pages take it: no dncLists, a boolean enableMachineDetect."""
    return voice_spec(name, **{"dnc_lists": None, "enable_machine_detect": False, **changes})


def cc_emulator(factory: EmulatorFactory, edition: str, **config: Any) -> Any:
    return factory(api="contact-center", edition=edition, iid=CONTACT_CENTER_IID, **config)


@pytest.mark.parametrize("server_edition", EDITIONS)
@pytest.mark.parametrize("client_edition", ("auto", "configured"))
async def test_every_read_in_both_editions(
    emulator_factory: EmulatorFactory, server_edition: str, client_edition: str
) -> None:
    """Reads page as in v2 (concurrently, every row once); the edition is learned with at
    most one extra request (``auto``) or none (configured)."""
    edition = server_edition if client_edition == "configured" else "auto"
    async with (
        cc_emulator(emulator_factory, server_edition, contacts=450, list_contacts=230, campaigns=6) as emu,
        make_client(emu, edition=edition, page_size=100) as client,
    ):
        assert client.api == "contact-center"
        rows = await client.iter_campaign_contacts(campaign_id(0)).collect()
        assert [r.phone_number for r in rows] == expected_phones(emu, 0, 450)
        wasted = client.stats.requests - 5  # five pages of 100
        assert wasted == (1 if client_edition == "auto" and server_edition == "stream" else 0)
        assert client.edition == server_edition and emu.stats.duplicate_pages() == {}
        contacts = await client.iter_contact_list(contact_list_id(1)).collect()
        assert [c.id for c in contacts] == [emu.list_contact(1, r)["_id"] for r in range(230)]
        voice = await client.iter_campaigns("voice").collect()
        sms = await client.iter_campaigns("sms").collect()
        assert [c.id for c in voice] == [campaign_id(i) for i in (0, 2, 4)]
        assert [c.id for c in sms] == [campaign_id(i) for i in (1, 3, 5)]
        one = await client.get_campaign(campaign_id(2))
        assert one.id == campaign_id(2) and one.name
        state = await client.campaigns.status(campaign_id(2))
        assert state.id == campaign_id(2) and state.status
        page = await client.get_campaign_contacts(campaign_id(0), page=2, limit=100)
        assert [r.phone_number for r in page.results] == expected_phones(emu, 0, 450)[100:200]


@pytest.mark.parametrize("server_edition", EDITIONS)
async def test_every_write_in_both_editions(emulator_factory: EmulatorFactory, server_edition: str) -> None:
    """Contact lists (create, get, update, list, import, delete) and campaigns (create in every
    dialing mode and SMS, update, start, stop, delete) against a server of either edition."""
    async with (
        cc_emulator(emulator_factory, server_edition, run_seconds=30, prepare_seconds=0) as emu,
        make_client(emu) as client,
    ):
        created = await client.contact_lists.create(ContactListSpec(name="CC list", description="made here"))
        assert created.id and created.name == "CC list"
        assert (await client.contact_lists.get(created.id)).name == "CC list"
        updated = await client.contact_lists.update(created.id, ContactListUpdate(name="CC list 2"))
        assert updated.contact_list_id == created.id and updated.body["name"] == "CC list 2"
        listed = await client.contact_lists.list()
        assert created.id in {c.id for c in listed} and contact_list_id(0) in {c.id for c in listed}
        report = await client.contact_lists.import_contacts(
            "CC list 2", [{"phoneNumber": f"+1484650{n:04d}"} for n in range(30)], batch_size=10, verify=True
        )
        assert (report.accepted, report.batches, report.verified) == (30, 3, True)
        assert (await client.contact_lists.get(created.id)).total_record_count == 30

        ids = []
        for n, mode in enumerate(("Agentless", "Progressive", "Preview")):
            extra: dict[str, Any] = {"dialing_mode": mode}
            if mode != "Agentless":
                extra.update(queue_name="Default Queue", experience_flow_name=None)
            if mode == "Preview":
                extra["max_skips"] = 1
            campaign = await client.campaigns.create(cc_voice(f"CC voice {n}", contact_lists=["CC list 2"], **extra))
            assert campaign.id and campaign.id.startswith("cd-")
            ids.append(campaign.id)
        sms = await client.campaigns.create(
            SmsCampaignSpec(
                name="CC sms",
                description="texts",
                contact_lists=["CC list 2"],
                priority="3",
                format="simple",
                message=SmsMessage(message="SGVsbG8="),
                dialing_strategy=voice_spec().dialing_strategy,
            )
        )
        assert sms.id
        renamed = await client.campaigns.update(ids[0], cc_voice("CC voice renamed", contact_lists=["CC list 2"]))
        assert renamed.id == ids[0] and renamed.name == "CC voice renamed"
        started = await client.campaigns.start(ids[0], type="voice")
        assert started.status == "Active"
        assert (await client.campaigns.status(ids[0])).status == "Active"
        stopped = await client.campaigns.stop(ids[0], type="voice")
        assert stopped.status == "Stopped"
        deleted = await client.campaigns.delete(ids[1], type="voice", confirm=True)
        assert deleted.id == ids[1]
        with pytest.raises(NotFoundError):
            await client.campaigns.get(ids[1])
        for cid in (ids[0], ids[2], sms.id):
            await client.campaigns.delete(cid, type="sms" if cid == sms.id else "voice", confirm=True)
        gone = await client.contact_lists.delete(created.id, confirm=True)
        # the current page returns the deleted list; the older one only a status
        assert (gone.id if gone is not None else None) == (created.id if server_edition == "iid" else None)
        with pytest.raises(NotFoundError):
            await client.contact_lists.get(created.id)
        assert emu.stats.by_endpoint["trigger"] == 2


async def test_the_edition_is_remembered_and_a_contradiction_learned_again(emulator_factory: EmulatorFactory) -> None:
    """A second client spends no request finding the edition; a server that changed edition
    since costs one request, and the profile follows it."""
    store = ProfileStore()
    async with cc_emulator(emulator_factory, "stream", contacts=120) as emu:
        async with make_client(emu, profile=store) as first:
            await first.campaigns.status(campaign_id(0))
            assert first.stats.requests == 2 and first.edition == "stream"
        async with make_client(emu, profile=store) as second:
            assert second.profile.edition == "stream"
            await second.campaigns.status(campaign_id(0))
            assert second.stats.requests == 1
        emu.config.edition = "iid"  # the server moved to the current pages since
        async with make_client(emu, profile=store) as third:
            await third.campaigns.status(campaign_id(0))
            assert third.stats.requests == 2 and third.edition == "iid" and third.profile.edition == "iid"


async def test_a_configured_edition_is_never_second_guessed(emulator_factory: EmulatorFactory) -> None:
    async with cc_emulator(emulator_factory, "stream") as emu, make_client(emu, edition="iid") as client:
        with pytest.raises(NotFoundError):
            await client.campaigns.status(campaign_id(0))
        assert client.stats.requests == 1


async def test_a_real_404_costs_one_extra_request_until_the_edition_is_known(emulator_factory: EmulatorFactory) -> None:
    async with cc_emulator(emulator_factory, "iid") as emu, make_client(emu) as client:
        with pytest.raises(NotFoundError, match="cd-nope"):
            await client.get_campaign("cd-nope")
        assert client.stats.requests == 2  # the other edition asked once, then the first answer stands
        await client.campaigns.status(campaign_id(0))
        with pytest.raises(NotFoundError):
            await client.get_campaign("cd-nope")
        assert client.stats.requests == 4  # confirmed: one request each


@pytest.mark.parametrize("server_edition", EDITIONS)
async def test_schedule_goes_to_its_only_documented_path(
    emulator_factory: EmulatorFactory, server_edition: str
) -> None:
    """Kore documents the schedule calls on the v2 path only (the Contact Center API list links
    those pages): a Contact Center client sends them there, addressed as v2."""
    async with cc_emulator(emulator_factory, server_edition) as emu, make_client(emu) as client:
        spec = msgspec.convert(
            {
                "startDateTime": "2026-01-27 18:29:00",
                "endDateTime": "2030-02-27 18:29:00",
                "recurrenceObject": {"recurType": "Daily", "dailyDetails": {"onceEveryNdays": 2}},
            },
            ScheduleSpec,
        )
        result = await client.campaigns.schedule("Voice Campaign 0", spec)
        assert result.id == campaign_id(0)
        campaign = await client.get_campaign(campaign_id(0))
        assert campaign.schedule is not None and campaign.schedule.is_scheduling_enabled is True
        await client.campaigns.unschedule("Voice Campaign 0")
        campaign = await client.get_campaign(campaign_id(0))
        assert campaign.schedule is not None and campaign.schedule.is_scheduling_enabled is False
        assert emu.stats.by_endpoint["schedule"] == 2 and emu.stats.by_status[200] == emu.stats.requests - (
            1 if server_edition == "stream" else 0  # the edition learned on the first read
        )


async def test_an_undocumented_call_is_refused_before_any_request(emulator_factory: EmulatorFactory) -> None:
    async with cc_emulator(emulator_factory, "iid") as emu, make_client(emu) as client:
        with pytest.raises(UnsupportedOperationError, match=r"client.campaigns.call_back .*callContactAt.*api='v2'"):
            await client.campaigns.call_back("cid-1", [CallBack(campaign_dialing_list_id="x", time_to_contact="y")])
        assert emu.stats.requests == 0


async def test_v1_bodies_are_checked_before_any_request(emulator_factory: EmulatorFactory) -> None:
    async with cc_emulator(emulator_factory, "iid") as emu, make_client(emu) as client:
        with pytest.raises(InvalidParameterError, match="dncLists") as err:
            await client.campaigns.create(voice_spec("with dnc", enable_machine_detect=False))
        assert err.value.field == "dncLists"
        with pytest.raises(InvalidParameterError, match="enableMachineDetect") as err:
            await client.campaigns.create(cc_voice("string detect", enable_machine_detect="detect"))
        assert err.value.field == "enableMachineDetect" and "true or false" in err.value.allowed
        with pytest.raises(InvalidParameterError, match="enableMachineDetect"):
            await client.campaigns.create(cc_voice("no detect", enable_machine_detect=None))
        with pytest.raises(InvalidParameterError, match="dncLists"):
            await client.campaigns.create(
                SmsCampaignSpec(
                    name="s",
                    description="d",
                    contact_lists=["List 0"],
                    dnc_lists=DncList(name="DNC"),
                    format="simple",
                    message=SmsMessage(message="SGk="),
                    dialing_strategy=voice_spec().dialing_strategy,
                )
            )
        assert emu.stats.requests == 0
    # and the other way round: a v1 body sent to v2 is refused before sending too
    async with emulator_factory() as emu, make_client(emu) as v2:
        with pytest.raises(InvalidParameterError, match="dncLists"):
            await v2.campaigns.create(cc_voice("v1 body"))
        assert emu.stats.requests == 0


def test_bad_settings_name_the_setting() -> None:
    kwargs: dict[str, Any] = {"host": "https://h.example", "stream_id": "st-1", "account_id": "a", "auth": "t"}
    with pytest.raises(InvalidParameterError, match=r"api=.contact_center.*'v2'.*'contact-center'") as err:
        KoreCampaignClient(**kwargs, api="contact_center")  # type: ignore[arg-type]
    assert err.value.field == "api"
    with pytest.raises(InvalidParameterError) as err:
        KoreCampaignClient(**kwargs, api="contact-center", iid="x", edition="new")  # type: ignore[arg-type]
    assert err.value.field == "edition" and "'stream'" in err.value.allowed
    with pytest.raises(ConfigurationError, match="needs iid") as cfg:
        KoreCampaignClient(**kwargs, api="contact-center")
    assert cfg.value.missing == ("KORE_IID",)
    KoreCampaignClient(**kwargs, api="contact-center", edition="stream")  # the older pages need no iid
    with pytest.raises(InvalidParameterError) as err:
        KoreCampaignClient.from_env({"KORE_API": "v3"}, **kwargs)
    assert err.value.field == "KORE_API"
    env = {"KORE_API": "contact-center", "KORE_API_EDITION": "stream"}
    client = KoreCampaignClient.from_env(env, **kwargs)
    assert (client.api, client.edition) == ("contact-center", "stream")
    assert "api='contact-center'" in repr(client)


async def test_the_learned_edition_is_logged_once(
    emulator_factory: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with cc_emulator(emulator_factory, "stream") as emu, make_client(emu) as client:
        with caplog.at_level(logging.INFO, logger="korecampaign_async"):
            for _ in range(3):
                await client.campaigns.status(campaign_id(0))
        notes = [r for r in caplog.records if "edition" in r.getMessage()]
        assert len(notes) == 1 and "stream" in notes[0].getMessage()
        assert client.stats.discrepancies == 1


# -- the command line --------------------------------------------------------------------------


async def test_the_cli_speaks_the_contact_center_pages(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    """``--api contact-center`` (or ``KORE_API``): check, export, import and a start, against a
    server of the older edition, learned by itself; a flavour that does not exist is a usage
    error naming the setting, before any request."""
    async with cc_emulator(emulator_factory, "stream", contacts=250, run_seconds=30, prepare_seconds=0) as emu:
        env = cli_env(emu)
        assert env["KORE_API"] == "contact-center"
        rc, out, err = await run_cli("check", env=env)
        assert rc == 0, err
        assert re.search(r"api\s+contact-center \(agentassist v1 pages\), edition stream", out), out
        assert emu.stats.by_status[200] >= 4 and emu.stats.by_endpoint["campaigns"] >= 2
        csv_out = tmp_path / "contacts.csv"
        rc, _, err = await run_cli("export", "campaign-contacts", campaign_id(0), "--out", str(csv_out), env=env)
        assert rc == 0, err
        assert len(csv_out.read_text().splitlines()) == 251
        rows = tmp_path / "rows.csv"
        rows.write_text("phoneNumber\n" + "".join(f"+1484650{n:04d}\n" for n in range(20)))
        rc, _, err = await run_cli("contact-lists", "import", "List 1", str(rows), "--batch-size", "10", env=env)
        assert rc == 0, err
        ready = next(campaign_id(i) for i in range(0, 20, 2) if emu.campaign(i)["status"] in STARTABLE)
        rc, out, err = await run_cli("campaigns", "start", ready, "--json", env=env)
        assert rc == 0, err
        assert json.loads(out)["status"] == "Active"
        requests = emu.stats.requests
        rc, _, err = await run_cli("check", env={**env, "KORE_API": "agentassist"})
        assert rc == 2 and "KORE_API" in err and "'contact-center'" in err and "Traceback" not in err
        rc, _, err = await run_cli("check", "--api", "v3", env=env)
        assert rc == 2 and "KORE_API" in err and "'v2'" in err
        rc, _, err = await run_cli("check", env={**env, "KORE_IID": ""})
        assert rc == 3 and "needs iid" in err and "--iid" in err
        assert emu.stats.requests == requests  # none of the three sent anything


@pytest.mark.parametrize("edition", EDITIONS)
async def test_the_demo_runs_export_and_lifecycle_on_the_contact_center_pages(edition: str) -> None:
    rc, out, err = await run_cli(
        "demo",
        "--api",
        "contact-center",
        "--api-edition",
        edition,
        "--contacts",
        "2000",
        "--latency-ms",
        "2",
        "-q",
        env=cli_env(),
    )
    assert rc == 0, err
    assert "rows written      2,000 (expected 2,000)" in out
    assert f"lifecycle (contact-center, {edition} edition)" in out and "50 contacts dialled, both deleted" in out
    assert f"Contact Center pages, {edition} edition" in err


@pytest.mark.parametrize("server_edition", EDITIONS)
async def test_sync_and_report_work_unchanged_on_top(
    emulator_factory: EmulatorFactory, tmp_path: Path, server_edition: str
) -> None:
    """`korecampaign sync` and `korecampaign report` on a Contact Center server: the same rows
    as the API serves, and an unchanged account re-synced for the list requests only."""
    from korecampaign_async.stores import open_store, query
    from korecampaign_async.sync import sync

    db = f"sqlite:///{tmp_path}/cc.db"
    async with (
        cc_emulator(emulator_factory, server_edition, campaigns=4, contacts=300, list_contacts=120) as emu,
        make_client(emu) as client,
    ):
        reports = []
        for _ in range(2):
            store = open_store(db)
            await store.open()
            try:
                reports.append(await sync(client, store, contact_lists=[contact_list_id(0)]))
            finally:
                await store.close()
        rows = await query(db, "SELECT phone_number FROM campaign_contacts WHERE campaign_id = ?", campaign_id(0))
        assert sorted(r[0] for r in rows) == sorted(expected_phones(emu, 0, 300))
        assert reports[0].contacts_inserted >= 300 and reports[1].contacts_inserted == 0
        page = tmp_path / "report.html"
        rc, _, err = await run_cli("report", campaign_id(0), "--db", db, "--out", str(page), env=cli_env(emu))
        assert rc == 0, err
        assert "<b>300</b>contacts" in page.read_text()


async def test_a_fleet_of_both_flavours_shares_the_budget_not_the_profile(
    emulator_factory: EmulatorFactory, redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A v2 worker and a Contact Center worker of one bot on one Redis budget: one key for the
    windows, a shared profile per flavour (no "belongs to another server" warning, nothing of
    one flavour's paging taken for the other's)."""
    import uuid

    from korecampaign_async import RedisRateLimit

    key = f"two-flavours:{uuid.uuid4()}"
    async with (
        emulator_factory(contacts=150) as v2_emu,
        cc_emulator(emulator_factory, "stream", contacts=150) as cc_emu,
    ):
        v2_budget = RedisRateLimit(redis_url, key=key, windows=[(1000, 1.0)])
        cc_budget = RedisRateLimit(redis_url, key=key, windows=[(1000, 1.0)])
        with caplog.at_level(logging.WARNING, logger="korecampaign_async"):
            async with make_client(v2_emu, rate_limit=v2_budget, profile=ProfileStore(tmp_path / "a")) as v2:
                await v2.iter_contact_list(contact_list_id(0)).collect()
            async with make_client(cc_emu, rate_limit=cc_budget, profile=ProfileStore(tmp_path / "b")) as cc:
                await cc.campaigns.status(campaign_id(0))
                assert cc.edition == "stream"
            async with make_client(cc_emu, rate_limit=cc_budget, profile=ProfileStore(tmp_path / "c")) as again:
                assert again.profile.edition == "stream"  # from Redis: the third worker's own cache is empty
        assert v2_budget._profile_key() != cc_budget._profile_key()
        v2_shared = json.loads(await v2_budget.load_profile() or b"{}")
        assert v2_shared.get("edition") is None and v2_shared["page_sizes"] == {"contacts": 1000}
        assert not [r for r in caplog.records if "another server" in r.getMessage()]
        await v2_budget.close()
        await cc_budget.close()


async def test_the_contact_center_listing_filters_agentless_too(emulator_factory: EmulatorFactory) -> None:
    """koredotcom-docs/get-all-campaigns.md: dialingMode Agentless/Preview/Progressive (v2:
    Progressive/Preview); refused with v2 before any request."""
    async with cc_emulator(emulator_factory, "iid", campaigns=8) as emu, make_client(emu) as client:
        created = await client.campaigns.create(cc_voice("Agentless one"))  # among Progressive/Preview ones
        listed = await client.iter_campaigns("voice", filters={"dialingMode": ["Agentless"]}).collect()
        assert [c.id for c in listed] == [created.id]
    async with emulator_factory() as emu, make_client(emu) as v2:
        with pytest.raises(InvalidParameterError) as err:
            await v2.list_campaigns("voice", filters={"dialingMode": ["Agentless"]})
        assert err.value.field == "filters.dialingMode" and emu.stats.requests == 0

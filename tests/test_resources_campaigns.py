"""client.campaigns against the stateful emulator: validation before sending, the lifecycle
(create -> Ready -> start -> Completed), and writes that are never doubled when the answer
is lost after the server applied them."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from korecampaign_async import InvalidParameterError, NotFoundError, OutcomeUnknownError, ValidationError
from korecampaign_async.models.records import CallerId, CallingDay, CallingHours, DialingStrategy, DncList, SmsMessage
from korecampaign_async.models.writes import (
    CallBack,
    DailyRecurrence,
    Recurrence,
    ScheduleSpec,
    SmsCampaignSpec,
    VoiceCampaignSpec,
)

from .conftest import EmulatorFactory, make_client


def hours() -> CallingHours:
    days = [CallingDay(day=d, start="9:00 AM", end="6:00 PM") for d in ("MO", "TU", "WE", "TH", "FR")]
    return CallingHours(frequency="WEEKLY", timezone="Asia/Kolkata", days=days)


def voice_spec(name: str = "Renewals", **changes: Any) -> VoiceCampaignSpec:
    spec = VoiceCampaignSpec(
        name=name,
        description="Renewal reminders",
        contact_lists=["List 0"],
        dnc_lists=DncList(name="DNC list"),
        priority="5",
        dialing_mode="Agentless",
        dialing_strategy=DialingStrategy(
            caller_id=CallerId(phone_number="+14846500000"),
            calling_hours=hours(),
            dialing_order="FIFO",
            max_attempts_per_record=3,
            default_retry_period=10,
            max_ring_time=30,
        ),
        experience_flow_name="Voice Survey Entry Flow",
        enable_machine_detect="no",
    )
    return msgspec.structs.replace(spec, **changes)


def _strategy(**changes: Any) -> DialingStrategy:
    strategy = voice_spec().dialing_strategy
    assert strategy is not None
    return msgspec.structs.replace(strategy, **changes)


BAD_VOICE = [
    ({"name": ""}, "name"),
    ({"name": "x" * 49}, "name"),
    ({"description": "d" * 257}, "description"),
    ({"contact_lists": []}, "contactLists"),
    ({"dnc_lists": None}, "dncLists.name"),
    ({"priority": "7"}, "priority"),
    ({"dialing_mode": "Robocall"}, "dialingMode"),
    ({"dialing_mode": "Progressive"}, "queue_name"),
    ({"dialing_mode": "Preview", "queue_name": "Q"}, "maxSkips"),
    ({"experience_flow_name": None}, "experienceFlowName"),
    ({"enable_machine_detect": "maybe"}, "enableMachineDetect"),
    ({"dialing_strategy": _strategy(max_ring_time=4)}, "dialingStrategy.maxRingTime"),
    ({"dialing_strategy": _strategy(max_attempts_per_record=101)}, "dialingStrategy.maxAttemptsPerRecord"),
    ({"dialing_strategy": _strategy(default_retry_period=0)}, "dialingStrategy.defaultRetryPeriod"),
    ({"dialing_strategy": _strategy(dialing_order="RANDOM")}, "dialingStrategy.dialingOrder"),
    ({"dialing_strategy": _strategy(caller_id=None)}, "dialingStrategy.callerId.phoneNumber"),
    (
        {"dialing_strategy": _strategy(calling_hours=msgspec.structs.replace(hours(), timezone="Mars/Olympus"))},
        "dialingStrategy.callingHours.timezone",
    ),
    (
        {"dialing_strategy": _strategy(calling_hours=msgspec.structs.replace(hours(), frequency="HOURLY"))},
        "dialingStrategy.callingHours.frequency",
    ),
    (
        {
            "dialing_strategy": _strategy(
                calling_hours=msgspec.structs.replace(hours(), days=[CallingDay(day="XX", start="9:00 AM", end="5 PM")])
            )
        },
        "dialingStrategy.callingHours.days[0].day",
    ),
    (
        {
            "dialing_strategy": _strategy(
                calling_hours=msgspec.structs.replace(
                    hours(), days=[CallingDay(day="MO", start="9:00 AM", end="25:00")]
                )
            )
        },
        "dialingStrategy.callingHours.days[0].end",
    ),
]


@pytest.mark.parametrize(("changes", "field"), BAD_VOICE, ids=[f for _, f in BAD_VOICE])
async def test_bad_specs_fail_before_any_request(
    emulator_factory: EmulatorFactory, changes: dict[str, Any], field: str
) -> None:
    async with emulator_factory() as emu, make_client(emu) as client:
        with pytest.raises(InvalidParameterError) as err:
            await client.campaigns.create(voice_spec(**changes))
        assert err.value.field == field and "allowed" in str(err.value)
        assert emu.stats.requests == 0


async def test_sms_rules_and_confirmations_before_any_request(emulator_factory: EmulatorFactory) -> None:
    base = SmsCampaignSpec(
        name="SMS",
        description="d",
        contact_lists=["List 0"],
        priority="1",
        format="simple",
        message=SmsMessage(message="SGVsbG8="),
        dialing_strategy=DialingStrategy(caller_id=CallerId(phone_number="+1555"), calling_hours=hours()),
    )
    async with emulator_factory() as emu, make_client(emu) as client:
        for changes, field in (
            ({"format": "rich"}, "format"),
            ({"message": None}, "message.message"),
            ({"format": "advanced"}, "experienceFlowName"),
        ):
            with pytest.raises(InvalidParameterError, match=field.replace(".", r"\.")):
                await client.campaigns.create(msgspec.structs.replace(base, **changes))
        with pytest.raises(InvalidParameterError, match="confirm"):
            await client.campaigns.delete("cd-emu-000000", type="voice")
        with pytest.raises(InvalidParameterError, match="endDateTime"):
            spec = ScheduleSpec(
                start_date_time="2026-02-01 10:00:00",
                end_date_time="2026-01-01 10:00:00",
                recurrence_object=Recurrence(recur_type="Daily", daily_details=DailyRecurrence(once_everyndays=1)),
            )
            await client.campaigns.schedule("Voice Campaign 0", spec)
        with pytest.raises(InvalidParameterError, match="timeToContact"):
            await client.campaigns.call_back("cid-1", [CallBack(campaign_dialing_list_id="x", time_to_contact="soon")])
        assert emu.stats.requests == 0
        created = await client.campaigns.create(base)
        assert created.status == "Preparing" and created.message is not None


async def test_lifecycle_create_start_wait_completed(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(list_contacts=40, run_seconds=0.6, prepare_seconds=0.1) as emu, make_client(emu) as c:
        created = await c.campaigns.create(voice_spec())
        assert created.id and created.status == "Preparing"
        seen: list[str] = []
        ready = await c.campaigns.wait(
            created.id, until={"Ready"}, poll=0.05, on_status=lambda s: seen.append(s.status or "")
        )
        assert ready.status == "Ready" and seen[0] == "Preparing"
        started = await c.campaigns.start(created.id, type="voice")
        assert started.status == "Active" and started.campaign_instance_id
        with pytest.raises(ValidationError, match="already active"):
            await c.campaigns.start(created.id, type="voice")
        middle = await c.get_campaign_contacts(created.id)
        assert len(middle.results) == 40
        done = await c.campaigns.wait(created.id, poll=0.05, max_poll=0.2)
        assert done.status == "Completed"
        rows = await c.iter_campaign_contacts(created.id).collect()
        assert len(rows) == 40 and all(r.number_of_attempts_so_far >= 1 and r.dialer_outcome for r in rows)
        assert (await c.campaigns.get(created.id)).campaign_instance_id == started.campaign_instance_id
        # listed with the generated campaigns, found by name, then deleted
        assert (await c.campaigns.find("renewals", "voice")) is not None
        deleted = await c.campaigns.delete(created.id, type="voice", confirm=True)
        assert deleted.id == created.id
        with pytest.raises(NotFoundError):
            await c.campaigns.get(created.id)


async def test_stop_freezes_the_run_and_wait_can_be_cancelled(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(list_contacts=50, run_seconds=30, prepare_seconds=0) as emu, make_client(emu) as c:
        created = await c.campaigns.create(voice_spec("Long one"))
        assert created.id
        await c.campaigns.start(created.id, type="voice")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await c.campaigns.wait(created.id, poll=0.05)
        stopped = await c.campaigns.stop(created.id, type="voice")
        assert stopped.status == "Stopped"
        assert (await c.campaigns.wait(created.id, poll=0.05)).status == "Stopped"


async def test_schedule_unschedule_and_call_back(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(prepare_seconds=0) as emu, make_client(emu) as c:
        spec = ScheduleSpec(
            start_date_time="2026-01-27 18:29:00",
            end_date_time="2030-02-27 18:29:00",
            recurrence_object=Recurrence(recur_type="Daily", daily_details=DailyRecurrence(once_everyndays=2)),
        )
        result = await c.campaigns.schedule("Voice Campaign 0", spec)
        assert result.id == "cd-emu-000000"
        campaign = await c.get_campaign("cd-emu-000000")
        assert campaign.schedule is not None and campaign.schedule.is_scheduling_enabled is True
        await c.campaigns.unschedule("Voice Campaign 0")
        campaign = await c.get_campaign("cd-emu-000000")
        assert campaign.schedule is not None and campaign.schedule.is_scheduling_enabled is False
        with pytest.raises(NotFoundError):
            await c.campaigns.unschedule("No Such Campaign")
        started = await c.campaigns.start("cd-emu-000002", type="voice")  # a generated Ready campaign
        assert started.campaign_instance_id
        results = await c.campaigns.call_back(
            started.campaign_instance_id,
            [
                CallBack(campaign_dialing_list_id="a", time_to_contact="2020-01-01T00:00:00Z"),
                CallBack(campaign_dialing_list_id="b", time_to_contact="2099-01-01T00:00:00Z"),
            ],
        )
        assert [(r.status, r.reason) for r in results] == [("failed", "time_in_past"), ("success", None)]


# -- writes never doubled ---------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["slow-after-write", "drop-after-write"])
async def test_a_create_whose_answer_is_lost_is_found_not_repeated(
    emulator_factory: EmulatorFactory, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with emulator_factory(slow_seconds=2.0) as emu, make_client(emu, timeout=0.5) as c:
        emu.inject(fault, endpoint="create")  # type: ignore[arg-type]
        created = await c.campaigns.create(voice_spec("Exactly once"))
        assert created.name == "Exactly once" and created.id
        assert emu.stats.by_endpoint["create"] == 1  # never sent twice
        same = [x async for x in c.iter_campaigns("voice") if x.name == "Exactly once"]
        assert [x.id for x in same] == [created.id]
    assert any("it exists, continuing with it" in r.getMessage() for r in caplog.records)


async def test_a_create_refused_before_processing_is_retried(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory() as emu, make_client(emu) as c:
        emu.inject("503", "429", endpoint="create")
        created = await c.campaigns.create(voice_spec("After a 503"))
        assert created.id and emu.stats.by_endpoint["create"] == 3


async def test_an_unknown_create_that_is_not_there_raises_saying_so(emulator_factory: EmulatorFactory) -> None:
    """A 502 may or may not have been applied; the lookup finds nothing (here: not applied):
    the error says what is unknown and how to find out; nothing is sent again."""
    async with emulator_factory() as emu, make_client(emu) as c:
        emu.inject("502", endpoint="create")
        with pytest.raises(OutcomeUnknownError, match="may still appear") as err:
            await c.campaigns.create(voice_spec("Maybe"))
        assert err.value.cause == "HTTP 502" and "find('Maybe', 'voice')" in err.value.unknown
        assert emu.stats.by_endpoint["create"] == 1
        assert await c.campaigns.find("Maybe", "voice") is None


async def test_a_start_whose_answer_is_lost_is_confirmed_by_status(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(slow_seconds=2.0, run_seconds=60) as emu, make_client(emu, timeout=0.5) as c:
        emu.inject("slow-after-write", endpoint="trigger")
        result = await c.campaigns.start("cd-emu-000002", type="voice")
        assert result.status == "Active" and "confirmed" in (result.message or "")
        assert emu.stats.by_endpoint["trigger"] == 1


async def test_a_lost_start_on_a_campaign_that_already_finished_is_not_replayed(
    emulator_factory: EmulatorFactory,
) -> None:
    """The start applies, the campaign runs 0.3 s and completes, the answer comes 3 s late:
    ``Completed`` is a status only a started campaign reaches, so the start applied. A
    second ``play`` would dial the finished campaign again (the emulator refuses it)."""
    async with (
        emulator_factory(slow_seconds=3.0, run_seconds=0.3, prepare_seconds=0) as emu,
        make_client(emu, timeout=1.0) as c,
    ):
        emu.inject("slow-after-write", endpoint="trigger")
        result = await c.campaigns.start("cd-emu-000002", type="voice")
        assert result.status == "Completed" and "confirmed" in (result.message or "")
        assert emu.stats.by_endpoint["trigger"] == 1


async def test_a_start_that_did_not_apply_is_sent_once_more_after_settling(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(run_seconds=60) as emu, make_client(emu) as c:
        c.campaigns.settle_seconds = 0.3
        emu.inject("502", endpoint="trigger")  # answered before anything was applied
        result = await c.campaigns.start("cd-emu-000002", type="voice")
        assert result.status == "Active" and emu.stats.by_endpoint["trigger"] == 2
        assert emu.stats.by_endpoint["status"] >= 2  # read again while it showed no effect


async def test_a_lost_start_on_a_stopped_campaign_is_reported_unknown(emulator_factory: EmulatorFactory) -> None:
    """``Stopped`` after a lost start: started and stopped since, or never started. Not sent
    again: the error says what is unknown."""
    async with emulator_factory(run_seconds=60) as emu, make_client(emu) as c:
        c.campaigns.settle_seconds = 0.1
        assert (await c.campaigns.status("cd-emu-000005")).status == "Stopped"
        emu.inject("502", endpoint="trigger")
        with pytest.raises(OutcomeUnknownError, match="its status is Stopped") as err:
            await c.campaigns.start("cd-emu-000005", type="sms")
        assert err.value.cause == "HTTP 502" and emu.stats.by_endpoint["trigger"] == 1


async def test_a_lost_stop_on_a_campaign_that_completed_is_not_replayed(emulator_factory: EmulatorFactory) -> None:
    async with (
        emulator_factory(slow_seconds=2.0, run_seconds=0.3, prepare_seconds=0) as emu,
        make_client(emu, timeout=0.5) as c,
    ):
        await c.campaigns.start("cd-emu-000002", type="voice")
        await asyncio.sleep(0.4)  # completed: the emulator would refuse a stop now
        emu.inject("502", endpoint="trigger")
        result = await c.campaigns.stop("cd-emu-000002", type="voice")
        assert result.status == "Completed" and emu.stats.by_endpoint["trigger"] == 2


async def test_a_delete_whose_answer_is_lost_is_confirmed_by_a_404(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(slow_seconds=2.0) as emu, make_client(emu, timeout=0.5) as c:
        emu.inject("slow-after-write", endpoint="delete")
        result = await c.campaigns.delete("cd-emu-000006", type="voice", confirm=True)
        assert result.id == "cd-emu-000006" and "gone" in (result.message or "")
        assert emu.stats.by_endpoint["delete"] == 1


async def test_server_side_rules_are_reported_as_typed_errors(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory() as emu, make_client(emu) as c:
        with pytest.raises(ValidationError, match="already exists"):
            await c.campaigns.create(voice_spec("Voice Campaign 0"))  # a generated campaign's name
        with pytest.raises(ValidationError, match="does not exist"):
            await c.campaigns.create(voice_spec("Orphan", contact_lists=["No such list"]))

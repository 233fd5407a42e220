"""``korecampaign campaigns ...`` and ``korecampaign contact-lists ...`` as subprocesses
against the stateful emulator: JSON output, exit codes, --yes, and an import killed with
SIGKILL that --resume completes exactly once."""

from __future__ import annotations

import asyncio
import csv
import json
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from korecampaign_async import KoreCampaignClient

from .conftest import EmulatorFactory
from .test_cli import CLI, cli_env, run_cli

SPEC = {
    "name": "CLI Renewals",
    "description": "Created from the command line",
    "contactLists": ["CLI list"],
    "dncLists": {"name": "DNC list"},
    "priority": "3",
    "dialingMode": "Agentless",
    "dialingStrategy": {
        "callerId": {"phoneNumber": "+14846500000"},
        "callingHours": {
            "frequency": "WEEKLY",
            "timezone": "Asia/Kolkata",
            "days": [{"day": "MO", "start": "9:00 AM", "end": "6:00 PM"}],
        },
        "dialingOrder": "FIFO",
        "maxAttemptsPerRecord": 3,
        "defaultRetryPeriod": 10,
        "maxRingTime": 30,
    },
    "experienceFlowName": "Voice Survey Entry Flow",
    "enableMachineDetect": "no",
    "campaignType": "voice",
}


def write_csv(path: Path, n: int, *, bad: tuple[int, ...] = ()) -> list[str]:
    numbers = []
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["phoneNumber", "first name", "email"])
        for i in range(n):
            phone = "oops" if i in bad else f"+1666{i:07d}"
            writer.writerow([phone, f"Person {i}", f"p{i}@example.com"])
            if i not in bad:
                numbers.append(phone)
    return numbers


async def list_numbers(emu: Any, list_id: str) -> Counter[str]:
    async with KoreCampaignClient(**emu.client_kwargs()) as client:
        return Counter([c.phone_number async for c in client.iter_contact_list(list_id)])


@pytest.mark.slow
async def test_lists_and_campaigns_lifecycle(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    async with emulator_factory(run_seconds=0.5, prepare_seconds=0.1) as emu:
        env = cli_env(emu)
        rc, out, err = await run_cli("contact-lists", "create", "CLI list", "--description", "d", "--json", env=env)
        assert rc == 0, err
        list_id = json.loads(out)["id"]
        data = tmp_path / "segment.csv"
        numbers = write_csv(data, 250, bad=(9, 120))
        rc, out, err = await run_cli("contact-lists", "import", "CLI list", str(data), "--batch-size", "100", env=env)
        assert rc == 0, err
        assert "248 accepted, 2 rejected" in out and "line 11:" in err and "line 122:" in err
        assert not Path(str(data) + ".import-checkpoint.json").exists()
        assert await list_numbers(emu, list_id) == Counter(numbers)
        rc, out, _ = await run_cli("contact-lists", "show", list_id, "--json", env=env)
        assert rc == 0 and json.loads(out)["totalRecordCount"] == 248
        rc, out, _ = await run_cli("contact-lists", "list", env=env)
        assert rc == 0 and "CLI list" in out

        spec = tmp_path / "campaign.json"
        spec.write_text(json.dumps(SPEC))
        rc, out, err = await run_cli("campaigns", "create", "--spec", str(spec), "--json", env=env)
        assert rc == 0, err
        cid = json.loads(out)["id"]
        rc, out, err = await run_cli("campaigns", "wait", cid, "--until", "Ready", "--poll", "0.05", env=env)
        assert rc == 0 and out.strip() == f"{cid}: Ready", err
        rc, out, err = await run_cli("campaigns", "start", cid, "--json", env=env)
        assert rc == 0 and json.loads(out)["status"] == "Active", err
        rc, out, err = await run_cli("campaigns", "wait", cid, "--poll", "0.05", "--max-poll", "0.1", env=env)
        assert rc == 0 and out.strip() == f"{cid}: Completed", err
        rc, out, _ = await run_cli("campaigns", "status", cid, "--json", env=env)
        assert json.loads(out) == {"id": cid, "name": "CLI Renewals", "status": "Completed"}
        rc, _, err = await run_cli("campaigns", "delete", cid, env=env)
        assert rc == 2 and "--yes" in err
        rc, _, err = await run_cli("contact-lists", "delete", list_id, "--yes", env=env)
        assert rc == 7 and "in use" in err  # the emulator refuses: a campaign uses the list
        rc, out, err = await run_cli("campaigns", "delete", cid, "--yes", env=env)
        assert rc == 0 and out.strip() == f"deleted {cid}", err
        rc, _, err = await run_cli("campaigns", "status", cid, env=env)
        assert rc == 5, err
        rc, _, err = await run_cli("campaigns", "create", "--spec", str(spec), "--type", "sms", env=env)
        assert rc == 2 and "format" in err  # checked before sending: an SMS body needs a format


async def test_bad_spec_and_timeouts_have_clear_errors(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    async with emulator_factory(run_seconds=60, prepare_seconds=0) as emu:
        env = cli_env(emu)
        bad = tmp_path / "bad.json"
        bad.write_text("{not json")
        rc, _, err = await run_cli("campaigns", "create", "--spec", str(bad), env=env)
        assert rc == 2 and "--spec" in err and "JSON" in err
        rc, _, err = await run_cli(
            "campaigns", "wait", "cd-emu-000000", "--poll", "0.05", "--wait-timeout", "0.3", env=env
        )
        assert rc == 1 and "did not reach Completed,Stopped within 0.3s" in err
        rc, _, err = await run_cli(
            "campaigns", "schedule", "Voice Campaign 0", "--start", "2026-01-01 10:00:00", "--end", "x", env=env
        )
        assert rc == 2 and "every-days" in err


async def _import_killed_then_resumed(emu: Any, tmp_path: Path, rows: int, *, settle: str) -> None:
    """Import ``rows`` contacts into a list keeping duplicates, SIGKILL the CLI mid-way, resume
    at once (the killed run's batches may still be landing), and, when the resume reports
    batches unknown (exit 9, their lines), send them with --resend-unknown: every contact then
    exactly once, never a silent duplicate."""
    env = cli_env(emu)
    rc, out, err = await run_cli(
        "contact-lists", "create", "Killed", "--description", "d", "--allow-duplicates", "--json", env=env
    )
    assert rc == 0, err
    list_id = json.loads(out)["id"]
    data = tmp_path / "big.csv"
    numbers = write_csv(data, rows)
    checkpoint = Path(str(data) + ".import-checkpoint.json")
    args = ["contact-lists", "import", "Killed", str(data), "--batch-size", "100", "--concurrency", "4", "-q"]
    proc = await asyncio.create_subprocess_exec(*CLI, *args, env=env)
    for _ in range(2000):
        if checkpoint.exists() and len(json.loads(checkpoint.read_text() or "{}").get("done", [])) >= 20:
            break
        await asyncio.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    saved = json.loads(checkpoint.read_text())
    assert 20 <= len(saved["done"]) < rows // 100, "killed too late to mean anything"
    rc, _, err = await run_cli(*args, env=env)
    assert rc == 3 and "--resume" in err  # a checkpoint is never silently ignored
    resume = [*args[:-1], "--resume", "--settle", settle, "--json"]
    rc, out, err = await run_cli(*resume, env=env)
    report = json.loads(out)
    if rc == 9:  # in-flight batches the list does not show in full: named, not sent
        assert report["unknown"] and "Traceback" not in err
        assert checkpoint.exists()
        rc, out, err = await run_cli(*resume, "--resend-unknown", env=env)
        again = json.loads(out)
        assert rc == 0 and again["unknown"] == [], err
        report["accepted"] += again["accepted"]
    assert rc == 0, err
    assert report["accepted"] + report["skipped"] == rows
    await asyncio.sleep(emu.config.import_delay + 0.2)  # everything queued has landed
    assert await list_numbers(emu, list_id) == Counter(numbers)  # each contact exactly once
    assert not checkpoint.exists()


@pytest.mark.slow
async def test_import_killed_and_resumed_is_exactly_once(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    async with emulator_factory(latency_ms=25) as emu:
        await _import_killed_then_resumed(emu, tmp_path, 12_000, settle="0.3")


@pytest.mark.slow
async def test_import_killed_while_queued_batches_land_is_exactly_once(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    """issue 23.2 and 23.3: the server queues additions (they appear 1.5 s after the call).
    Resumed at once, the old code read a list still growing and stopped with an export's
    drift error (exit 7), or read it before the in-flight batches landed and sent them again
    (duplicates). Now the resume waits for the list to be quiet and settles them."""
    async with emulator_factory(latency_ms=25, import_delay=1.5) as emu:
        await _import_killed_then_resumed(emu, tmp_path, 8_000, settle="2")


async def test_start_whose_answer_is_lost_on_a_finished_campaign_exits_0_sent_once(
    emulator_factory: EmulatorFactory,
) -> None:
    """issue 23.1: the start applies, the campaign completes in 0.3 s, the answer comes 3 s
    late (past --timeout 1): the CLI reads Completed, reports success, and sends no second play."""
    async with emulator_factory(slow_seconds=3.0, run_seconds=0.3, prepare_seconds=0) as emu:
        emu.inject("slow-after-write", endpoint="trigger")
        rc, out, err = await run_cli("campaigns", "start", "cd-emu-000002", "--timeout", "1", env=cli_env(emu))
        assert rc == 0, err
        assert out.strip() == "cd-emu-000002: Completed" and "took effect" in err
        assert emu.stats.by_endpoint["trigger"] == 1

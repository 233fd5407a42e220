"""Drive the real ``korecampaign`` CLI in a subprocess against an in-process emulator."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import msgspec
import pyarrow.parquet as pq
import pytest

from korecampaign_async.emulator import Emulator, campaign_id, contact_list_id
from korecampaign_async.export import columns_for, flatten
from korecampaign_async.models.records import Campaign, CampaignContact, Contact

from .conftest import EmulatorFactory

CLI = [sys.executable, "-m", "korecampaign_async"]


def cli_env(emu: Emulator | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KORE_")}
    if emu is not None:
        env.update(emu.env())
    env.update(extra)
    return env


async def run_cli(*args: str, env: dict[str, str], timeout: float = 60) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *CLI, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def expected_contacts(emu: Emulator, index: int, count: int) -> list[CampaignContact]:
    return [msgspec.convert(emu.status_row(index, r), CampaignContact) for r in range(count)]


def csv_expected(records: list[Any], record_type: type[msgspec.Struct]) -> list[dict[str, str]]:
    from korecampaign_async.export.columns import _csv_cell

    columns = columns_for(record_type)
    return [
        {c.name: _csv_cell(v, c.kind) for c, v in zip(columns, row, strict=True)} for row in flatten(records, columns)
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
async def test_campaign_contacts_round_trip(emulator_factory: EmulatorFactory, tmp_path: Path, fmt: str) -> None:
    async with emulator_factory(contacts=1234) as emu:
        out = tmp_path / f"contacts.{fmt}"
        rc, _, err = await run_cli(
            "export", "campaign-contacts", campaign_id(0), "--out", str(out), "--concurrency", "4", env=cli_env(emu)
        )
        assert rc == 0, err
        assert "wrote 1,234 rows" in err
        expected = expected_contacts(emu, 0, 1234)
        if fmt == "jsonl":
            decoded = [msgspec.json.decode(line, type=CampaignContact) for line in out.read_bytes().splitlines()]
            assert decoded == expected
        elif fmt == "csv":
            with out.open(newline="") as fh:
                rows = list(csv.DictReader(fh))
            assert rows == csv_expected(expected, CampaignContact)
            assert list(rows[0])[:2] == ["phoneNumber", "uniqueId"]
        else:
            table = pq.read_table(out)
            assert table.num_rows == 1234
            assert table.column("phoneNumber").to_pylist() == [r.phone_number for r in expected]
            assert table.column("agentDispositionCodes").to_pylist() == [r.agent_disposition_codes for r in expected]
            assert str(table.schema.field("numberOfAttemptsSoFar").type) == "int64"
        assert not Path(str(out) + ".part").exists() and not Path(str(out) + ".checkpoint.json").exists()
        assert emu.stats.duplicate_pages() == {}


async def test_contact_list_and_campaigns(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    async with emulator_factory(list_contacts=321, campaigns=60) as emu:
        out = tmp_path / "list.csv"
        rc, _, err = await run_cli("export", "contact-list", contact_list_id(1), "--out", str(out), env=cli_env(emu))
        assert rc == 0, err
        expected = [msgspec.convert(emu.list_contact(1, r), Contact) for r in range(321)]
        with out.open(newline="") as fh:
            assert list(csv.DictReader(fh)) == csv_expected(expected, Contact)

        out = tmp_path / "campaigns.jsonl"
        rc, _, err = await run_cli(
            "export",
            "campaigns",
            "--type",
            "voice",
            "--status",
            "Ready,Active",
            "--sort",
            "createdAt:desc",
            "--page-size",
            "7",
            "--out",
            str(out),
            env=cli_env(emu),
        )
        assert rc == 0, err
        got = [msgspec.json.decode(line, type=Campaign) for line in out.read_bytes().splitlines()]
        want = sorted(
            (i for i in range(0, 60, 2) if emu.campaign(i)["status"] in ("Ready", "Active")),
            key=lambda i: emu.campaign(i)["createdAt"],
            reverse=True,
        )
        assert [c.id for c in got] == [campaign_id(i) for i in want]
        assert got[0].dialing_strategy is not None


async def test_stdout_and_json_log(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=300) as emu:
        rc, out, err = await run_cli(
            "export", "campaign-contacts", campaign_id(0), "--out", "-", "--json-log", env=cli_env(emu)
        )
        assert rc == 0, err
        assert len(out.splitlines()) == 300
        events = [json.loads(line) for line in err.splitlines()]
        kinds = [e["event"] for e in events]
        assert kinds[0] == "start" and "plan" in kinds and "progress" in kinds and kinds[-1] == "done"
        assert events[-1]["rows"] == 300 and events[-1]["stats"]["requests"] == 3


async def _wait_for_checkpoint(path: Path, min_page: int, proc: asyncio.subprocess.Process) -> None:
    for _ in range(3000):
        if path.exists():
            try:
                if json.loads(path.read_text())["next_page"] >= min_page:
                    return
            except (json.JSONDecodeError, KeyError):
                pass
        if proc.returncode is not None:
            raise AssertionError("the export finished before it could be interrupted")
        await asyncio.sleep(0.01)
    raise AssertionError("no checkpoint appeared")


async def _wait_for_requests(emu: Emulator, count: int, proc: asyncio.subprocess.Process) -> None:
    for _ in range(3000):
        if emu.stats.by_endpoint.get("status", 0) >= count:
            return
        if proc.returncode is not None:
            raise AssertionError("the export finished before it could be interrupted")
        await asyncio.sleep(0.01)
    raise AssertionError("the export sent no requests")


@pytest.mark.parametrize(
    ("fmt", "sig"), [("jsonl", signal.SIGKILL), ("csv", signal.SIGINT), ("parquet", signal.SIGTERM)]
)
@pytest.mark.slow
async def test_resume_after_interruption_yields_exact_rows(
    emulator_factory: EmulatorFactory, tmp_path: Path, fmt: str, sig: int
) -> None:
    async with emulator_factory(contacts=20_000, latency_ms=30) as emu:
        out = tmp_path / f"c.{fmt}"
        checkpoint = Path(str(out) + ".checkpoint.json")
        args = ["export", "campaign-contacts", campaign_id(0), "--out", str(out), "--concurrency", "2", "--quiet"]
        proc = await asyncio.create_subprocess_exec(
            *CLI,
            *args,
            env=cli_env(emu),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            # a shell runs background jobs with SIGINT ignored, and children inherit that (a CI
            # script started with `&`): give the CLI the Ctrl-C a terminal would
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        if fmt == "parquet":
            # Parquet checkpoints when a part file is finished (every 30 s by default); a
            # SIGTERM finishes the current part and saves the checkpoint on the way out
            await _wait_for_requests(emu, 20, proc)
        else:
            await _wait_for_checkpoint(checkpoint, 20, proc)
        proc.send_signal(sig)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
        if sig != signal.SIGKILL:
            assert proc.returncode == 130, err.decode()
            assert b"--resume" in err
        assert not out.exists() and checkpoint.exists()
        # without --resume the interrupted export is not silently overwritten
        rc, _, err2 = await run_cli(*args, env=cli_env(emu))
        assert rc == 3 and "--resume" in err2
        before = emu.stats.by_endpoint["status"]
        rc, _, err3 = await run_cli(*args, "--resume", env=cli_env(emu))
        assert rc == 0, err3
        resumed_requests = emu.stats.by_endpoint["status"] - before
        assert resumed_requests < 200  # it continued, it did not start over
        expected = expected_contacts(emu, 0, 20_000)
        if fmt == "jsonl":
            got = [msgspec.json.decode(line, type=CampaignContact) for line in out.read_bytes().splitlines()]
            assert got == expected
        elif fmt == "csv":
            with out.open(newline="") as fh:
                assert list(csv.DictReader(fh)) == csv_expected(expected, CampaignContact)
        else:
            assert pq.read_table(out).column("uniqueId").to_pylist() == [r.unique_id for r in expected]
        assert not checkpoint.exists()


async def test_all_campaign_contacts_with_manifest(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    async with emulator_factory(campaigns=12, contacts=450) as emu:
        rc, _, err = await run_cli(
            "export", "all-campaign-contacts", "--type", "voice", "--out-dir", str(tmp_path / "out"), env=cli_env(emu)
        )
        assert rc == 0, err
        manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())["campaigns"]
        assert [m["campaign_id"] for m in manifest] == [campaign_id(i) for i in range(0, 12, 2)]
        for m in manifest:
            assert m["rows"] == 450 and m["name"].startswith("Voice Campaign")
            lines = (tmp_path / "out" / m["file"]).read_bytes().splitlines()
            index = int(m["campaign_id"][-6:])
            assert [msgspec.json.decode(x, type=CampaignContact) for x in lines] == expected_contacts(emu, index, 450)
        assert emu.stats.duplicate_pages() == {}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["export", "campaign-contacts", "cd-1", "--out", "x.jsonl", "--page-size", "500"], 2, "from 1 to 100"),
        (["export", "contact-list", "cl-1", "--out", "x.jsonl", "--page-size", "20000"], 2, "auto or 1 to 10000"),
        (["export", "campaign-contacts", "cd-1", "--out", "x.xml"], 2, "cannot infer"),
        (["export", "campaign-contacts", "cd-1", "--out", "x.jsonl", "--format", "xml"], 2, "invalid choice"),
        (["export", "campaigns", "--type", "voice", "--status", "Running", "--out", "x.jsonl"], 2, "filters.status"),
        (["export", "campaigns", "--type", "fax", "--out", "x.jsonl"], 2, "invalid choice"),
        (["export", "campaign-contacts", "cd-1"], 2, "--out"),
        (["frobnicate"], 2, "invalid choice"),
        (["export", "campaign-contacts", "cd-1", "--out", "x.jsonl", "--concurrency", "0"], 2, ">= 1"),
    ],
)
async def test_bad_flags(emulator: Emulator, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    env = cli_env(emulator)
    proc = await asyncio.create_subprocess_exec(
        *CLI, *args, env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    assert proc.returncode == code
    assert message in err.decode()
    assert emulator.stats.requests == 0  # rejected before any request


async def test_missing_settings_listed_once(tmp_path: Path) -> None:
    rc, _, err = await run_cli("campaign", "cd-1", env=cli_env(KORE_HOST="http://127.0.0.1:9"))
    assert rc == 3
    assert "KORE_STREAM_ID, KORE_ACCOUNT_ID, KORE_CLIENT_ID, KORE_CLIENT_SECRET" in err
    assert "--stream-id" in err


async def test_env_file_and_flag_precedence(emulator: Emulator, tmp_path: Path) -> None:
    env_file = tmp_path / "kore.env"
    lines = [f"export {k}='{v}'" for k, v in emulator.env().items() if k != "KORE_ACCOUNT_ID"]
    env_file.write_text("# settings\n" + "\n".join(lines) + "\nKORE_ACCOUNT_ID=wrong-account\n")
    rc, _, err = await run_cli("campaign", campaign_id(0), "--env-file", str(env_file), env=cli_env())
    assert rc == 4 and "accountId" in err  # the file's wrong account id was used ...
    rc, out, err = await run_cli(
        "campaign",
        campaign_id(0),
        "--env-file",
        str(env_file),
        "--account-id",
        emulator.config.account_id,
        env=cli_env(KORE_HOST="http://ignored.invalid"),
    )
    assert rc == 0, err  # ... and the flag wins over it; the file wins over the environment
    assert json.loads(out)["id"] == campaign_id(0)
    assert emulator.config.client_secret not in out + err


async def test_exit_codes_for_api_errors(emulator: Emulator) -> None:
    rc, _, err = await run_cli("campaign", "cd-missing", env=cli_env(emulator))
    assert rc == 5 and "404" in err
    rc, _, err = await run_cli(
        "campaign", campaign_id(0), env=cli_env(emulator, KORE_CLIENT_SECRET="wrong-secret-wrong-secret-wrong-secret")
    )
    assert rc == 4 and "401" in err and "wrong-secret" not in err
    rc, _, err = await run_cli(
        "campaign", campaign_id(0), "--max-retries", "1", "--host", "http://127.0.0.1:9", env=cli_env(emulator)
    )
    assert rc == 6 and "after 2 attempt" in err


@pytest.mark.slow
async def test_help_version_and_examples() -> None:
    rc, out, _ = await run_cli("--version", env=cli_env())
    assert rc == 0 and out.startswith("korecampaign 0.")
    for command in (
        ["export", "campaign-contacts"],
        ["export", "contact-list"],
        ["export", "campaigns"],
        ["export", "all-campaign-contacts"],
        ["campaign"],
        ["emulator"],
        ["demo"],
    ):
        rc, out, _ = await run_cli(*command, "--help", env=cli_env())
        assert rc == 0 and "example" in out, command
    rc, out, _ = await run_cli("--help", env=cli_env())
    assert "exit codes" in out and "130" in out


async def test_demo_finishes_and_prints_summary(tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    rc, stdout, err = await run_cli(
        "demo", "--contacts", "3000", "--latency-ms", "5", "--out", str(out), env=cli_env(), timeout=120
    )
    assert rc == 0, err
    for word in ("rows written      3,000", "file", "elapsed", "records/s", "speed-up"):
        assert word in stdout
    assert len(out.read_bytes().splitlines()) == 3000


@pytest.mark.slow
async def test_budget_wait_is_shown_in_json_progress(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    """Hint-less 429s from two hidden windows: the export completes and says when it waits."""
    async with emulator_factory(contacts=4_000, rate_limit="10/0.5s,30/3s", rate_limit_retry_after=False) as emu:
        out = tmp_path / "contacts.jsonl"
        rc, _, err = await run_cli(
            "export", "campaign-contacts", campaign_id(0), "--out", str(out), "--json-log", env=cli_env(emu)
        )
        assert rc == 0, err
        events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        waits = [e for e in events if e["event"] == "budget_wait"]
        assert waits and all(e["next_try"] > e["time"] for e in waits)
        assert len(out.read_bytes().splitlines()) == 4_000


def test_progress_column_names_the_next_try() -> None:
    from korecampaign_async.cli.reporter import _budget_column
    from korecampaign_async.ratelimit.concurrency import AdaptiveConcurrency
    from korecampaign_async.transport.core import ClientStats

    clock = [100.0]
    concurrency = AdaptiveConcurrency(4, clock=lambda: clock[0])
    stats = ClientStats(_concurrency=concurrency)
    column = _budget_column(stats)
    assert column.render(None).plain == ""
    concurrency.pause(30.0)
    stats.budget_wait_until = 1_700_000_030.0
    assert column.render(None).plain.startswith("waiting for the rate budget, next try ")
    clock[0] += 31
    assert column.render(None).plain == ""


# -- a good Unix citizen ----------------------------------------------------------------------


async def test_csv_on_stdout_has_the_same_header_as_a_file(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    async with emulator_factory(contacts=250) as emu:
        args = ("export", "campaign-contacts", campaign_id(0), "--format", "csv", "--quiet")
        rc, out, err = await run_cli(*args, "--out", "-", env=cli_env(emu))
        assert rc == 0, err
        rc, _, err = await run_cli(*args, "--out", str(tmp_path / "c.csv"), env=cli_env(emu))
        assert rc == 0, err
        assert out.splitlines() == (tmp_path / "c.csv").read_text().splitlines()
        assert out.splitlines()[0].startswith("phoneNumber,uniqueId,")
        assert len(out.splitlines()) == 251


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_a_closed_pipe_ends_quietly_with_141(emulator_factory: EmulatorFactory, fmt: str) -> None:
    """`korecampaign export ... --out - | head -3`: a real pipe closed after three lines."""
    async with emulator_factory(contacts=200_000, latency_ms=2) as emu:
        proc = await asyncio.create_subprocess_exec(
            *CLI,
            "export",
            "campaign-contacts",
            campaign_id(0),
            "--out",
            "-",
            "--format",
            fmt,
            env=cli_env(emu),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        lines = [await proc.stdout.readline() for _ in range(3)]
        assert all(lines)
        proc.stdout.feed_eof()
        transport = proc._transport  # type: ignore[attr-defined]
        transport.get_pipe_transport(1).close()  # the reader goes away, as head does
        err = (await asyncio.wait_for(proc.stderr.read(), 30)).decode()
        rc = await asyncio.wait_for(proc.wait(), 30)
        await asyncio.sleep(0.2)
        spent = emu.stats.requests
        await asyncio.sleep(0.3)
        assert emu.stats.requests == spent < 2_000  # nothing keeps fetching after the exit
    assert rc == 141, err
    for noise in ("Traceback", "BrokenPipeError", "Unclosed", "Exception ignored"):
        assert noise not in err


async def test_plan_line_is_printed_whole_above_the_progress_bar(emulator_factory: EmulatorFactory) -> None:
    """On a terminal (a pseudo-terminal here) the plan line is one line, not torn by the bar."""
    import pty
    import re

    async with emulator_factory(contacts=20_000, latency_ms=1) as emu:
        main_fd, sub_fd = pty.openpty()
        env = cli_env(emu, COLUMNS="160", TERM="xterm")
        proc = await asyncio.create_subprocess_exec(
            *CLI,
            "export",
            "campaign-contacts",
            campaign_id(0),
            "--out",
            os.devnull,  # a special file: written directly (never replaced by a renamed .part)
            "--format",
            "jsonl",
            env=env,
            stdin=sub_fd,
            stdout=sub_fd,
            stderr=sub_fd,
        )
        os.close(sub_fd)
        chunks = []
        loop = asyncio.get_running_loop()
        while True:
            try:
                data = await loop.run_in_executor(None, os.read, main_fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        rc = await proc.wait()
        os.close(main_fd)
    screen = b"".join(chunks).decode(errors="replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    lines = [line.strip() for line in re.split(r"[\r\n]+", text) if line.strip()]
    assert rc == 0, text
    plan = [line for line in lines if "plan:" in line]
    assert plan and all(line.startswith("plan: 20,000 rows in 200 pages") for line in plan), plan
    assert "requests" in plan[0]


async def test_a_short_secret_is_said_once_in_our_words(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=150, client_secret="short-secret") as emu:
        rc, _, err = await run_cli(
            "export", "campaign-contacts", campaign_id(0), "--out", "-", "--quiet", env=cli_env(emu)
        )
    assert rc == 0, err
    assert err.count("client secret is 12 bytes") == 1
    assert "InsecureKeyLengthWarning" not in err and "site-packages" not in err and "short-secret" not in err


# -- korecampaign check --------------------------------------------------------------------------


async def test_check_reports_each_endpoint_within_six_requests(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(paging="additive") as emu:
        rc, out, err = await run_cli(
            "check", "--campaign", campaign_id(0), "--contact-list", contact_list_id(0), env=cli_env(emu)
        )
        assert rc == 0, err
        assert emu.stats.requests <= 6
        assert f"requests spent               {emu.stats.requests} (at most 6)" in out
        for name in ("list voice campaigns", "list sms campaigns", "get campaign", "campaign contacts", "contact list"):
            assert name in out
        assert "page/skip reading            skip:" in out
        assert "1,000,000 rows" in out
        secret = emu.config.client_secret
        assert secret not in out and secret not in err
        rc, out, _ = await run_cli("check", "--json", "--rate-limit", "600/60s", env=cli_env(emu))
        doc = json.loads(out)
        assert rc == 0 and doc["ok"] and doc["budget"] == "600/60s" and doc["requests"] <= 6
        assert doc["paging_reading"] == "skip" and next(iter(doc["million_rows"].values())) > 900


async def test_check_says_when_auth_is_refused(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory() as emu:
        env = cli_env(emu, KORE_CLIENT_SECRET="a-wrong-secret-that-is-long-enough-for-hs256-keys")
        rc, out, _ = await run_cli("check", env=env)
        assert rc == 4
        assert "refused: HTTP 401" in out and emu.stats.requests == 1
        assert "requests spent               1" in out


async def test_check_sees_429s_without_retry_after(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(rate_limit="2/60s", rate_limit_retry_after=False) as emu:
        rc, out, _ = await run_cli("check", env=cli_env(emu))
        assert rc == 6
        assert "429s come without Retry-After" in out
        assert emu.stats.requests <= 6


async def test_a_special_file_is_written_in_place_not_replaced(emulator_factory: EmulatorFactory) -> None:
    """`--out /dev/null` must not rename a .part file over the device (as root it would
    replace /dev/null with a regular file)."""
    async with emulator_factory(contacts=300) as emu:
        rc, _, err = await run_cli(
            "export", "campaign-contacts", campaign_id(0), "--out", os.devnull, "--quiet", env=cli_env(emu)
        )
        assert rc == 0, err
    import stat

    assert stat.S_ISCHR(os.stat(os.devnull).st_mode), "/dev/null is no longer a character device"
    assert not os.path.exists(os.devnull + ".part") and not os.path.exists(os.devnull + ".checkpoint.json")


async def test_a_failed_first_request_leaves_nothing_for_the_next_run(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    """issue 23.4: a wrong KORE_IID (401, exit 4) leaves no .part and no checkpoint: fixed, the
    same command runs (no 'add --resume')."""
    async with emulator_factory(contacts=300) as emu:
        out = tmp_path / "contacts.jsonl"
        args = ("export", "campaign-contacts", campaign_id(0), "--out", str(out), "-q")
        rc, _, err = await run_cli(*args, env=cli_env(emu, KORE_IID="st-wrong"))
        assert rc == 4 and "401" in err, err
        assert list(tmp_path.iterdir()) == []
        rc, _, err = await run_cli(*args, env=cli_env(emu))
        assert rc == 0, err
        assert len(out.read_bytes().splitlines()) == 300


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Any:
    """A tmpfs of a given size mounted under ``tmp_path`` (root and mount permission needed:
    skipped elsewhere; tests/test_export.py injects ENOSPC in-process everywhere)."""
    import subprocess

    mounted: list[Path] = []

    def mount(size_kib: int) -> Path:
        target = tmp_path / "disk"
        target.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(target)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(target)
        return target

    yield mount
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.mark.parametrize(("fmt", "free_kib"), [("jsonl", 500), ("csv", 200), ("parquet", 24)])
async def test_a_full_disk_is_one_line_and_resume_completes(
    emulator_factory: EmulatorFactory, tiny_disk: Any, fmt: str, free_kib: int
) -> None:
    """issue 23.7 on a real full file system: one `korecampaign: error:` line naming the
    file and 'no space left', exit 10, the .part and the last good checkpoint kept, no stray
    temp file; with space freed, --resume writes every row exactly once."""
    disk: Path = tiny_disk(4096)  # the export: about 1.6 MB as JSON Lines, a fraction as CSV and Parquet
    filler = disk / "filler"
    filler.write_bytes(b"\0" * (4096 - free_kib) * 1024)
    async with emulator_factory(contacts=6_000) as emu:
        out = disk / f"contacts.{fmt}"
        args = ["export", "campaign-contacts", campaign_id(0), "--out", str(out), "-q"]
        rc, _, err = await run_cli(*args, env=cli_env(emu))
        lines = err.strip().splitlines()
        assert rc == 10 and len(lines) == 1 and lines[0].startswith("korecampaign: error: cannot write "), err
        assert "no space left on device" in err and "Traceback" not in err
        assert not [p.name for p in disk.iterdir() if p.name.endswith(".tmp")]
        left = sorted(p.name for p in disk.iterdir())
        filler.unlink()
        rc, _, err = await run_cli(*args, "--resume", env=cli_env(emu))
        assert rc == 0, err
        assert sorted(p.name for p in disk.iterdir()) == [f"contacts.{fmt}"], left
        expected = expected_contacts(emu, 0, 6_000)
    if fmt == "jsonl":
        assert [msgspec.json.decode(line, type=CampaignContact) for line in out.read_bytes().splitlines()] == expected
    elif fmt == "csv":
        with out.open(newline="") as fh:
            assert list(csv.DictReader(fh)) == csv_expected(expected, CampaignContact)
    else:
        assert pq.read_table(out).num_rows == 6_000

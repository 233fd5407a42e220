"""``sync`` into SQLite against the emulator: first sync, unchanged re-syncs, recorded
changes, gone rows, request economy, crash safety (``kill -9`` and a re-run), locking and
bad databases. The emulator moves its data forward with ``advance()``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from korecampaign_async import KoreCampaignClient, StoreError, StoreLockedError, sync
from korecampaign_async.emulator import Emulator, campaign_id, contact_list_id
from korecampaign_async.models.records import CampaignContact
from korecampaign_async.stores import RunCounts, open_store, query
from korecampaign_async.stores.sqlite import SQLiteStore

from .conftest import EmulatorFactory, make_client
from .test_cli import cli_env, run_cli


class DB:
    """A test database of either kind, queried with ``?`` placeholders."""

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def postgres(self) -> bool:
        return self.url.startswith("postgresql")

    async def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return await query(self.url, sql, *args)

    async def count(self, table: str, where: str = "1 = 1") -> int:
        return int((await self.rows(f"SELECT count(*) FROM {table} WHERE {where}"))[0][0])


@pytest.fixture(params=["sqlite", "postgres"])
def new_db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """``await new_db()``: a fresh, empty database of the parametrized kind."""
    kind = request.param
    server = request.getfixturevalue("postgres_server") if kind == "postgres" else None
    made = 0

    async def make() -> DB:
        nonlocal made
        made += 1
        if server is None:
            return DB(f"sqlite:///{tmp_path}/db{made}.db")
        from benchmarks.pgcluster import create_database

        return DB(await create_database(server))

    return make


async def run_sync(emu: Emulator, db: DB, **kwargs: Any) -> Any:
    store = open_store(db.url)
    try:
        async with make_client(emu) as client:
            return await sync(client, store, **kwargs)
    finally:
        await store.close()


def voice_rows(emu: Emulator) -> int:
    return sum(emu.contact_count(campaign_id(i)) for i in range(0, emu.config.campaigns, 2))


async def test_first_sync_then_an_unchanged_resync_writes_nothing(
    emulator_factory: EmulatorFactory, new_db: Any
) -> None:
    db = await new_db()
    async with emulator_factory(campaigns=6, contacts=350, list_contacts=230) as emu:
        first = await run_sync(emu, db, contact_lists=[contact_list_id(0)])
        assert first.status == "ok" and first.campaigns_seen == 6 and first.campaigns_changed == 6
        assert first.contacts_inserted == await db.count("campaign_contacts") == voice_rows(emu) == 3 * 350
        assert first.list_contacts_inserted == await db.count("contact_list_contacts") == 230
        phones = {
            r[0]
            for r in await db.rows("SELECT phone_number FROM campaign_contacts WHERE campaign_id = ?", campaign_id(0))
        }
        assert phones == {emu.status_row(0, r)["phoneNumber"] for r in range(350)}

        second = await run_sync(emu, db, contact_lists=[contact_list_id(0)])
        assert (second.contacts_inserted, second.contacts_updated, second.contacts_gone) == (0, 0, 0)
        assert (second.list_contacts_inserted, second.list_contacts_updated) == (0, 0)
        assert second.campaigns_changed == 0 and await db.count("contact_status_changes") == 0
    runs = await db.rows("SELECT status, contacts_inserted, requests FROM sync_runs ORDER BY run_id")
    assert runs == [("ok", 1050, first.requests), ("ok", 0, second.requests)]


async def test_outcome_changes_are_recorded_once(emulator_factory: EmulatorFactory, new_db: Any) -> None:
    db = await new_db()
    async with emulator_factory(campaigns=4, contacts=500) as emu:
        await run_sync(emu, db)
        emu.advance()
        changed = await run_sync(emu, db)
        # each advance moves a fifth of the rows forward; campaign 0 completes, campaign 2 stays Ready
        moved = sum(1 for r in range(500) if r % 10 < 2)
        assert changed.contacts_updated == 2 * moved and changed.contacts_inserted == 0
        assert await db.count("contact_status_changes") == 2 * moved
        before, after, fields = (
            await db.rows(
                "SELECT dialer_outcome_before, dialer_outcome_after, changed_fields FROM contact_status_changes "
                "WHERE campaign_id = ? AND phone_number = ?",
                campaign_id(0),
                emu.status_row(0, 1)["phoneNumber"],
            )
        )[0]
        assert (before, after) == ("", "completed") and "number_of_attempts_so_far" in fields
        again = await run_sync(emu, db)
        assert again.contacts_updated == 0 and await db.count("contact_status_changes") == 2 * moved


async def test_final_campaigns_are_not_read_again(emulator_factory: EmulatorFactory, new_db: Any) -> None:
    """Every campaign final: the second sync costs only the list-campaigns pages."""
    db = await new_db()
    async with emulator_factory(campaigns=260, contacts=150) as emu:
        emu.advance(4)  # every campaign that can still change reaches Completed
        first = await run_sync(emu, db, statuses=["Completed"])
        assert first.campaigns_seen > 100 and first.contacts_inserted > 0
        before = emu.stats.requests
        second = await run_sync(emu, db, statuses=["Completed"])
        list_pages = 1 + 1  # voice and sms: one page each (page_size="auto": 1,000 per request)
        assert emu.stats.requests - before == second.requests == list_pages
        voice = await db.count("campaigns", "type = 'voice'")
        assert voice > 50 and second.campaigns_skipped == voice
        assert second.requests_saved == second.campaigns_skipped * 2  # 150 rows = 2 pages each
        full = await run_sync(emu, db, statuses=["Completed"], full=True)
        assert full.campaigns_skipped == 0 and full.contacts_unchanged == first.contacts_inserted


async def test_rows_gone_are_marked_never_deleted(emulator_factory: EmulatorFactory, new_db: Any) -> None:
    db = await new_db()
    async with emulator_factory(campaigns=2, contacts=300) as emu:
        await run_sync(emu, db)
        emu.set_contact_count(campaign_id(0), 250)
        report = await run_sync(emu, db)
        assert report.contacts_gone == 50 and await db.count("campaign_contacts") == 300
        assert await db.count("campaign_contacts", "gone_at IS NOT NULL") == 50
        emu.set_contact_count(campaign_id(0), 300)  # they come back
        back = await run_sync(emu, db)
        assert back.contacts_updated == 50 and await db.count("campaign_contacts", "gone_at IS NOT NULL") == 0


async def test_a_number_dialled_twice_keeps_two_rows(new_db: Any) -> None:
    """The store keys rows by (phone number, ordinal): duplicates stay distinct and map back."""
    db = await new_db()
    store = open_store(db.url)
    await store.open()
    try:
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        counts = RunCounts()
        run = await store.begin_run("st-1", now)
        a = msgspec.convert({"phoneNumber": "911", "dialerOutcome": "busy"}, CampaignContact)
        b = msgspec.convert({"phoneNumber": "911", "dialerOutcome": "completed"}, CampaignContact)
        first = await store.write_campaign_contacts("st-1", run, "cd-1", [(0, a), (1, b)], now, counts)
        again = await store.write_campaign_contacts("st-1", run, "cd-1", [(0, a), (1, b)], now, counts)
        assert (first.inserted, again.unchanged) == (2, 2)
        gone = await store.finish_campaign_contacts("st-1", run, "cd-1", {("911", 0)}, "Active", now, counts)
        assert gone == 1 and counts.contacts_gone == 1
    finally:
        await store.close()


TABLES = {
    "campaigns": "stream_id, campaign_id, type, name, status, raw",
    "campaign_contacts": "stream_id, campaign_id, phone_number, ordinal, unique_id, dialer_outcome, "
    "number_of_attempts_so_far, bot_session_id, agent_disposition_codes, bot_outbound_status, "
    "bot_outbound_status_detail, gone_at IS NULL",
    "contact_status_changes": "stream_id, campaign_id, phone_number, ordinal, changed_fields, before, after",
    "contact_list_contacts": "stream_id, list_id, contact_id, phone_number, gone_at IS NULL",
    "campaign_sync_state": "stream_id, campaign_id, status, complete, rows",
    "page_digests": "stream_id, campaign_id, page, digest",
}


async def snapshot(db: DB) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's data, without the times and run ids that differ between runs."""
    return {table: sorted(await db.rows(f"SELECT {columns} FROM {table}")) for table, columns in TABLES.items()}


@pytest.mark.slow
async def test_kill_9_and_a_rerun_leave_the_tables_as_a_clean_run(
    emulator_factory: EmulatorFactory, new_db: Any
) -> None:
    killed, clean = await new_db(), await new_db()
    async with emulator_factory(campaigns=8, contacts=3_000, latency_ms=10, list_contacts=500) as emu:
        env = cli_env(emu)
        args = ("sync", "--concurrency", "2", "--contact-list", contact_list_id(0), "--quiet")
        for db in (killed, clean):  # both start from the same first sync
            rc, _, err = await run_cli(*args, "--db", db.url, env=env)
            assert rc == 0, err
        emu.advance()  # the second sync records changes: the one that gets killed
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "korecampaign_async", *args, "--db", killed.url),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for _ in range(400):  # kill it once it has written some of the changes
            await asyncio.sleep(0.02)
            if await killed.count("contact_status_changes") > 400:
                break
        os.kill(proc.pid, signal.SIGKILL)
        await proc.wait()
        partial = await killed.count("contact_status_changes")
        assert 0 < partial < 4 * 600, "the kill did not land mid-sync"
        assert await killed.rows("SELECT status FROM sync_runs ORDER BY run_id DESC LIMIT 1") == [("running",)]
        rc, _, err = await run_cli(*args, "--db", killed.url, env=env)
        assert rc == 0, err
        rc, _, err = await run_cli(*args, "--db", clean.url, env=env)
        assert rc == 0, err
    assert await snapshot(killed) == await snapshot(clean)
    assert await clean.count("contact_status_changes") == 4 * 600  # each change recorded once
    statuses = [r[0] for r in await killed.rows("SELECT status FROM sync_runs ORDER BY run_id")]
    assert statuses == ["ok", "interrupted", "ok"]


async def test_two_syncs_of_one_bot_do_not_interleave(emulator_factory: EmulatorFactory, new_db: Any) -> None:
    db = await new_db()
    async with emulator_factory(campaigns=2, contacts=100) as emu:
        holder = open_store(db.url)
        await holder.open()
        try:
            async with holder.lock(emu.config.stream_id, 1):
                rc, _, err = await run_cli("sync", "--db", db.url, "--lock-timeout", "0.5", "--quiet", env=cli_env(emu))
                assert rc == 8 and "another sync of st-emulator-0001 is running" in err
                assert emu.stats.requests == 0
                with pytest.raises(StoreLockedError):
                    async with KoreCampaignClient(**emu.client_kwargs()) as client:
                        other = open_store(db.url)
                        try:
                            await sync(client, other, lock_timeout=0.2)
                        finally:
                            await other.close()
                async with holder.lock("st-another-bot", 1):  # another bot is not held up
                    pass
            rc, _, err = await run_cli("sync", "--db", db.url, "--quiet", env=cli_env(emu))
            assert rc == 0, err  # the lock is free again
        finally:
            await holder.close()


async def test_bad_databases_fail_before_any_request(
    emulator_factory: EmulatorFactory, tmp_path: Path, postgres_server: str
) -> None:
    async with emulator_factory() as emu:
        env = cli_env(emu)
        port = postgres_server.rsplit(":", 1)[1].split("/")[0]
        rc, _, err = await run_cli("sync", "--db", "postgresql://kore:hunter2-secret@127.0.0.1:1/x", env=env)
        assert rc == 3 and "hunter2-secret" not in err and "kore:***@127.0.0.1:1" in err and "cannot connect" in err
        missing_db = f"postgresql://postgres:hunter2-secret@127.0.0.1:{port}/no_such_database"
        rc, _, err = await run_cli("sync", "--db", missing_db, env=env)
        assert rc == 3 and "hunter2-secret" not in err and "refused" in err
        rc, _, err = await run_cli("sync", "--db", f"sqlite:///{tmp_path}/missing/k.db", env=env)
        assert rc == 3 and "does not exist" in err
        not_a_db = tmp_path / "notes.db"
        not_a_db.write_text("this is not a database " * 100)
        rc, _, err = await run_cli("sync", "--db", f"sqlite:///{not_a_db}", env=env)
        assert rc == 3 and "cannot open the database" in err
        newer = tmp_path / "newer.db"
        with sqlite3.connect(newer) as conn:
            conn.execute("CREATE TABLE schema_version (version INTEGER, applied_at TEXT)")
            conn.execute("INSERT INTO schema_version VALUES (99, 'later')")
        rc, _, err = await run_cli("sync", "--db", f"sqlite:///{newer}", env=env)
        assert rc == 3 and "schema version 99" in err
        rc, _, err = await run_cli("sync", "--db", "mysql://x", env=env)
        assert rc == 3 and "unsupported database URL" in err
        assert emu.stats.requests == 0
    with pytest.raises(StoreError):
        open_store("sqlite:///:memory:")


async def test_a_newer_postgres_schema_is_refused(postgres_url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("CREATE TABLE schema_version (version integer, applied_at timestamptz)")
        await conn.execute("INSERT INTO schema_version VALUES (99, now())")
    finally:
        await conn.close()
    with pytest.raises(StoreError, match="schema version 99"):
        await open_store(postgres_url).open()


async def test_cli_summary_and_env(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    async with emulator_factory(campaigns=4, contacts=120) as emu:
        env = cli_env(emu, KORE_DB_URL=f"sqlite:///{tmp_path}/env.db")
        rc, _, err = await run_cli("sync", "--type", "voice", env=env)
        assert rc == 0, err
        assert "campaigns       seen 2" in err and "contacts        inserted 240" in err
        assert "requests" in err and "spent" in err and "saved" in err
        assert await DB(f"sqlite:///{tmp_path}/env.db").count("campaigns") == 2


NASTY_CODES = [[], ["System Generated"], ["é ✓", 'say "hi"', "back\\slash", "tab\there", "\u2028"], ["a", "a"]]


async def test_the_bulk_insert_stores_what_the_compare_path_stores(new_db: Any) -> None:
    """A fresh campaign's rows go in by the bulk path (SQLite: multi-row ``INSERT ... VALUES``
    statements; PostgreSQL: one statement over a JSON payload); rows new to a known campaign by
    the compare path. Both store the same values (unicode, quotes, escapes and empty lists
    included), an unchanged write of the same rows afterwards compares equal (no update, no
    history), and a change is one update and one history row. With a SQLite parameter limit of
    48 (statements of 4 rows, digests of 16 pages), 43 rows and 21 pages need every statement
    size: nothing is lost at a boundary."""
    db = await new_db()
    await _bulk_and_compare(db, None)
    if db.url.startswith("sqlite"):
        await _bulk_and_compare(await new_db(), 3 + 9 * 5)


async def _bulk_and_compare(db: Any, max_parameters: int | None) -> None:
    from datetime import UTC, datetime

    store = open_store(db.url)
    await store.open()
    if max_parameters is not None:
        assert isinstance(store, SQLiteStore)
        store._max_parameters = max_parameters
    try:
        now = datetime.now(UTC)
        counts = RunCounts()
        run = await store.begin_run("st-1", now)
        rows = [
            (
                i % 2,
                msgspec.convert(
                    {
                        "phoneNumber": f"+1555{i // 2:07d}",
                        "uniqueId": f"u-{i}",
                        "dialerOutcome": ["", "completed", "busy"][i % 3],
                        "numberOfAttemptsSoFar": i,
                        "botSessionId": f"{i:024x}",
                        "agentDispositionCodes": NASTY_CODES[i % len(NASTY_CODES)],
                        "botOutboundStatus": "userHangUp",
                        "botOutboundStatusDetail": "détail ✓" if i % 2 else "",
                    },
                    CampaignContact,
                ),
            )
            for i in range(43)
        ]
        digests = [(page, bytes([page]) * 16) for page in range(1, 22)]
        bulk = await store.write_campaign_contacts("st-1", run, "cd-bulk", rows, now, counts, digests, True)
        compared = await store.write_campaign_contacts("st-1", run, "cd-compare", rows, now, counts, digests, False)
        assert bulk.inserted == compared.inserted == 43
        columns = TABLES["campaign_contacts"].replace("campaign_id, ", "")
        stored = {
            cid: sorted(await db.rows(f"SELECT {columns} FROM campaign_contacts WHERE campaign_id = '{cid}'"))
            for cid in ("cd-bulk", "cd-compare")
        }
        assert len(stored["cd-bulk"]) == 43 and stored["cd-bulk"] == stored["cd-compare"]
        for cid in ("cd-bulk", "cd-compare"):
            assert await store.page_digests("st-1", cid) == dict(digests)
            again = await store.write_campaign_contacts("st-1", run, cid, rows, now, counts, (), False)
            assert (again.unchanged, again.updated, again.inserted) == (43, 0, 0)
        assert await db.count("contact_status_changes") == 0
        changed = [(o, msgspec.structs.replace(r, dialer_outcome="noAnswer")) for o, r in rows[:5]]
        result = await store.write_campaign_contacts("st-1", run, "cd-bulk", changed, now, counts, (), False)
        assert (result.updated, result.unchanged) == (5, 0) and await db.count("contact_status_changes") == 5
        assert (counts.contacts_inserted, counts.contacts_updated, counts.contacts_unchanged) == (86, 5, 86)
        saved = await db.rows("SELECT contacts_inserted, contacts_updated, contacts_unchanged FROM sync_runs")
        assert [tuple(r) for r in saved] == [(86, 5, 86)]
    finally:
        await store.close()


async def test_a_write_clears_complete_until_the_pass_finishes(emulator_factory: EmulatorFactory, new_db: Any) -> None:
    """A pass that wrote and was killed before finishing must not look complete: the next pass
    then checks for gone rows even when every page matches what is stored."""
    from datetime import UTC, datetime

    db = await new_db()
    async with emulator_factory(campaigns=2, contacts=300) as emu:
        await run_sync(emu, db)
        states = await db.rows("SELECT complete FROM campaign_sync_state WHERE campaign_id = ?", campaign_id(0))
        assert [bool(x[0]) for x in states] == [True]
        store = open_store(db.url)
        await store.open()
        try:
            now = datetime.now(UTC)
            row = msgspec.convert(emu.status_row(0, 0), CampaignContact)
            run = await store.begin_run(emu.config.stream_id, now)
            await store.write_campaign_contacts(emu.config.stream_id, run, campaign_id(0), [(0, row)], now, RunCounts())
            # ... and the process dies here
            state = (await store.sync_states(emu.config.stream_id))[campaign_id(0)]
            assert state.complete is False
        finally:
            await store.close()
        emu.set_contact_count(campaign_id(0), 250)
        report = await run_sync(emu, db)
        assert report.contacts_gone == 50
        again = await run_sync(emu, db)  # unchanged, complete again: nothing written, nothing gone
        assert (again.contacts_gone, again.contacts_inserted, again.contacts_updated) == (0, 0, 0)


async def test_sigterm_during_a_sync_says_to_run_it_again(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    """issue 23.8: a sync has no --resume; after SIGTERM the CLI says what is true for it (a
    re-run continues by itself) and exits 130, and the re-run does."""
    url = f"sqlite:///{tmp_path / 'term.db'}"
    async with emulator_factory(campaigns=6, contacts=3_000, latency_ms=20) as emu:
        env = cli_env(emu)
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "korecampaign_async", "sync", "--db", url, "--concurrency", "2", "--quiet"),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        while emu.stats.by_endpoint["status"] < 20:  # noqa: ASYNC110 - the emulator's counter
            await asyncio.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        _, err = await proc.communicate()
        assert proc.returncode == 130, err
        message = err.decode()
        assert "run the same sync again" in message and "with --resume" not in message
        rc, _, err2 = await run_cli("sync", "--db", url, "--quiet", env=env)
        assert rc == 0, err2
    statuses = [r[0] for r in await query(url, "SELECT status FROM sync_runs ORDER BY run_id")]
    assert statuses == ["interrupted", "ok"]


@pytest.fixture
def own_cluster() -> Any:
    """A PostgreSQL cluster of the test's own (it is restarted and stopped mid-sync)."""
    from benchmarks.pgcluster import bindir, cluster

    if bindir() is None:
        if os.environ.get("KORECAMPAIGN_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (apt-get install postgresql)")
        pytest.skip("PostgreSQL binaries not found (apt-get install postgresql)")
    with cluster() as handle:
        yield handle


async def _sync_until_written(emu: Emulator, db: DB, rows: int, *extra: str) -> asyncio.subprocess.Process:
    """A CLI sync into ``db``, returned once it has committed ``rows`` campaign contacts."""
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "korecampaign_async", "sync", "--db", db.url, "--concurrency", "2", *extra),
        env=cli_env(emu),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    for _ in range(1000):
        await asyncio.sleep(0.02)
        with contextlib.suppress(Exception):  # the schema may not exist yet
            if await db.count("campaign_contacts") >= rows:
                return proc
    proc.kill()
    raise AssertionError("the sync did not write anything")


@pytest.mark.slow
async def test_postgres_restarted_mid_sync_reconnects_and_continues(
    emulator_factory: EmulatorFactory, own_cluster: Any
) -> None:
    """issue 23.5: `pg_ctl restart -m fast` mid-sync: the sync reconnects with backoff,
    continues from the last committed batch and ends as a clean run does, sync_runs 'ok'."""
    from benchmarks.pgcluster import create_database

    restarted, clean = DB(await create_database(own_cluster.dsn)), DB(await create_database(own_cluster.dsn))
    async with emulator_factory(campaigns=8, contacts=4_000, latency_ms=10, list_contacts=300) as emu:
        proc = await _sync_until_written(emu, restarted, 5_000, "--contact-list", contact_list_id(0))
        await asyncio.to_thread(own_cluster.restart)
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        text = err.decode()
        assert "reconnected after" in text and "Traceback" not in text
        rc, _, err2 = await run_cli("sync", "--db", clean.url, "--contact-list", contact_list_id(0), env=cli_env(emu))
        assert rc == 0, err2
    assert await snapshot(restarted) == await snapshot(clean)
    assert [r[0] for r in await restarted.rows("SELECT status FROM sync_runs")] == ["ok"]
    assert await restarted.count("campaign_contacts") == 4 * 4_000


@pytest.mark.slow
async def test_postgres_gone_past_the_retry_timeout_is_one_line_and_exit_10(
    emulator_factory: EmulatorFactory, own_cluster: Any
) -> None:
    """Past --db-retry-timeout: one `korecampaign: error:` line, exit 10, no traceback; the
    database back, a re-run completes and the stopped run is not left 'running'."""
    from benchmarks.pgcluster import create_database

    db = DB(await create_database(own_cluster.dsn))
    async with emulator_factory(campaigns=8, contacts=4_000, latency_ms=10) as emu:
        proc = await _sync_until_written(emu, db, 3_000, "--db-retry-timeout", "1")
        await asyncio.to_thread(own_cluster.stop)
        _, err = await proc.communicate()
        lines = [line for line in err.decode().splitlines() if "error" in line]
        assert proc.returncode == 10, err.decode()
        assert len(lines) == 1 and lines[0].startswith("korecampaign: error: ") and "did not come back" in lines[0]
        assert "Traceback" not in err.decode()
        await asyncio.to_thread(own_cluster.start)
        rc, _, err2 = await run_cli("sync", "--db", db.url, "-q", env=cli_env(emu))
        assert rc == 0, err2
    statuses = [r[0] for r in await db.rows("SELECT status FROM sync_runs ORDER BY run_id")]
    assert statuses[-1] == "ok" and statuses[0] in ("failed", "interrupted") and "running" not in statuses
    assert await db.count("campaign_contacts") == 4 * 4_000


# -- spending requests only where something can change (issue 22.2) ---------------------------
async def test_an_unchanged_account_costs_the_list_requests_only(
    emulator_factory: EmulatorFactory, new_db: Any
) -> None:
    """Nothing moved since the last sync: only campaigns that dial (Active) are read again; the
    others, final or not, are skipped with their reason, and an unchanged contact list too."""
    db = await new_db()
    async with emulator_factory(campaigns=16, contacts=250, list_contacts=300) as emu:
        first = await run_sync(emu, db, contact_lists=[contact_list_id(0)])
        assert first.read_reasons == {"no complete pass yet": 9}  # 8 voice campaigns and the list
        before = emu.stats.requests
        second = await run_sync(emu, db, contact_lists=[contact_list_id(0)])
        active = [i for i in range(0, 16, 2) if emu.campaign(i)["status"] == "Active"]
        assert active and len(active) < 8
        assert second.read_reasons == {"dialling (Active)": len(active)}
        assert second.skip_reasons == {
            "unchanged and not dialling": 8 - len(active),
            "list unchanged (totalRecordCount, updatedAt)": 1,
        }
        # the list pages (voice, SMS, the list of lists) and the Active campaigns' pages only
        assert emu.stats.requests - before == second.requests == 3 + 3 * len(active)
        assert (second.contacts_inserted, second.contacts_updated, second.contacts_gone) == (0, 0, 0)


async def test_a_moved_fingerprint_or_a_due_pass_reads_again(emulator_factory: EmulatorFactory, new_db: Any) -> None:
    db = await new_db()
    async with emulator_factory(campaigns=8, contacts=120, list_contacts=50) as emu:
        await run_sync(emu, db, contact_lists=[contact_list_id(0)])
        emu.advance()  # outcomes fill in; every campaign's updatedAt (and some statuses) move
        moved = await run_sync(emu, db, contact_lists=[contact_list_id(0)])
        assert moved.campaigns_skipped == 0 and moved.contacts_updated > 0
        assert sum(moved.read_reasons.values()) == 4 + 0  # four voice campaigns; the list did not move
        assert moved.skip_reasons == {"list unchanged (totalRecordCount, updatedAt)": 1}
        async with make_client(emu) as client:
            await client.contact_lists.add_contacts("List 0", [{"phoneNumber": "+15550009999"}])
        grown = await run_sync(emu, db, contact_lists=[contact_list_id(0)])
        assert grown.read_reasons.get("list changed (totalRecordCount, updatedAt)") == 1
        assert grown.list_contacts_inserted == 1
        await asyncio.sleep(0.02)
        due = await run_sync(emu, db, contact_lists=[contact_list_id(0)], full_every=0.01)
        assert due.campaigns_skipped == 0 and due.lists_skipped == 0
        assert due.read_reasons.get("full pass due (--full-every)", 0) >= 3
        forced = await run_sync(emu, db, contact_lists=[contact_list_id(0)], full=True)
        assert forced.read_reasons == {"--full": 5}


async def test_contacts_that_move_without_the_campaign_moving_wait_for_the_safety_net(
    emulator_factory: EmulatorFactory, new_db: Any
) -> None:
    """The evidence the sync trusts (docs/api-notes.md): a campaign that does not dial and whose
    listing did not move is not read. Rows changed behind such a campaign's back are found by
    the --full-every pass (here forced by full_every=0.01), never lost."""
    db = await new_db()
    async with emulator_factory(campaigns=4, contacts=300) as emu:
        await run_sync(emu, db)
        ready = campaign_id(2)
        assert emu.campaign(2)["status"] == "Ready"
        emu.set_contact_count(ready, 250)
        quiet = await run_sync(emu, db)
        assert ready in quiet.skipped_campaigns and quiet.contacts_gone == 0
        await asyncio.sleep(0.02)
        net = await run_sync(emu, db, full_every=0.01)
        assert net.contacts_gone == 50


async def test_the_demos_third_sync_spends_the_list_requests_only(tmp_path: Path) -> None:
    """issue 22.2's goal: `korecampaign demo --db`'s third sync ("nothing changed since") spends
    at most 15 requests (here: the two campaign lists and the list of lists)."""
    rc, out, err = await run_cli(
        "demo", "--db", f"sqlite:///{tmp_path / 'demo.db'}", "--contacts", "4000", env=cli_env(), timeout=120
    )
    assert rc == 0, err
    third = out.split("nothing changed since")[1]
    line = next(x for x in third.splitlines() if x.strip().startswith("requests "))
    spent = int(line.split()[1].replace(",", ""))
    assert spent <= 15 and "read            nothing" in third, third

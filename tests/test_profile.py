"""The server profile (issue 22.4): what a client learns about a server is remembered per
(host, stream), in a file and in Redis for a fleet, so the next process spends no request
learning it again; anything unreadable is ignored with one warning; a contradiction re-learns."""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

import pytest

from korecampaign_async import RedisRateLimit
from korecampaign_async.emulator import contact_list_id
from korecampaign_async.transport.profile import PROFILE_VERSION, ProfileStore

from .conftest import EmulatorFactory, make_client
from .test_cli import cli_env, run_cli


async def test_a_second_client_spends_nothing_learning(emulator_factory: EmulatorFactory) -> None:
    """First run: one probe (a server reading `page`) and one refused page size. Second run,
    a new client (a new process would do the same, reading the file): neither."""
    async with emulator_factory(paging="page", limit_policy="reject", max_limit=100, list_contacts=450) as emu:
        async with make_client(emu) as first:
            await first.iter_contact_list(contact_list_id(0)).collect()
            assert first.stats.probe_requests == 1 and first.stats.discrepancies >= 1
        path = first._profiles.path_for(first.host, first.stream_id)
        saved = json.loads(Path(path).read_text())
        assert saved["readings"] == {"contacts": "page"} and saved["page_sizes"] == {"contacts": 100}
        assert saved["echoes"] == {"contacts": "skip"}  # its answers echo the offset
        assert (
            saved["version"] == PROFILE_VERSION
            and os.path.dirname(os.path.dirname(path)) == os.environ["KORECAMPAIGN_CACHE_DIR"]
        )
        before = emu.stats.by_endpoint["contacts"]
        async with make_client(emu) as second:
            assert second.profile.readings == {"contacts": "page"}
            rows = await second.iter_contact_list(contact_list_id(1)).collect()
            assert len(rows) == 450
            assert second.stats.probe_requests == 0 and second.stats.discrepancies == 0
        assert emu.stats.by_endpoint["contacts"] - before == 5  # the pages, nothing else


@pytest.mark.parametrize("content", ["{not json", json.dumps({"version": 999, "host": "h", "stream_id": "s"})])
async def test_an_unreadable_profile_is_ignored_with_one_warning(
    emulator_factory: EmulatorFactory, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with emulator_factory(list_contacts=300) as emu:
        store = ProfileStore()
        async with make_client(emu, profile=store) as probe:
            path = store.path_for(probe.host, probe.stream_id)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Path(path).write_text(content)
        async with make_client(emu, profile=store, page_size=100) as client:
            assert client.profile.empty
            assert len(await client.iter_contact_list(contact_list_id(0)).collect()) == 300
        assert json.loads(Path(path).read_text())["version"] == PROFILE_VERSION  # rewritten by what was learned
        Path(path).write_text(content)
        async with make_client(emu, profile=store, page_size=100) as again:  # the same store: said once
            assert again.profile.empty
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "server profile" in r.getMessage()]
        assert len(warnings) == 1 and "ignored" in warnings[0].getMessage()


async def test_an_unwritable_cache_dir_is_a_warning_and_memory(
    emulator_factory: EmulatorFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the directory should be")
    async with (
        emulator_factory(paging="skip", list_contacts=500) as emu,
        make_client(emu, profile=ProfileStore(blocked / "profiles"), page_size=100) as client,
    ):
        assert len(await client.iter_contact_list(contact_list_id(0)).collect()) == 500
        assert len(await client.iter_contact_list(contact_list_id(1)).collect()) == 500
        assert client.profile.readings == {"contacts": "skip"}  # kept in memory
    warnings = [r for r in caplog.records if "cannot be saved" in r.getMessage()]
    assert len(warnings) == 1


async def test_a_contradicted_reading_is_forgotten_and_learned_again(
    emulator_factory: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """The file says the server reads `skip`; this server reads `page`: page 2 answers page 1
    again. The stream forgets the reading, learns it again (page 1 as the reference, and the
    probe) and reads on from page 2: every row once, in order, one WARNING."""
    async with emulator_factory(paging="page", list_contacts=400) as emu:
        store = ProfileStore()
        async with make_client(emu, profile=store) as seed:
            seed.profile.readings = {"contacts": "skip"}
            store.save(seed.profile)
        async with make_client(emu, profile=store, page_size=100) as client:
            assert client.paging_readings["contacts"] == "skip"
            rows = await client.iter_contact_list(contact_list_id(0)).collect()
            assert [c.id for c in rows] == [emu.list_contact(0, r)["_id"] for r in range(400)]
            assert client.paging_readings["contacts"] == "page" and client.profile.readings == {"contacts": "page"}
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "contradicts" in r.getMessage()]
        assert len(warnings) == 1


async def test_a_fleet_shares_its_profile_through_redis(
    emulator_factory: EmulatorFactory, redis_url: str, tmp_path: Path
) -> None:
    """Two workers with cache directories of their own and one Redis budget: what the first
    learned, the second knows from its first request."""
    key = f"profile-test:{uuid.uuid4()}"
    async with emulator_factory(paging="page", list_contacts=300) as emu:
        one = RedisRateLimit(redis_url, key=key, windows=[(1000, 1.0)])
        async with make_client(emu, rate_limit=one, profile=ProfileStore(tmp_path / "one"), page_size=100) as first:
            await first.iter_contact_list(contact_list_id(0)).collect()
            assert first.stats.probe_requests == 1
        await one.close()
        two = RedisRateLimit(redis_url, key=key, windows=[(1000, 1.0)])
        async with make_client(emu, rate_limit=two, profile=ProfileStore(tmp_path / "two"), page_size=100) as second:
            assert second.profile.readings == {"contacts": "page"}
            await second.iter_contact_list(contact_list_id(1)).collect()
            assert second.stats.probe_requests == 0
            await second.forget_profile()
            assert second.profile.empty and await two.load_profile() is None
        await two.close()


async def test_check_shows_the_profile_and_forgets_it(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(paging="skip", list_contacts=500, limit_policy="cap", max_limit=200) as emu:
        async with make_client(emu) as client:
            await client.iter_contact_list(contact_list_id(0)).collect()
        env = cli_env(emu)
        rc, out, err = await run_cli("check", env=env)
        assert rc == 0, err
        assert "server profile" in out and "reading contacts=skip" in out and "page sizes contacts=200" in out
        assert "contact-list contacts" in out and "200 (learned" in out
        rc, out, err = await run_cli("check", "--forget", "--json", env=env)
        assert rc == 0, err
        doc = json.loads(out)
        assert doc["profile"]["forgotten"] is True and doc["profile"]["readings"] == {}


@pytest.mark.slow
@pytest.mark.xdist_group("timing")
async def test_inferred_windows_are_remembered_and_a_second_run_spends_no_429(
    emulator_factory: EmulatorFactory,
) -> None:
    """issue 22.4 with 22.3: the windows inferred from 429s go into the profile; the next
    client paces by them from its first request: no learning 429."""
    import asyncio

    from korecampaign_async.emulator import campaign_id

    async with emulator_factory(contacts=6_000, rate_limit="10/0.5s,30/3s", rate_limit_retry_after=False) as emu:
        async with make_client(emu) as first:
            first.transport.concurrency.hold_initial = 0.25
            await first.iter_campaign_contacts(campaign_id(0)).collect()
            assert first.stats.throttled > 0
        assert first.profile.windows == [(10, 0.5), (30, 3.0)]
        await asyncio.sleep(3.2)  # the server's windows empty again
        async with make_client(emu) as second:
            assert second.transport.concurrency.learned_windows == [(10, 0.5), (30, 3.0)]
            rows = await second.iter_campaign_contacts(campaign_id(2)).collect()
            assert len(rows) == 6_000
            # no learning: paced by the remembered windows from the first request (one 429 is
            # tolerated: on a loaded test machine a send can slip past the 50 ms margin)
            assert second.stats.throttled <= 1 < first.stats.throttled

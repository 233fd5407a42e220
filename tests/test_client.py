"""End to end against the emulator: paging, order, faults, drift, cancellation."""

import asyncio
from typing import Any

import pytest

from korecampaign_async import (
    AuthenticationError,
    ConfigurationError,
    Hooks,
    JWTAuth,
    KoreCampaignClient,
    NotFoundError,
    PaginationDriftError,
    RateLimit,
)
from korecampaign_async.emulator import Emulator, campaign_id, contact_list_id

from .conftest import EmulatorFactory, make_client


def expected_phones(emu: Emulator, index: int, count: int) -> list[str]:
    return [emu.status_row(index, r)["phoneNumber"] for r in range(count)]


async def test_every_contact_exactly_once_in_order(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=2345) as emu, make_client(emu, max_concurrency=8) as client:
        stream = client.iter_campaign_contacts(campaign_id(0))
        phones = [row.phone_number async for row in stream]
        assert phones == expected_phones(emu, 0, 2345)
        assert stream.total_results == 2345 and stream.total_pages == 24 and stream.next_page == 25
        assert emu.stats.duplicate_pages() == {}
        assert emu.stats.by_endpoint["status"] == 24  # one request per page, nothing more
        assert client.stats.pages == 24 and client.stats.records == 2345


async def test_pages_are_fetched_concurrently_within_the_limit(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=3000, latency_ms=20) as emu, make_client(emu, max_concurrency=4) as client:
        rows = await client.iter_campaign_contacts(campaign_id(0)).collect()
        assert len(rows) == 3000
        assert emu.stats.max_in_flight == 4


async def test_exactly_once_under_faults(emulator_factory: EmulatorFactory) -> None:
    faults = {"fault_429": 0.05, "fault_5xx": 0.05, "fault_drop": 0.03, "fault_malformed": 0.03, "retry_after": 0.01}
    async with emulator_factory(contacts=6000, **faults) as emu, make_client(emu, max_concurrency=8) as client:
        phones = [row.phone_number async for row in client.iter_campaign_contacts(campaign_id(0))]
        assert phones == expected_phones(emu, 0, 6000)
        assert sum(client.stats.retries.values()) > 0
        assert client.stats.throttled > 0
        assert emu.stats.duplicate_pages() == {}


async def test_contact_list_all_pages(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(list_contacts=777) as emu, make_client(emu) as client:
        contacts = [c async for c in client.iter_contact_list(contact_list_id(2), page_size=50)]
        assert [c.id for c in contacts] == [emu.list_contact(2, r)["_id"] for r in range(777)]
        assert contacts[0].created_at is not None


async def test_campaigns_filtered_and_sorted(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(campaigns=300) as emu, make_client(emu) as client:
        found = [
            c
            async for c in client.iter_campaigns(
                "voice", filters={"status": ["Ready", "Stopped"], "priority": [1, 3]}, sort_by="name:desc", page_size=7
            )
        ]
        expected = sorted(
            (
                emu.campaign(i)
                for i in range(0, 300, 2)
                if emu.campaign(i)["status"] in ("Ready", "Stopped") and emu.campaign(i)["priority"] in ("1", "3")
            ),
            key=lambda d: d["name"],
            reverse=True,
        )
        assert [c.id for c in found] == [d["_id"] for d in expected]
        assert len(found) > 7  # more than one page
        sms = [c async for c in client.iter_campaigns("sms")]
        assert len(sms) == 150 and all(c.message is not None for c in sms)


async def test_get_campaign_and_errors(emulator: Emulator, client: KoreCampaignClient) -> None:
    campaign = await client.get_campaign(campaign_id(4))
    assert campaign.id == campaign_id(4) and campaign.dialing_strategy is not None
    with pytest.raises(NotFoundError, match="cd-nope"):
        await client.get_campaign("cd-nope")


async def test_wrong_secret_is_an_authentication_error(emulator: Emulator) -> None:
    bad = JWTAuth(emulator.config.client_id, "a-wrong-secret-that-is-long-enough-for-hs256!!")
    async with make_client(emulator, auth=bad) as client:
        with pytest.raises(AuthenticationError) as err:
            await client.get_campaign(campaign_id(0))
    assert err.value.status == 401 and "invalid token" in err.value.message
    assert emulator.stats.requests == 1  # not retried


async def test_result_set_growing_mid_export_raises_with_resume_point(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=1000) as emu:
        hooks = Hooks(on_page=lambda e: emu.set_contact_count(campaign_id(0), 1050) if e.page == 2 else None)
        async with make_client(emu, max_concurrency=1, prefetch=1, hooks=hooks) as client:
            stream = client.iter_campaign_contacts(campaign_id(0))
            seen: list[str] = []
            with pytest.raises(PaginationDriftError, match="changed during the export") as err:
                async for row in stream:
                    seen.append(row.phone_number)
            assert err.value.resume_page == 3
            assert seen == expected_phones(emu, 0, 200)  # pages 1-2 delivered once, nothing else


async def test_extend_policy_follows_appended_rows(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=1000) as emu:
        hooks = Hooks(on_page=lambda e: emu.set_contact_count(campaign_id(0), 1234) if e.page == 2 else None)
        async with make_client(emu, max_concurrency=1, prefetch=1, hooks=hooks, on_change="extend") as client:
            phones = [row.phone_number async for row in client.iter_campaign_contacts(campaign_id(0))]
            assert phones == expected_phones(emu, 0, 1234)


async def test_resume_from_a_page(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=1000) as emu, make_client(emu) as client:
        rows = [r.phone_number async for r in client.iter_campaign_contacts(campaign_id(0), start_page=8)]
        assert rows == expected_phones(emu, 0, 1000)[700:]


SERVER_TASKS = ("RequestHandler.", "BaseSelectorEventLoop._accept_connection")


def pending_tasks() -> set[asyncio.Task[Any]]:
    """Client-side tasks still running (the in-process emulator's server tasks excluded)."""
    return {
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and not t.done() and not t.get_coro().__qualname__.startswith(SERVER_TASKS)  # type: ignore[union-attr]
    }


async def test_break_cancels_in_flight_requests(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=50_000, latency_ms=300) as emu, make_client(emu, max_concurrency=8) as client:
        before = pending_tasks()
        async with client.iter_campaign_contacts(campaign_id(0)) as stream:
            async for _ in stream:
                break
        # the first page arrived, the next 8 were in flight: all cancelled on exit
        assert pending_tasks() - before == set()
        assert client.transport.concurrency.in_flight == 0
        session = client.transport._session
        assert session is not None
        await asyncio.sleep(0)
        assert len(session.connector._acquired) == 0  # type: ignore[union-attr]


async def test_cancelling_the_consumer_task(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=50_000, latency_ms=50) as emu, make_client(emu, max_concurrency=8) as client:
        halfway = asyncio.Event()

        async def consume() -> None:
            rows = 0
            async for _ in client.iter_campaign_contacts(campaign_id(0)):
                rows += 1
                if rows == 500:
                    halfway.set()

        before = pending_tasks()
        task = asyncio.create_task(consume())
        await halfway.wait()
        task.cancel()
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert loop.time() - start < 1.0
        assert pending_tasks() - before == set()
        assert client.transport.concurrency.in_flight == 0


async def test_buffering_is_bounded_for_a_slow_consumer(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=10_000) as emu, make_client(emu, max_concurrency=4, prefetch=6) as client:
        consumed_pages = 0
        async for page in client.iter_campaign_contacts(campaign_id(0)).pages():
            consumed_pages += 1
            await asyncio.sleep(0.005)  # slow consumer: fetching must not run ahead
            assert emu.stats.by_endpoint["status"] <= consumed_pages + 6
            assert len(page.results) == 100
        assert consumed_pages == 100


async def test_stream_iterates_once(client: KoreCampaignClient) -> None:
    stream = client.iter_campaign_contacts(campaign_id(0))
    await stream.collect()
    with pytest.raises(RuntimeError, match="only once"):
        await stream.collect()


async def test_from_env(emulator: Emulator) -> None:
    env = emulator.env() | {"KORE_RATE_LIMIT": "100/1s"}
    async with KoreCampaignClient.from_env(env, max_concurrency=3) as client:
        assert isinstance(client.rate_limit, RateLimit) and client.rate_limit.limits == ((100, 1.0),)
        assert client.max_concurrency == 3
        assert (await client.get_campaign(campaign_id(0))).id == campaign_id(0)
    token_env = {k: v for k, v in env.items() if not k.startswith("KORE_CLIENT")}
    token_env["KORE_TOKEN"] = JWTAuth(emulator.config.client_id, emulator.config.client_secret).token()
    async with KoreCampaignClient.from_env(token_env) as client:
        assert (await client.get_campaign(campaign_id(0))).id == campaign_id(0)


def test_from_env_lists_everything_missing() -> None:
    with pytest.raises(ConfigurationError) as err:
        KoreCampaignClient.from_env({"KORE_HOST": "https://x"})
    assert err.value.missing == ("KORE_STREAM_ID", "KORE_ACCOUNT_ID", "KORE_CLIENT_ID", "KORE_CLIENT_SECRET")
    assert "KORE_TOKEN" in str(err.value)


def test_bad_client_settings() -> None:
    with pytest.raises(ConfigurationError, match="http"):
        KoreCampaignClient("platform.kore.ai", "st", "acc", auth="t")
    with pytest.raises(ConfigurationError, match="stream_id"):
        KoreCampaignClient("https://x", "", "acc", auth="t")


async def test_every_iterator_uses_the_largest_page_size(emulator_factory: EmulatorFactory) -> None:
    """Request economy with page_size=100: 100 per page (the documented maximum for contact
    status), so N records cost ceil(N / 100) requests."""
    async with (
        emulator_factory(campaigns=500, contacts=1_050, list_contacts=950) as emu,
        make_client(emu, page_size=100) as client,
    ):
        await client.iter_campaign_contacts(campaign_id(0)).collect()
        await client.iter_contact_list(contact_list_id(0)).collect()
        await client.iter_campaigns("voice").collect()
        limits = {(kind, limit) for kind, _, _, limit in emu.stats.pages_served}
        assert limits == {("status", 100), ("contacts", 100), ("campaigns", 100)}
        # + one probe each for the two endpoints taking page and skip: this emulator reads
        # `page`, so the probe (page=1&skip=100) is answered with page 1 again. Spent once
        # per client and endpoint, not per export.
        assert emu.stats.by_endpoint == {"status": 11, "contacts": 11, "campaigns": 4}
        assert {key[0]: (key[2], n) for key, n in emu.stats.duplicate_pages().items()} == {
            "contacts": (1, 2),
            "campaigns": (1, 2),
        }
        assert client.stats.probe_requests == 2
        assert client.paging_readings == {"campaigns": "page", "contacts": "page"}
        await client.iter_contact_list(contact_list_id(1)).collect()
        assert emu.stats.by_endpoint["contacts"] == 21  # learned: no probe the second time

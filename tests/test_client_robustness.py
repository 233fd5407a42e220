"""End to end against servers that read the docs differently from us: every page/skip
reading, totals that disagree with the rows, resuming, and leaving a loop early.

The emulator plays each reading (``paging``) and each way of echoing it (``echo``); the
checks are what a user relies on: every record exactly once, in API order, and a bounded
number of requests."""

from __future__ import annotations

import asyncio
import logging
import math

import pytest

from korecampaign_async import PaginationDriftError
from korecampaign_async.emulator import PAGING_MODES, campaign_id, contact_list_id

from .conftest import EmulatorFactory, make_client

READINGS = [m for m in PAGING_MODES if m != "none"]


@pytest.mark.parametrize("echo", ["effective", "request", "none"])
@pytest.mark.parametrize("paging", READINGS)
async def test_every_reading_every_record_once_in_order(
    emulator_factory: EmulatorFactory, paging: str, echo: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with (
        emulator_factory(paging=paging, echo=echo, campaigns=430, list_contacts=1_250) as emu,
        make_client(emu, max_concurrency=4, page_size=100) as client,
    ):
        with caplog.at_level(logging.INFO, logger="korecampaign_async"):
            contacts = await client.iter_contact_list(contact_list_id(0)).collect()
            campaigns = await client.iter_campaigns("voice").collect()
            again = await client.iter_contact_list(contact_list_id(1)).collect()
        expected_contacts = [emu.list_contact(0, r)["_id"] for r in range(1_250)]
        assert [c.id for c in contacts] == expected_contacts
        assert [c.id for c in again] == [emu.list_contact(1, r)["_id"] for r in range(1_250)]
        assert [c.id for c in campaigns] == [campaign_id(i) for i in range(0, 430, 2)]
        # at most one probe per endpoint for the client's whole life, none wasted when it reads skip
        pages = 2 * math.ceil(1_250 / 100) + math.ceil(215 / 100)
        extra = 2 if paging == "page" else 0
        assert emu.stats.requests == pages + extra
        assert client.stats.probe_requests == extra
        learned = "page" if paging == "page" else "skip"
        assert client.paging_readings == {"campaigns": learned, "contacts": learned}
        said = [r.getMessage() for r in caplog.records if "the server reads" in r.getMessage()]
        assert len(said) == 2 and all(r.levelno == logging.INFO for r in caplog.records if "reads" in r.getMessage())


@pytest.mark.parametrize("paging", READINGS)
async def test_resume_with_an_unknown_reading(emulator_factory: EmulatorFactory, paging: str) -> None:
    """A resumed export must ask for its first page in the server's terms: two probe
    requests (page 1 as the reference, and the probe) before it."""
    async with emulator_factory(paging=paging, list_contacts=1_000) as emu, make_client(emu, page_size=100) as client:
        contacts = await client.iter_contact_list(contact_list_id(0), start_page=4).collect()
        assert [c.id for c in contacts] == [emu.list_contact(0, r)["_id"] for r in range(300, 1_000)]
        assert emu.stats.requests == 7 + 2
        assert client.stats.probe_requests == 2


@pytest.mark.parametrize("echo", ["effective", "request", "none"])
async def test_a_server_that_ignores_page_and_skip_fails_clearly(emulator_factory: EmulatorFactory, echo: str) -> None:
    async with (
        emulator_factory(paging="none", echo=echo, list_contacts=1_000) as emu,
        make_client(emu, page_size=100) as client,
    ):
        seen = []
        with pytest.raises(PaginationDriftError, match="page 2 repeats the rows of page 1") as err:
            async for contact in client.iter_contact_list(contact_list_id(0)):
                seen.append(contact.id)
        assert err.value.resume_page == 2
        assert len(seen) == len(set(seen)) == 100  # page 1 once, no duplicate delivered
        # no loop: page 1, the probe, and at most about one wave of workers before page 2 is checked
        assert emu.stats.requests <= 3 + client.max_concurrency


async def test_totals_that_disagree_export_every_row(emulator_factory: EmulatorFactory) -> None:
    """totalPages=10 but totalResults=1007 (the issue's case): 1,000 rows, one request to
    confirm the end, the shortfall reported."""
    async with emulator_factory(contacts=1_000, overcount=7) as emu, make_client(emu) as client:
        stream = client.iter_campaign_contacts(campaign_id(0))
        rows = await stream.collect()
        assert len(rows) == 1_000 and len({r.unique_id for r in rows}) == 1_000
        assert (stream.total_pages, stream.total_results) == (10, 1007)
        assert stream.shortfall == 7 and client.stats.shortfall == 7
        assert emu.stats.requests == 11  # ten pages and the one that proved the end
        assert client.stats.discrepancies >= 1


async def test_overcount_within_the_last_page(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=950, overcount=20) as emu, make_client(emu) as client:
        stream = client.iter_campaign_contacts(campaign_id(0))
        assert len(await stream.collect()) == 950
        assert stream.shortfall == 20 and emu.stats.requests == 10


async def test_strict_keeps_the_exact_checks(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=1_000, overcount=7) as emu, make_client(emu, strict=True) as client:
        with pytest.raises(PaginationDriftError, match="totalPages=10 but totalResults=1007"):
            await client.iter_campaign_contacts(campaign_id(0)).collect()
        rows = await client.iter_campaign_contacts(campaign_id(0), strict=False).collect()
        assert len(rows) == 1_000


async def test_break_stops_the_spending(emulator_factory: EmulatorFactory) -> None:
    """No ``async with``: dropping the iterator stops new requests and cancels the ones in
    flight (a 200-page campaign, concurrency 8, 50 ms per answer)."""
    async with emulator_factory(contacts=20_000, latency_ms=50) as emu, make_client(emu, max_concurrency=8) as client:
        taken = 0
        async for _ in client.iter_campaign_contacts(campaign_id(0)):
            taken += 1
            if taken == 5:
                in_flight = client.transport.concurrency.in_flight
                arrived = emu.stats.requests
                break
        await asyncio.sleep(0.5)
        after = emu.stats.requests - arrived
        assert after <= in_flight, f"{after} requests arrived after the break, {in_flight} were in flight"
        assert emu.stats.requests <= 1 + 2 * client.max_concurrency
        assert client.transport.concurrency.in_flight == 0
        tasks = [t for t in asyncio.all_tasks() if "worker" in repr(t.get_coro())]
        assert tasks == []


async def test_break_while_holding_the_stream(emulator_factory: EmulatorFactory) -> None:
    """The user keeps the stream object; dropping only the iterator still stops the workers."""
    async with emulator_factory(contacts=20_000, latency_ms=20) as emu, make_client(emu) as client:
        stream = client.iter_campaign_contacts(campaign_id(0))
        async for _ in stream.pages():
            break
        await asyncio.sleep(0.3)
        before = emu.stats.requests
        await asyncio.sleep(0.3)
        assert emu.stats.requests == before <= 1 + 2 * client.max_concurrency
        assert stream.next_page == 2  # page 1 was handed out: a resume starts at page 2


@pytest.mark.parametrize("echo", ["effective", "none"])
@pytest.mark.parametrize("paging", READINGS)
async def test_a_server_with_its_own_page_size_loses_no_row(
    emulator_factory: EmulatorFactory, paging: str, echo: str
) -> None:
    """The server serves 30 rows per page whatever limit asked (100), and with echo="none" does
    not say so: its totals are those of 30-row pages. Offsets and page numbers follow its size,
    so no row between its pages and ours is skipped, for every page/skip reading."""
    async with (
        emulator_factory(paging=paging, echo=echo, page_cap=30, contacts=1_000, list_contacts=950) as emu,
        make_client(emu, max_concurrency=4) as client,
    ):
        stream = client.iter_campaign_contacts(campaign_id(0))
        rows = await stream.collect()
        assert [r.unique_id for r in rows] == [f"u-0-{r}" for r in range(1_000)]
        contacts = await client.iter_contact_list(contact_list_id(0)).collect()
        assert [c.id for c in contacts] == [emu.list_contact(0, r)["_id"] for r in range(950)]
        assert stream.shortfall == 0 and client.stats.shortfall == 0
        # the one probe (page=1&skip=30) a server reading `page` answers with page 1 again
        probe = {("contacts", contact_list_id(0), 1, 30): 2} if paging == "page" else {}
        assert emu.stats.duplicate_pages() == probe
        if echo == "none":
            assert any("rows per page where 100 were asked" in n for n in stream.notes)


# -- rows per request, learned (issue 22.1) -----------------------------------------------------
@pytest.mark.parametrize("echo", ["effective", "none"])
@pytest.mark.parametrize("policy", ["serve", "cap", "reject"])
@pytest.mark.parametrize("paging", READINGS)
async def test_auto_page_size_learns_what_the_server_honours(
    emulator_factory: EmulatorFactory, paging: str, policy: str, echo: str, caplog: pytest.LogCaptureFixture
) -> None:
    """page_size="auto" asks 1,000: the server serves them, caps them at its own size (250,
    totals in that size), or refuses the size (then 100, one request lost). Whichever it does,
    under every page/skip reading and echo: every row once, in order; the size is learned, and
    the next stream starts at it (no refusal again)."""
    rows = 3_210
    async with (
        emulator_factory(paging=paging, echo=echo, limit_policy=policy, max_limit=250, list_contacts=rows) as emu,
        make_client(emu, max_concurrency=4) as client,
    ):
        with caplog.at_level(logging.INFO, logger="korecampaign_async"):
            contacts = await client.iter_contact_list(contact_list_id(0)).collect()
        assert [c.id for c in contacts] == [emu.list_contact(0, r)["_id"] for r in range(rows)]
        size = {"serve": 1_000, "cap": 250, "reject": 100}[policy]
        assert client.page_sizes["contacts"] == size
        probe = 1 if paging == "page" else 0  # the reading probe answered with page 1 again
        refused = 1 if policy == "reject" else 0
        assert emu.stats.by_endpoint["contacts"] == math.ceil(rows / size) + probe + refused
        warnings = [
            r for r in caplog.records if r.levelno == logging.WARNING and "refused limit=1000" in r.getMessage()
        ]
        assert len(warnings) == refused
        before = emu.stats.by_endpoint["contacts"]
        again = await client.iter_contact_list(contact_list_id(1)).collect()
        assert [c.id for c in again] == [emu.list_contact(1, r)["_id"] for r in range(rows)]
        assert emu.stats.by_endpoint["contacts"] - before == math.ceil(rows / size)  # learned: nothing wasted


async def test_a_remembered_size_refused_later_costs_one_request_never_a_row(
    emulator_factory: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with emulator_factory(list_contacts=2_500) as emu, make_client(emu) as client:
        await client.iter_contact_list(contact_list_id(0)).collect()
        assert client.page_sizes["contacts"] == 1_000
        emu.config.limit_policy, emu.config.max_limit = "reject", 100  # the server changed its mind
        before = emu.stats.by_endpoint["contacts"]
        contacts = await client.iter_contact_list(contact_list_id(1)).collect()
        assert [c.id for c in contacts] == [emu.list_contact(1, r)["_id"] for r in range(2_500)]
        assert emu.stats.by_endpoint["contacts"] - before == 1 + 25
        assert client.page_sizes["contacts"] == 100
        assert any("refused limit=1000" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


async def test_explicit_page_sizes_are_honoured_and_checked_before_any_request(
    emulator_factory: EmulatorFactory,
) -> None:
    from korecampaign_async import InvalidParameterError, KoreCampaignClient

    async with emulator_factory(list_contacts=900, contacts=300) as emu, make_client(emu, page_size=300) as client:
        await client.iter_contact_list(contact_list_id(0)).collect()
        assert {limit for kind, _, _, limit in emu.stats.pages_served if kind == "contacts"} == {300}
        with pytest.raises(InvalidParameterError, match="page_size"):
            client.iter_campaign_contacts(campaign_id(0))  # its page documents 1..100
        assert len(await client.iter_campaign_contacts(campaign_id(0), page_size=100).collect()) == 300
        with pytest.raises(InvalidParameterError, match="page_size"):
            client.iter_contact_list(contact_list_id(0), page_size=0)
    with pytest.raises(InvalidParameterError, match="'auto' or an integer"):
        KoreCampaignClient("https://kore.invalid", "st-1", "acc-1", auth="t", page_size="big")  # type: ignore[arg-type]

"""client.contact_lists against the stateful emulator: CRUD, listing, and imports that
neither skip nor duplicate a contact, across crashes, lost answers and bad rows."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from korecampaign_async import (
    ConfigurationError,
    InvalidParameterError,
    NotFoundError,
    OutcomeUnknownError,
    ValidationError,
)
from korecampaign_async.models.writes import ContactListSpec, ContactListUpdate

from .conftest import EmulatorFactory, make_client


def rows(n: int, *, start: int = 0, bad_every: int = 0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(start, start + n):
        if bad_every and i % bad_every == bad_every - 1:
            out.append({"phoneNumber": "not-a-number", "first name": f"Bad {i}"})
        else:
            out.append({"phoneNumber": f"+1555{i:07d}", "first name": f"Person {i}", "email": f"p{i}@example.com"})
    return out


async def numbers_in(client: Any, list_id: str) -> Counter[str]:
    return Counter([c.phone_number async for c in client.iter_contact_list(list_id)])


async def test_crud_and_listing(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contact_lists=3, list_contacts=10) as emu, make_client(emu) as c:
        created = await c.contact_lists.create(ContactListSpec(name="Renewals July", description="Due in July"))
        assert created.id and created.allows_duplicates is False and created.source == "passiveApi"
        with pytest.raises(ValidationError, match="already exists"):
            await c.contact_lists.create(ContactListSpec(name="renewals july", description="again"))
        names = [item.name for item in await c.contact_lists.list()]
        assert names == ["List 0", "List 1", "List 2", "Renewals July"]
        updated = await c.contact_lists.update(created.id, ContactListUpdate(description="Due in July 2026"))
        assert updated.contact_list_id == created.id
        assert (await c.contact_lists.get(created.id)).description == "Due in July 2026"
        assert (await c.contact_lists.find("renewals JULY")) is not None
        with pytest.raises(InvalidParameterError, match="confirm"):
            await c.contact_lists.delete(created.id)
        with pytest.raises(InvalidParameterError, match="nothing to update"):
            await c.contact_lists.update(created.id, ContactListUpdate())
        deleted = await c.contact_lists.delete(created.id, confirm=True)
        assert deleted is not None and deleted.id == created.id
        with pytest.raises(NotFoundError):
            await c.contact_lists.get(created.id)


async def test_listing_falls_back_to_get_when_post_is_refused(emulator_factory: EmulatorFactory) -> None:
    """The page's table says POST, its curl is a GET: a server that takes only GET answers
    POST with 405, and the SDK asks again with GET (once; then it remembers)."""
    async with emulator_factory(contact_lists=2, lists_method="GET") as emu, make_client(emu) as c:
        lists = await c.contact_lists.list()
        assert [x.name for x in lists] == ["List 0", "List 1"]
        assert c.stats.discrepancies == 1 and emu.stats.by_endpoint["lists"] == 2
        await c.contact_lists.list()  # remembered: GET first now
        assert c.stats.discrepancies == 1 and emu.stats.by_endpoint["lists"] == 3
        emu.inject("html", endpoint="lists")  # a gateway's HTML page: retried, never an empty listing
        assert len(await c.contact_lists.list()) == 2 and c.stats.retries["502"] == 1


async def test_import_validates_batches_and_verifies(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(import_delay=0.3) as emu, make_client(emu) as c:
        target = await c.contact_lists.create(
            ContactListSpec(name="Import me", description="d", allow_duplicates=False)
        )
        data = rows(2_500, bad_every=100)
        report = await c.contact_lists.import_contacts(target, data, batch_size=400, start_line=2, verify=True)
        assert report.rejected == 25 and report.accepted == 2_475
        assert [p.line for p in report.problems[:3]] == [101, 201, 301]  # index 99 + start line 2
        assert "not a phone number" in report.problems[0].reason
        assert report.batches == 7 and report.verified is True and report.missing == []
        assert emu.stats.by_endpoint["add-contacts"] == 7
        have = await numbers_in(c, target.id or "")
        assert have == Counter(r["phoneNumber"] for r in data if r["phoneNumber"] != "not-a-number")


async def test_import_by_name_from_an_async_source(emulator_factory: EmulatorFactory) -> None:
    async def source() -> AsyncIterator[dict[str, Any]]:
        for row in rows(300):
            yield row

    async with emulator_factory() as emu, make_client(emu) as c:
        await c.contact_lists.create(ContactListSpec(name="By name", description="d", allow_duplicates=True))
        report = await c.contact_lists.import_contacts("By name", source(), batch_size=128, concurrency=2)
        assert (report.accepted, report.batches) == (300, 3)
        with pytest.raises(NotFoundError, match="no contact list named"):
            await c.contact_lists.import_contacts("Nope", rows(1))
        with pytest.raises(InvalidParameterError, match="batch_size"):
            await c.contact_lists.import_contacts("By name", rows(1), batch_size=0)


@pytest.mark.parametrize("duplicates", [True, False])
async def test_resume_after_a_crash_mid_import_is_exactly_once(
    emulator_factory: EmulatorFactory, tmp_path: Path, duplicates: bool
) -> None:
    """The import is cancelled (as a kill would cut it) while batches are in flight and the
    server has applied some of them; the resume sends exactly what is missing."""
    checkpoint = tmp_path / "import.json"
    data = rows(3_000)
    async with emulator_factory(latency_ms=60) as emu, make_client(emu) as c:
        target = await c.contact_lists.create(
            ContactListSpec(name="Crash", description="d", allow_duplicates=duplicates)
        )
        task = asyncio.create_task(
            c.contact_lists.import_contacts(target, data, batch_size=100, concurrency=4, checkpoint=checkpoint)
        )
        while emu.stats.by_endpoint["add-contacts"] < 10:  # noqa: ASYNC110 - the emulator's counter
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        saved = json.loads(checkpoint.read_text())
        assert saved["inflight"], "the crash must leave batches in flight for this test to mean anything"
        with pytest.raises(ConfigurationError, match="resume"):
            await c.contact_lists.import_contacts(target, data, batch_size=100, checkpoint=checkpoint)
        report = await c.contact_lists.import_contacts(
            target, data, batch_size=100, checkpoint=checkpoint, resume=True, verify=True, settle=0.2
        )
        assert report.skipped >= 100 * len(saved["done"])
        if report.unknown:
            # an in-flight batch the list does not show in full after settling (its request was
            # cut before it reached the server) is unknown on a list keeping duplicates: the
            # caller decides, here by sending it (resend_unknown)
            assert duplicates and checkpoint.exists()
            unknown = sum(last - first + 1 for first, last in report.unknown)
            again = await c.contact_lists.import_contacts(
                target, data, batch_size=100, checkpoint=checkpoint, resume=True, resend_unknown=True, settle=0.2
            )
            assert again.accepted == unknown and again.unknown == []
            report.accepted += again.accepted
        assert report.skipped + report.accepted == 3_000
        have = await numbers_in(c, target.id or "")
        assert have == Counter(r["phoneNumber"] for r in data)  # every contact exactly once
        assert not checkpoint.exists()


@pytest.mark.slow
async def test_a_resume_waits_for_queued_batches_to_land_before_settling(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    """issue 23.2: Kore queues additions. The interrupted run's in-flight batches reached the
    server but are not visible yet when the resume starts; reading the list at once (as
    before) found none of them and sent them again: duplicates. The resume now waits until the
    list is quiet, finds them, and sends only what is missing."""
    checkpoint = tmp_path / "import.json"
    data = rows(2_000)
    async with emulator_factory(latency_ms=20, import_delay=1.0) as emu, make_client(emu) as c:
        target = await c.contact_lists.create(ContactListSpec(name="Queued", description="d", allow_duplicates=True))
        task = asyncio.create_task(
            c.contact_lists.import_contacts(target, data, batch_size=100, concurrency=4, checkpoint=checkpoint)
        )
        while emu.stats.by_endpoint["add-contacts"] < 8:  # noqa: ASYNC110 - the emulator's counter
            await asyncio.sleep(0.002)
        await asyncio.sleep(0.01)  # the requests just sent reach the server (queued, not visible)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        saved = json.loads(checkpoint.read_text())
        assert saved["inflight"] and emu.state.pending, "batches must be queued and in flight at the crash"
        sent = emu.stats.by_endpoint["add-contacts"]
        report = await c.contact_lists.import_contacts(
            target, data, batch_size=100, checkpoint=checkpoint, resume=True, settle=1.5, settle_timeout=10
        )  # settle longer than the queue's delay: quiet means everything queued has landed
        assert report.unknown == [] and report.skipped + report.accepted == 2_000
        assert emu.stats.by_endpoint["add-contacts"] - sent == report.accepted // 100  # nothing sent twice
        await asyncio.sleep(1.1)  # everything queued has landed
        assert await numbers_in(c, target.id or "") == Counter(r["phoneNumber"] for r in data)


async def test_a_list_that_never_settles_is_reported_not_resent(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    """The list keeps changing past settle_timeout: OutcomeUnknownError naming the import,
    nothing sent, the checkpoint kept."""
    checkpoint = tmp_path / "import.json"
    data = rows(600)
    async with emulator_factory(latency_ms=20, import_delay=0.2) as emu, make_client(emu) as c:
        target = await c.contact_lists.create(ContactListSpec(name="Busy", description="d", allow_duplicates=True))
        task = asyncio.create_task(
            c.contact_lists.import_contacts(target, data, batch_size=100, concurrency=2, checkpoint=checkpoint)
        )
        while emu.stats.by_endpoint["add-contacts"] < 3:  # noqa: ASYNC110 - the emulator's counter
            await asyncio.sleep(0.002)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        sent = emu.stats.by_endpoint["add-contacts"]
        landing = asyncio.create_task(_keep_adding(c, "Busy"))  # another writer keeps the list busy
        try:
            with pytest.raises(OutcomeUnknownError, match=r"import into 'Busy'.*kept changing") as err:
                await c.contact_lists.import_contacts(
                    target, data, batch_size=100, checkpoint=checkpoint, resume=True, settle=0.5, settle_timeout=1.0
                )
        finally:
            landing.cancel()
        assert "nothing was sent" in str(err.value) and "Pagination" not in str(err.value)
        # only the other writer's requests (its last one may have been cut by the cancel before it counted it)
        assert emu.stats.by_endpoint["add-contacts"] - sent - _keep_adding.calls in (0, 1)  # type: ignore[attr-defined]
        assert checkpoint.exists()


async def _keep_adding(client: Any, name: str) -> None:
    _keep_adding.calls = 0  # type: ignore[attr-defined]
    emu_rows = iter(rows(10_000, start=50_000))
    while True:
        await client.contact_lists.add_contacts(name, [next(emu_rows)])
        _keep_adding.calls += 1  # type: ignore[attr-defined]
        await asyncio.sleep(0.1)


async def test_a_lost_answer_on_a_list_with_duplicates_is_reported_not_resent(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "import.json"
    async with emulator_factory(slow_seconds=1.5) as emu, make_client(emu, timeout=0.5) as c:
        target = await c.contact_lists.create(ContactListSpec(name="Dups", description="d", allow_duplicates=True))
        emu.inject("slow-after-write", endpoint="add-contacts")
        report = await c.contact_lists.import_contacts(
            target, rows(250), batch_size=100, concurrency=1, checkpoint=checkpoint, start_line=2
        )
        assert report.unknown == [(2, 101)] and report.accepted == 150
        assert emu.stats.by_endpoint["add-contacts"] == 3  # the unknown batch was not sent again
        assert json.loads(checkpoint.read_text())["unknown"] == [1]  # kept for a decision
        again = await c.contact_lists.import_contacts(
            target, rows(250), batch_size=100, checkpoint=checkpoint, resume=True
        )
        assert again.unknown == [(1, 100)] and again.accepted == 0 and again.skipped == 150


async def test_a_lost_answer_on_a_list_without_duplicates_is_sent_again(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(slow_seconds=1.5) as emu, make_client(emu, timeout=0.5) as c:
        target = await c.contact_lists.create(ContactListSpec(name="No dups", description="d"))
        emu.inject("drop-after-write", endpoint="add-contacts")
        report = await c.contact_lists.import_contacts(target, rows(200), batch_size=100, concurrency=1)
        assert report.accepted == 200 and report.unknown == []
        assert emu.stats.by_endpoint["add-contacts"] == 3  # one batch twice: harmless here
        have = await numbers_in(c, target.id or "")
        assert set(have.values()) == {1} and len(have) == 200


def test_bad_rows_are_named_with_their_line(tmp_path: Path) -> None:
    from korecampaign_async.models.write_checks import check_contact_row

    cases: Iterator[tuple[dict[str, Any], str | None]] = iter(
        [
            ({"phoneNumber": "+1 (555) 010-9999"}, None),
            ({"phoneNumber": 9122333445566}, None),
            ({"first name": "x"}, "phoneNumber is missing"),
            ({"phoneNumber": "12"}, "not a phone number"),
            ({"phoneNumber": "+15550100", "tags": ["a"]}, "tags must be text"),
        ]
    )
    for row, problem in cases:
        found = check_contact_row(row)
        assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize("paging", ["all", "totals", "has-more", "ignored"])
async def test_listing_holds_every_list_once_whatever_the_paging(
    emulator_factory: EmulatorFactory, paging: str
) -> None:
    """The sample answers every list at once; a server may page with totals, with hasMore
    only, or claim more pages while repeating the first: each list is listed exactly once."""
    async with emulator_factory(contact_lists=5, lists_paging=paging, lists_page_size=2) as emu, make_client(emu) as c:
        names = [x.name for x in await c.contact_lists.list()]
        if paging == "ignored":  # the server never shows more than its first page: that is all it has
            assert names == ["List 0", "List 1"] and c.stats.discrepancies == 1
        else:
            assert names == [f"List {i}" for i in range(5)]
        expected_requests = {"all": 1, "totals": 3, "has-more": 3, "ignored": 2}[paging]
        assert emu.stats.by_endpoint["lists"] == expected_requests


async def test_numeric_phone_numbers_are_sent_as_text(emulator_factory: EmulatorFactory) -> None:
    """The add-contacts sample sends phone numbers as strings; a number read as an integer
    (a spreadsheet export) goes out as its text, unchanged in value."""
    async with emulator_factory() as emu, make_client(emu) as c:
        target = await c.contact_lists.create(ContactListSpec(name="Numbers", description="d"))
        sent: list[Any] = []
        original = c.contact_lists._send_batch

        async def recording(name: str, rows: list[dict[str, Any]]) -> Any:
            sent.extend(rows)
            return await original(name, rows)

        c.contact_lists._send_batch = recording  # type: ignore[method-assign]
        report = await c.contact_lists.import_contacts(target, [{"phoneNumber": 9122333445566}], verify=True)
        assert report.accepted == 1 and report.verified is True
        assert sent == [{"phoneNumber": "9122333445566"}]

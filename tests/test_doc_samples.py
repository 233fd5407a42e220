"""Conformance with the reference pages: every documented sample response, served verbatim by
a tiny aiohttp server that knows nothing of our assumptions, decodes through the single-page
method and through the iterator, and yields exactly the rows shown.

The fixtures are copies of the samples (tests/fixtures/, byte for byte as the pages print
them). The contact-list page of the four in the brief shows no sample body; its fixture comes
from Kore's fuller copy of the same page (shared/api-docs/more/get-all-contacts-of-a-contact-list-api-v2.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from korecampaign_async import KoreCampaignClient, PaginationDriftError, RetryPolicy

FIXTURES = Path(__file__).parent / "fixtures"
STREAM = "st-0603182c-7ffb-53c3-b307-47ca14bxxxxx"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class VerbatimServer:
    """Answers every request on the four paths with one fixed body."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.requests: list[tuple[str, str, bytes]] = []
        self.app = web.Application()
        prefix = f"/campaign/api/v2/public/{STREAM}/campaign"
        self.app.router.add_post(prefix + "/getAllCampaignDetails", self.handle("campaigns"))
        self.app.router.add_get(prefix + "/contactList/{list_id}/getAllContacts", self.handle("contacts"))
        self.app.router.add_post(prefix + "/{campaign_id}/status", self.handle("status"))
        self.app.router.add_get(prefix + "/{campaign_id}", self.handle("campaign"))

    def handle(self, name: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            self.requests.append((name, request.query_string, await request.read()))
            return web.Response(body=self.bodies[name], content_type="application/json")

        return handler


@pytest.fixture
async def served() -> AsyncIterator[tuple[VerbatimServer, KoreCampaignClient]]:
    server = VerbatimServer()
    runner = web.AppRunner(server.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    client = KoreCampaignClient(
        f"http://{host}:{port}",
        STREAM,
        "67777ce93e25326494exxxxx",
        "made-up-token-for-tests",
        retry=RetryPolicy.instant(max_attempts=2),
    )
    try:
        yield server, client
    finally:
        await client.close()
        await runner.cleanup()


def rows_of(name: str) -> list[dict[str, Any]]:
    doc = json.loads(fixture(name))
    return list(doc["data"]["results"])


async def test_contact_status_sample(
    served: tuple[VerbatimServer, KoreCampaignClient], caplog: pytest.LogCaptureFixture
) -> None:
    """totalResults 4, three rows: exported without error, the shortfall reported."""
    server, client = served
    server.bodies["status"] = fixture("campaign_contacts_status.json")
    expected = [r["phoneNumber"] for r in rows_of("campaign_contacts_status.json")]
    cid = "cd-ed19e3c7-3682-5e72-a839-af9e0711xxxx"

    page = await client.get_campaign_contacts(cid)
    assert [r.phone_number for r in page.results] == expected
    assert (page.total_pages, page.total_results) == (1, 4)
    assert page.results[1].agent_disposition_codes == ["System Generated"]

    with caplog.at_level(logging.WARNING, logger="korecampaign_async"):
        stream = client.iter_campaign_contacts(cid)
        rows = await stream.collect()
    assert [r.phone_number for r in rows] == expected
    assert stream.shortfall == 1 and client.stats.shortfall == 1
    assert any("totalResults promised 4" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert len(server.requests) == 2  # one per call: nothing fetched beyond the one page

    with pytest.raises(PaginationDriftError, match="holds 3 records where 4"):
        await client.iter_campaign_contacts(cid, strict=True).collect()


@pytest.mark.parametrize(("name", "kind"), [("list_campaigns_voice.json", "voice"), ("list_campaigns_sms.json", "sms")])
async def test_list_campaigns_samples(served: tuple[VerbatimServer, KoreCampaignClient], name: str, kind: str) -> None:
    server, client = served
    server.bodies["campaigns"] = fixture(name)
    expected = [r.get("_id") or r.get("id") for r in rows_of(name)]

    page = await client.list_campaigns(kind)  # type: ignore[arg-type]
    assert [c.id for c in page.results] == expected
    assert page.total_results == len(expected)

    campaigns = await client.iter_campaigns(kind).collect()  # type: ignore[arg-type]
    assert [c.id for c in campaigns] == expected
    assert all(c.name and c.status for c in campaigns)
    assert client.stats.shortfall == 0 and client.stats.probe_requests == 0  # one page: no probe needed


async def test_get_campaign_sample(served: tuple[VerbatimServer, KoreCampaignClient]) -> None:
    server, client = served
    server.bodies["campaign"] = fixture("get_campaign.json")
    campaign = await client.get_campaign("cd-9e14b72-88cc-4544-9a98-7aee9b7xxxxx")
    assert campaign.id == "cd-9e14b72-88cc-4544-9a98-7aee9b7xxxxx"
    assert campaign.dialing_strategy is not None and campaign.dialing_strategy.calling_hours is not None
    assert [d.day for d in campaign.dialing_strategy.calling_hours.days] == ["MO", "TU", "WE", "TH", "FR"]
    assert campaign.contact_lists == ["CL Only 2020 Dec 4"]
    assert server.requests[0][1] == "accountId=67777ce93e25326494exxxxx"


async def test_contact_list_sample(served: tuple[VerbatimServer, KoreCampaignClient]) -> None:
    """The sample answers limit 50 whatever was asked: the plan follows the echoed limit."""
    server, client = served
    server.bodies["contacts"] = fixture("contact_list_contacts.json")
    expected = [r["_id"] for r in rows_of("contact_list_contacts.json")]
    lid = "cl-68b802a-2b99-4245-8eea-6d322a8xxxxx"

    page = await client.get_contact_list(lid)
    assert [c.id for c in page.results] == expected
    assert (page.limit, page.total_results, page.has_more) == (50, 3, False)

    stream = client.iter_contact_list(lid)
    contacts = await stream.collect()
    assert [c.id for c in contacts] == expected
    assert stream.shortfall == 0 and len(server.requests) == 2

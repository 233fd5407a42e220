"""Conformance with Kore's Contact Center pages (``../shared/api-docs/contact-center/``): one
row per page. The SDK call that corresponds to the page, made by a client of the page's
edition against a server that answers every request with the page's sample response, sends
the page's method, path and query and the sample's JSON body (or a deviation listed in
``BODY_DIFFERS`` with its reason), and the sample response decodes.

The fixtures (tests/fixtures/contact_center/) are the pages' sample requests and responses,
copied verbatim by ``python tests/fixtures/more/extract.py ../shared/api-docs/contact-center
tests/fixtures/contact_center``; pages in sub-folders are named ``<folder>--<page>``. The two
pages without a sample (the API list, whose campaign section is kept in
``api-list--campaign-management.md``, and the JWT introduction) have rows of their own below.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import jwt
import msgspec
import pytest
from aiohttp import web

from korecampaign_async import InvalidParameterError, JWTAuth, KoreCampaignClient, RetryPolicy
from korecampaign_async.models.writes import ContactListSpec, ContactListUpdate, SmsCampaignSpec, VoiceCampaignSpec
from korecampaign_async.transport.flavour import UNSUPPORTED

from .conftest import serve_app
from .test_doc_samples import Recorder

FIXTURES = Path(__file__).parent / "fixtures" / "contact_center"
DOCS = Path(__file__).parents[2] / "shared" / "api-docs" / "contact-center"

IID = "st-0603182c-7ffb-53c3-b307-47ca14b9xxxx"  # the iid header of the pages' curls
STREAM = "st-5a0e3a8c-e1c3-5ba4-8ee4-0a4b5d8bxxxx"
ACCOUNT = "67777ce93e25326494e9xxxx"
CID = "cd-3aefda80-f98e-5f4f-ad41-92803abbxxxx"
LID = "cl-c2ce382-2516-457e-8eb4-9847deecxxxx"
AA_IID = f"/agentassist/api/v1/public/{IID}/campaign"
AA_STREAM = f"/agentassist/api/v1/public/{STREAM}/campaign"
TRIGGER_IID = f"/campaign/api/v1/public/{IID}/campaign/{CID}"
TRIGGER_STREAM = f"/campaign/api/v1/public/{STREAM}/campaign/{CID}"
ACCT = {"accountId": ACCOUNT}

#: The pages' samples that are not valid JSON, and the smallest repair that makes them so.
REPAIRS = {
    "get-all-campaigns": ('"priority": [5]\n', '"priority": [5],\n'),
    "koredotcom-docs--get-all-campaigns": ('"priority": [5]\n', '"priority": [5],\n'),
}


def sample(page: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / f"{page}.json").read_text())
    if page in REPAIRS:
        old, new = REPAIRS[page]
        with pytest.raises(ValueError):
            json.loads(doc["body_text"])  # the page's own mistake, still there
        doc["body"] = json.loads(doc["body_text"].replace(old, new, 1))
    return doc


Call = Callable[[KoreCampaignClient, Any], Awaitable[Any]]


def voice(c: KoreCampaignClient, b: Any) -> Awaitable[Any]:
    return c.campaigns.create(msgspec.convert(b, VoiceCampaignSpec))


def sms(c: KoreCampaignClient, b: Any) -> Awaitable[Any]:
    return c.campaigns.create(msgspec.convert(b, SmsCampaignSpec))


def list_campaigns(c: KoreCampaignClient, b: Any) -> Awaitable[Any]:
    return c.list_campaigns(
        b["type"],
        page=b["page"],
        limit=b["limit"],
        filters=b.get("filters"),
        sort_by=b.get("sortBy"),
        start_date=b.get("startDate"),
        end_date=b.get("endDate"),
    )


def create_list(c: KoreCampaignClient, b: Any) -> Awaitable[Any]:
    return c.contact_lists.create(msgspec.convert({"name": b.get("name", b.get("name1")), **b}, ContactListSpec))


#: page -> (edition, SDK call, method, path, query). Edition "iid": the current pages
#: (application id in the path, headers); "stream": Koredotcom/docs' (stream id, ?accountId=).
ROWS: dict[str, tuple[str, Call, str, str, dict[str, str]]] = {
    # -- current pages (docs-v2) ------------------------------------------------------------
    "create-contact-list": ("iid", create_list, "POST", f"{AA_IID}/contactList/createContactList", {}),
    "create-sms-campaign-advanced-format": ("iid", sms, "POST", AA_IID, {"campaignType": "sms"}),
    "create-sms-campaign-using-template": ("iid", sms, "POST", AA_IID, {"campaignType": "sms"}),
    "create-sms-campaign-without-template": ("iid", sms, "POST", AA_IID, {"campaignType": "sms"}),
    "create-voice-campaign-agentless": ("iid", voice, "POST", AA_IID, {"campaignType": "voice"}),
    "create-voice-campaign-preview": ("iid", voice, "POST", AA_IID, {"campaignType": "voice"}),
    "create-voice-campaign-progressive": ("iid", voice, "POST", AA_IID, {"campaignType": "voice"}),
    "delete-contact-list-details": (
        "iid",
        lambda c, b: c.contact_lists.delete(LID, confirm=True),
        "DELETE",
        f"{AA_IID}/contactList/{LID}",
        {},
    ),
    "delete-sms-campaign": (  # the page's path has {{campaignType}} where the id belongs
        "iid",
        lambda c, b: c.campaigns.delete(CID, type="sms", confirm=True),
        "DELETE",
        f"{AA_IID}/{CID}",
        {"campaignType": "sms"},
    ),
    "delete-voice-campaign": (
        "iid",
        lambda c, b: c.campaigns.delete(CID, type="voice", confirm=True),
        "DELETE",
        f"{AA_IID}/{CID}",
        {"campaignType": "voice"},
    ),
    "get-all-campaigns": ("iid", list_campaigns, "POST", f"{AA_IID}/getAllCampaignDetails", {}),
    "get-all-contact-details-voice-campaigns": (
        "iid",
        lambda c, b: c.get_campaign_contacts(CID, page=b["page"], limit=b["limit"]),
        "POST",
        f"{AA_IID}/{CID}/status",
        {"view": "contacts"},
    ),
    "get-all-contact-lists": (
        "iid",
        lambda c, b: c.contact_lists.list(),
        "POST",
        f"{AA_IID}/contactList/getAllListDetails",
        {"type": "call"},
    ),
    "get-all-contacts-of-a-contactlist": (  # this page: stream id in the path and ?accountId=
        "iid",
        lambda c, b: c.get_contact_list(LID),
        "GET",
        f"{AA_STREAM}/contactList/{LID}/getAllContacts",
        {**ACCT, "page": "1", "limit": "100", "skip": "0"},
    ),
    "get-campaign-status": (
        "iid",
        lambda c, b: c.campaigns.status(CID),
        "POST",
        f"{AA_IID}/{CID}/status",
        {"view": "status"},
    ),
    "get-contact-list-details": (
        "iid",
        lambda c, b: c.contact_lists.get(LID),
        "GET",
        f"{AA_IID}/contactList/{LID}",
        {},
    ),
    "get-sms-campaign-by-id": ("iid", lambda c, b: c.campaigns.get(CID), "GET", f"{AA_IID}/{CID}", {}),
    "get-voice-campaign-by-id": ("iid", lambda c, b: c.campaigns.get(CID), "GET", f"{AA_IID}/{CID}", {}),
    "start-sms-campaign": (
        "iid",
        lambda c, b: c.campaigns.start(CID, type="sms"),
        "POST",
        TRIGGER_IID,
        {"campaignType": "sms", "trigger": "play"},
    ),
    "start-voice-campaign": (
        "iid",
        lambda c, b: c.campaigns.start(CID, type="voice"),
        "POST",
        TRIGGER_IID,
        {"campaignType": "voice", "trigger": "play"},
    ),
    "stop-sms-campaign": (  # the page's curl has {{campaignType}} where the id belongs
        "iid",
        lambda c, b: c.campaigns.stop(CID, type="sms"),
        "POST",
        TRIGGER_IID,
        {"campaignType": "sms", "trigger": "stop"},
    ),
    "stop-voice-campaign": (
        "iid",
        lambda c, b: c.campaigns.stop(CID, type="voice"),
        "POST",
        TRIGGER_IID,
        {"campaignType": "voice", "trigger": "stop"},
    ),
    "update-contact-list": (  # the page's curl is a copy of the create call
        "iid",
        lambda c, b: c.contact_lists.update(
            LID,
            ContactListUpdate(name=b["name1"], description=b["description"], allow_duplicates=b["allowDuplicates"]),
        ),
        "PUT",
        f"{AA_IID}/contactList/{LID}",
        {},
    ),
    "update-sms-campaign": (
        "iid",
        lambda c, b: c.campaigns.update(CID, msgspec.convert(b, SmsCampaignSpec)),
        "PUT",
        f"{AA_IID}/{CID}",
        {"campaignType": "sms"},
    ),
    "update-voice-campaign": (
        "iid",
        lambda c, b: c.campaigns.update(CID, msgspec.convert(b, VoiceCampaignSpec)),
        "PUT",
        f"{AA_IID}/{CID}",
        {"campaignType": "voice"},
    ),
    # -- Koredotcom/docs pages --------------------------------------------------------------
    "koredotcom-docs--create-sms-campaign": ("iid", sms, "POST", AA_IID, {"campaignType": "sms"}),
    "koredotcom-docs--get-all-campaign-list-details": (  # the page mixes the status and list calls
        "stream",
        lambda c, b: c.contact_lists.list(),
        "POST",
        f"{AA_STREAM}/contactList/getAllListDetails",
        {**ACCT, "type": "call"},
    ),
    "koredotcom-docs--get-all-campaigns": ("iid", list_campaigns, "POST", f"{AA_IID}/getAllCampaignDetails", {}),
    "koredotcom-docs--get-all-sms-campaigns": (  # its curl doubles the slash before getAllCampaignDetails
        "stream",
        list_campaigns,
        "POST",
        f"{AA_STREAM}/getAllCampaignDetails",
        ACCT,
    ),
    "koredotcom-docs--get-all-voice-campaigns": (
        "stream",
        list_campaigns,
        "POST",
        f"{AA_STREAM}/getAllCampaignDetails",
        ACCT,
    ),
    "koredotcom-docs--update-contact-list-name": (
        "stream",
        lambda c, b: c.contact_lists.update(LID, msgspec.convert(b, ContactListUpdate)),
        "PUT",
        f"{AA_STREAM}/contactList/{LID}",
        ACCT,
    ),
    # -- earlier stored versions (stream id in the path, ?accountId=) -------------------------
    "koredotcom-docs--older-versions--create-contact-list": (
        "stream",
        create_list,
        "POST",
        f"{AA_STREAM}/contactList/createContactList",
        ACCT,
    ),
    "koredotcom-docs--older-versions--create-sms-campaign-advanced-format": (
        "stream",
        sms,
        "POST",
        AA_STREAM,
        {**ACCT, "campaignType": "sms"},
    ),
    "koredotcom-docs--older-versions--create-sms-campaign": (
        "stream",
        sms,
        "POST",
        AA_STREAM,
        {**ACCT, "campaignType": "sms"},
    ),
    "koredotcom-docs--older-versions--create-voice-campaign-agentless": (
        "stream",
        voice,
        "POST",
        AA_STREAM,
        {**ACCT, "campaignType": "voice"},
    ),
    "koredotcom-docs--older-versions--create-voice-campaign-preview": (
        "stream",
        voice,
        "POST",
        AA_STREAM,
        {**ACCT, "campaignType": "voice"},
    ),
    "koredotcom-docs--older-versions--create-voice-campaign-progressive": (
        "stream",
        voice,
        "POST",
        AA_STREAM,
        {**ACCT, "campaignType": "voice"},
    ),
    "koredotcom-docs--older-versions--delete-contact-list-details": (
        "stream",
        lambda c, b: c.contact_lists.delete(LID, confirm=True),
        "DELETE",
        f"{AA_STREAM}/contactList/{LID}",
        ACCT,
    ),
    "koredotcom-docs--older-versions--delete-voice-campaign": (  # its header URL lacks the / before the id
        "stream",
        lambda c, b: c.campaigns.delete(CID, type="voice", confirm=True),
        "DELETE",
        f"{AA_STREAM}/{CID}",
        {**ACCT, "campaignType": "voice"},
    ),
    "koredotcom-docs--older-versions--get-campaign-status": (
        "stream",
        lambda c, b: c.campaigns.status(CID),
        "POST",
        f"{AA_STREAM}/{CID}/status",
        {**ACCT, "view": "status"},
    ),
    "koredotcom-docs--older-versions--get-contact-list-details": (
        "stream",
        lambda c, b: c.contact_lists.get(LID),
        "GET",
        f"{AA_STREAM}/contactList/{LID}",
        ACCT,
    ),
    "koredotcom-docs--older-versions--get-voice-campaign-by-id": (
        "stream",
        lambda c, b: c.campaigns.get(CID),
        "GET",
        f"{AA_STREAM}/{CID}",
        ACCT,
    ),
    "koredotcom-docs--older-versions--start-sms-campaign": (
        "stream",
        lambda c, b: c.campaigns.start(CID, type="sms"),
        "POST",
        TRIGGER_STREAM,
        {**ACCT, "campaignType": "sms", "trigger": "play"},
    ),
    "koredotcom-docs--older-versions--start-voice-campaign": (
        "stream",
        lambda c, b: c.campaigns.start(CID, type="voice"),
        "POST",
        TRIGGER_STREAM,
        {**ACCT, "campaignType": "voice", "trigger": "play"},
    ),
    "koredotcom-docs--older-versions--stop-voice-campaign": (
        "stream",
        lambda c, b: c.campaigns.stop(CID, type="voice"),
        "POST",
        TRIGGER_STREAM,
        {**ACCT, "campaignType": "voice", "trigger": "stop"},
    ),
    "koredotcom-docs--older-versions--update-voice-campaign": (
        "stream",
        lambda c, b: c.campaigns.update(CID, msgspec.convert(b, VoiceCampaignSpec)),
        "PUT",
        f"{AA_STREAM}/{CID}",
        {**ACCT, "campaignType": "voice"},
    ),
}


def _renamed(body: dict[str, Any]) -> dict[str, Any]:
    """The sample body with "name1" sent as "name" (the field the table and the server want)."""
    return {("name" if k == "name1" else k): v for k, v in body.items()}


#: Where our request deliberately differs from a page's sample body, and why (docs/api-notes.md):
#: page -> the body we send, from the sample's.
BODY_DIFFERS: dict[str, Callable[[Any], Any]] = {
    # the samples send "name1" where the table (and the server) want "name"
    "create-contact-list": _renamed,
    # a copy of the create call: its table takes name, description and allowDuplicates (no source)
    "update-contact-list": lambda body: {k: v for k, v in _renamed(body).items() if k != "source"},
    # the curl has no body and no method (a GET); the page says POST: the paging fields are POSTed
    "get-all-contact-lists": lambda body: {"page": 1, "limit": 100, "skip": 0},
    "koredotcom-docs--get-all-campaign-list-details": lambda body: {"page": 1, "limit": 100, "skip": 0},
}

#: Samples whose request the SDK refuses before sending, the field it names, and the body it
#: sends once that field is left out: an SMS listing filtered by voice dialing modes.
REFUSED: dict[str, str] = {
    "get-all-campaigns": "filters.dialingMode",
    "koredotcom-docs--get-all-campaigns": "filters.dialingMode",
}


def test_every_page_has_a_row() -> None:
    pages = sorted(p.stem for p in FIXTURES.glob("*.json"))  # the 46 pages with a sample
    assert len(pages) == 46 and sorted(ROWS) == pages
    if DOCS.is_dir():  # beside the checkout: every page there has its fixture (or a row below)
        documented = sorted(
            "--".join(p.relative_to(DOCS).with_suffix("").parts) for p in DOCS.rglob("*.md") if p.name != "INDEX.md"
        )
        assert sorted([*pages, "api-introduction", "api-list"]) == documented


@pytest.fixture
async def server() -> AsyncIterator[tuple[Recorder, str]]:
    recorder = Recorder()
    async with serve_app(recorder.app) as url:
        yield recorder, url


def cc_client(url: str, edition: str) -> KoreCampaignClient:
    return KoreCampaignClient(
        url,
        STREAM,
        ACCOUNT,
        "made-up-token-for-tests",
        iid=IID,
        api="contact-center",
        edition=edition,  # type: ignore[arg-type]
        retry=RetryPolicy.instant(max_attempts=2),
        profile=False,
    )


def _sample_id(response: Any) -> str | None:
    if not isinstance(response, dict):
        return None
    data = response.get("data")
    if isinstance(data, dict):
        found = data.get("id") or data.get("_id") or data.get("campId") or data.get("contactListId")
        if found:
            return str(found)
    return response.get("id")


@pytest.mark.parametrize("page", sorted(ROWS))
async def test_page_sample(server: tuple[Recorder, str], page: str) -> None:
    recorder, url = server
    doc = sample(page)
    edition, call, method, path, query = ROWS[page]
    recorder.response = json.dumps(doc["response"]).encode()
    async with cc_client(url, edition) as client:
        if page in REFUSED:
            with pytest.raises(InvalidParameterError) as err:
                await call(client, doc["body"])
            assert err.value.field == REFUSED[page] and recorder.requests == []
            del doc["body"]["filters"]["dialingMode"]
        result = await call(client, doc.get("body"))
    assert len(recorder.requests) == 1, recorder.requests
    sent_method, sent_path, sent_query, sent_body = recorder.requests[0]
    assert (sent_method, sent_path, sent_query) == (method, path, query)
    if page in BODY_DIFFERS:
        assert (json.loads(sent_body) if sent_body else None) == BODY_DIFFERS[page](doc.get("body"))
    elif doc.get("body") is not None:
        assert json.loads(sent_body) == doc["body"]
    else:
        assert sent_body in (b"", b"{}")
    expected_id = _sample_id(doc["response"])
    if hasattr(result, "contact_list_id"):
        assert result.contact_list_id == (expected_id or LID) and result.body
    elif expected_id and hasattr(result, "id"):
        assert result.id == expected_id
    if hasattr(result, "results"):
        assert len(result.results) == len(doc["response"]["data"]["results"])
    if isinstance(result, list):
        assert len(result) == len(doc["response"]["data"])


@pytest.mark.parametrize("edition", ["iid", "stream"])
async def test_headers_as_the_pages_send_them(edition: str) -> None:
    """The current pages send ``iid`` and ``accountId`` headers; the client sends them in
    both editions (the older pages' curls send only ``auth``; their servers ignore the rest)."""
    seen: list[dict[str, str]] = []
    answer = json.dumps(sample("get-campaign-status")["response"]).encode()

    async def remember(request: web.Request) -> web.StreamResponse:
        seen.append(dict(request.headers))
        return web.Response(body=answer, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", remember)
    async with serve_app(app) as url, cc_client(url, edition) as client:
        await client.campaigns.status(CID)
    assert seen[0]["iid"] == IID and seen[0]["accountId"] == ACCOUNT and seen[0]["auth"]


#: The campaign APIs the Contact Center API list links whose pages are not in
#: ../shared/api-docs/contact-center/ (INDEX.md: "Not found on the agentassist prefix"), and
#: what the SDK does for them.
LISTED_ELSEWHERE = {
    # the API 1.1 page (../more/add-contacts-to-contact-list-api.md): the same path in both flavours
    "add-contacts-to-contact-list": "client.contact_lists.add_contacts",
    # the v2 schedule pages: sent on their v2 path (tests/test_contact_center.py)
    "enable-voice-or-sms-campaign-schedule-daily": "client.campaigns.schedule",
    "enable-voice-or-sms-campaign-schedule-weekly": "client.campaigns.schedule",
    "disable-voice-or-sms-campaign-schedule": "client.campaigns.unschedule",
    # a single outbound SMS, not a campaign operation: outside this SDK
    "send-outbound-sms": "",
}


def test_the_api_list_page_names_only_calls_with_a_row() -> None:
    """Every v1 campaign API the Contact Center API list links is a page with a conformance
    row above, or one of the pages kept elsewhere (each mapped to what the SDK does); the
    calls the SDK refuses for this flavour are ones the list does not link."""
    section = (FIXTURES / "api-list--campaign-management.md").read_text()  # the page's section, verbatim
    if DOCS.is_dir():
        assert section.split("\n", 1)[1] in (DOCS / "api-list.md").read_text()
    links = re.findall(r"\(/ai-for-service/apis/contact-center/([a-z0-9-]+)\)", section)
    v1 = sorted({name for name in links if not name.endswith("-v2")})
    assert v1, "no campaign APIs found on the API list page"
    assert sorted(name for name in v1 if name not in ROWS) == sorted(LISTED_ELSEWHERE)
    for operation in LISTED_ELSEWHERE.values():
        assert operation not in UNSUPPORTED["contact-center"]
    # the call-back the SDK refuses here: the list links only the v2 API's page for it
    call_backs = [name for name in links if "call-back" in name]
    assert call_backs and all(name.endswith("-v2") for name in call_backs)
    assert "client.campaigns.call_back" in UNSUPPORTED["contact-center"]


def test_the_jwt_is_what_the_introduction_page_asks_for() -> None:
    """api-introduction.md: an HS256 JWT whose claim is spelled exactly ``appId`` (the client
    id), signed with the client secret."""
    token = JWTAuth("cs-made-up-client-id", "made-up-secret-for-tests-0123456789abcdef").token()
    claims = jwt.decode(token, "made-up-secret-for-tests-0123456789abcdef", algorithms=["HS256"])
    assert claims["appId"] == "cs-made-up-client-id" and jwt.get_unverified_header(token)["alg"] == "HS256"

"""The emulator behaves like the documented API (raw HTTP, no SDK)."""

import math
from typing import Any

import aiohttp
import pytest

from korecampaign_async import JWTAuth
from korecampaign_async.emulator import RATE_LIMIT_MESSAGE, Emulator, campaign_id, contact_list_id

from .conftest import EmulatorFactory


def headers(emu: Emulator, **override: str) -> dict[str, str]:
    cfg = emu.config
    h = {
        "auth": JWTAuth(cfg.client_id, cfg.client_secret).token(),
        "iid": cfg.effective_iid,
        "accountId": cfg.account_id,
    }
    h.update(override)
    return {k: v for k, v in h.items() if v}


def path(emu: Emulator, rest: str) -> str:
    return f"{emu.url}/campaign/api/v2/public/{emu.config.stream_id}/campaign{rest}"


async def post(emu: Emulator, rest: str, body: Any, **hdr: str) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with (
        aiohttp.ClientSession() as s,
        s.post(path(emu, rest), json=body, headers=headers(emu, **hdr)) as r,
    ):
        return r.status, await r.json(content_type=None), r


async def test_status_pagination_math(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(contacts=250) as emu:
        status, doc, _ = await post(emu, f"/{campaign_id(0)}/status?view=contacts", {"page": 3, "limit": 100})
    assert status == 200 and doc["status"] == "success"
    data = doc["data"]
    assert (data["page"], data["limit"], data["totalPages"], data["totalResults"]) == (3, 100, 3, 250)
    assert len(data["results"]) == 50
    assert set(data["results"][0]) == {
        "phoneNumber",
        "uniqueId",
        "dialerOutcome",
        "numberOfAttemptsSoFar",
        "botSessionId",
        "agentDispositionCodes",
        "botOutboundStatus",
        "botOutboundStatusDetail",
    }


@pytest.mark.parametrize(
    ("hdr", "message"),
    [
        ({"auth": ""}, "missing auth"),
        ({"auth": "not-a-jwt"}, "invalid token"),
        ({"iid": "st-other"}, "iid"),
        ({"accountId": "acc-other"}, "accountId"),
    ],
)
async def test_auth_and_headers_checked(emulator: Emulator, hdr: dict[str, str], message: str) -> None:
    status, doc, _ = await post(emulator, f"/{campaign_id(0)}/status?view=contacts", {"page": 1}, **hdr)
    assert status == 401 and message in doc["message"]


async def test_wrong_signature_rejected(emulator: Emulator) -> None:
    forged = JWTAuth(emulator.config.client_id, "x" * 40).token()
    status, doc, _ = await post(emulator, f"/{campaign_id(0)}/status?view=contacts", {"page": 1}, auth=forged)
    assert status == 401 and "Signature" in doc["message"]


@pytest.mark.parametrize(
    ("body", "message"), [({"limit": 101}, "between 1 and 100"), ({"page": 0}, "greater than or equal to 1")]
)
async def test_body_validated(emulator: Emulator, body: dict[str, int], message: str) -> None:
    status, doc, _ = await post(emulator, f"/{campaign_id(0)}/status?view=contacts", body)
    assert status == 400 and message in doc["message"]


async def test_account_query_required_where_documented(emulator: Emulator) -> None:
    status, doc, _ = await post(emulator, "/getAllCampaignDetails", {"type": "voice"})
    assert status == 400 and "accountId" in doc["message"]
    acc = emulator.config.account_id
    status, doc, _ = await post(emulator, f"/getAllCampaignDetails?accountId={acc}", {"type": "fax"})
    assert status == 400 and "type" in doc["message"]
    status, doc, _ = await post(emulator, f"/getAllCampaignDetails?accountId={acc}", {"type": "sms", "limit": 4})
    assert status == 200 and len(doc["data"]["results"]) == 4
    assert doc["data"]["totalPages"] == math.ceil(doc["data"]["totalResults"] / 4)
    assert "id" in doc["data"]["results"][0] and "_id" not in doc["data"]["results"][0]


async def test_contact_list_pagination_beside_data(emulator: Emulator) -> None:
    url = path(emulator, f"/contactList/{contact_list_id(1)}/getAllContacts")
    async with (
        aiohttp.ClientSession() as s,
        s.get(
            url,
            params={"accountId": emulator.config.account_id, "page": "2", "limit": "20000"},
            headers=headers(emulator),
        ) as r,
    ):
        assert r.status == 400  # beyond any page size it serves
    async with (
        aiohttp.ClientSession() as s,
        s.get(
            url,
            params={"accountId": emulator.config.account_id, "skip": "900", "limit": "100"},
            headers=headers(emulator),
        ) as r,
    ):
        doc = await r.json()
    assert (doc["skip"], doc["limit"], doc["hasMore"], doc["totalResults"]) == (900, 100, False, 1000)
    assert len(doc["data"]["results"]) == 100


async def test_rolling_rate_limit_answers_429_with_retry_after(emulator_factory: EmulatorFactory) -> None:
    async with emulator_factory(rate_limit="3/10s") as emu:
        statuses = []
        for _ in range(4):
            status, doc, resp = await post(emu, f"/{campaign_id(0)}/status?view=contacts", {"page": 1})
            statuses.append(status)
        assert statuses == [200, 200, 200, 429]
        assert doc["message"] == RATE_LIMIT_MESSAGE
        assert 9 < float(resp.headers["Retry-After"]) <= 10
        assert emu.stats.throttled == 1


async def test_injected_faults(emulator: Emulator) -> None:
    emulator.inject("503", "html", "malformed", "429")
    statuses = []
    for _ in range(4):
        async with (
            aiohttp.ClientSession() as s,
            s.post(path(emulator, f"/{campaign_id(0)}/status?view=contacts"), json={}, headers=headers(emulator)) as r,
        ):
            statuses.append((r.status, r.content_type, len(await r.read())))
    assert [s[0] for s in statuses] == [503, 502, 200, 429]
    assert statuses[1][1] == "text/html"
    emulator.inject("drop")
    with pytest.raises(aiohttp.ClientError):
        await post(emulator, f"/{campaign_id(0)}/status?view=contacts", {})


async def test_not_found_and_wrong_kind(emulator: Emulator) -> None:
    status, _, _ = await post(emulator, "/cd-unknown/status?view=contacts", {})
    assert status == 404
    status, doc, _ = await post(emulator, f"/{campaign_id(1)}/status?view=contacts", {})
    assert status == 400 and "not a voice campaign" in doc["message"]

"""Request shapes, retries and error mapping, with aioresponses (no server)."""

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from korecampaign_async import (
    AuthenticationError,
    DecodeError,
    Hooks,
    JWTAuth,
    KoreCampaignClient,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
    ValidationError,
)

BASE = "https://kore.test/campaign/api/v2/public/st-1"
SECRET = "unit-test-secret-0123456789-0123456789-0123456789"
STATUS_OK = {
    "status": "success",
    "data": {
        "results": [{"phoneNumber": "911"}],
        "page": 1,
        "limit": 100,
        "totalPages": 1,
        "totalResults": 1,
    },
}


@pytest.fixture
async def client() -> AsyncIterator[KoreCampaignClient]:
    c = KoreCampaignClient(
        "https://kore.test",
        "st-1",
        "acc-1",
        iid="st-iid",
        auth=JWTAuth("cs-1", SECRET),
        retry=RetryPolicy.instant(max_attempts=3),
    )
    async with c:
        yield c


def only_call(mocked: aioresponses) -> tuple[str, URL, Any]:
    ((method, url), calls) = next(iter(mocked.requests.items()))
    return method, url, calls[0]


async def test_status_request_shape(client: KoreCampaignClient) -> None:
    with aioresponses() as m:
        m.post(f"{BASE}/campaign/cd-1/status?view=contacts", payload=STATUS_OK)
        page = await client.get_campaign_contacts("cd-1", page=1, limit=100)
        method, url, call = only_call(m)
    assert page.results[0].phone_number == "911"
    assert method == "POST" and url.path == "/campaign/api/v2/public/st-1/campaign/cd-1/status"
    assert url.query["view"] == "contacts" and "accountId" not in url.query
    headers = call.kwargs["headers"]
    assert headers["iid"] == "st-iid" and headers["accountId"] == "acc-1"
    assert jwt.decode(headers["auth"], SECRET, algorithms=["HS256"])["appId"] == "cs-1"
    assert json.loads(call.kwargs["data"]) == {"page": 1, "limit": 100}


async def test_list_campaigns_request_shape(client: KoreCampaignClient) -> None:
    body = {"status": "success", "data": {"results": [], "skip": 50, "limit": 50, "totalPages": 0, "totalResults": 0}}
    with aioresponses() as m:
        m.post(re.compile(r".*/getAllCampaignDetails\?accountId=acc-1$"), payload=body)
        await client.list_campaigns(
            "voice",
            page=2,
            limit=50,
            filters={"status": ["Ready", "Stopped"], "priority": [5], "dialingMode": ["Progressive"]},
            sort_by={"createdAt": "desc"},
            start_date="2025-12-01T00:00:00Z",
            end_date="2025-12-04T00:00:00.000Z",
        )
        method, url, call = only_call(m)
    assert method == "POST" and url.query["accountId"] == "acc-1"
    assert json.loads(call.kwargs["data"]) == {
        "type": "voice",
        "page": 2,
        "limit": 50,
        "skip": 50,
        "startDate": "2025-12-01T00:00:00.000Z",
        "endDate": "2025-12-04T00:00:00.000Z",
        "sortBy": {"createdAt": "desc"},
        "filters": {"status": ["Ready", "Stopped"], "priority": [5], "dialingMode": ["Progressive"]},
    }


async def test_get_campaign_is_a_get_with_account_query(client: KoreCampaignClient) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/campaign/cd-9?accountId=acc-1", payload={"status": "success", "data": {"_id": "cd-9"}})
        campaign = await client.get_campaign("cd-9")
        method, url, _ = only_call(m)
    assert url.path.endswith("/campaign/cd-9")
    assert campaign.id == "cd-9" and method == "GET"


async def test_contact_list_query(client: KoreCampaignClient) -> None:
    with aioresponses() as m:
        m.get(re.compile(r".*/contactList/cl-1/getAllContacts.*"), payload={"data": {"results": []}, "totalResults": 0})
        await client.get_contact_list("cl-1", page=3, limit=20)
        _, url, _ = only_call(m)
    assert dict(url.query) == {"accountId": "acc-1", "page": "3", "limit": "20", "skip": "40"}


async def test_retries_503_then_succeeds(client: KoreCampaignClient) -> None:
    url = f"{BASE}/campaign/cd-1/status?view=contacts"
    with aioresponses() as m:
        m.post(url, status=503, payload={"message": "busy"})
        m.post(url, status=502, body="bad gateway")
        m.post(url, payload=STATUS_OK)
        page = await client.get_campaign_contacts("cd-1")
    assert len(page.results) == 1
    assert client.stats.retries == {"503": 1, "502": 1}
    assert client.stats.requests == 3 and client.stats.wasted_requests == 2


async def test_429_retry_after_is_honoured_and_counted() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.001, max_backoff=0.002)
    async with KoreCampaignClient("https://kore.test", "st-1", "acc-1", auth="t", retry=policy) as c:
        url = f"{BASE}/campaign/cd-1/status?view=contacts"
        hooks = c.transport.hooks
        hooks.on_retry = lambda e: sleeps.append(e.wait)
        with aioresponses() as m:
            m.post(url, status=429, headers={"Retry-After": "0.05"}, payload={"message": "Rate limit"})
            m.post(url, payload=STATUS_OK)
            await c.get_campaign_contacts("cd-1")
    assert sleeps and sleeps[0] >= 0.05
    assert c.stats.throttled == 1 and c.stats.retries["429"] == 1


async def test_429_exhausted_raises_rate_limit_error(client: KoreCampaignClient) -> None:
    url = f"{BASE}/campaign/cd-1/status?view=contacts"
    with aioresponses() as m:
        for _ in range(3):
            m.post(url, status=429, headers={"Retry-After": "2"}, payload={"message": "Rate limit reached"})
        with pytest.raises(RateLimitError) as err:
            await client.get_campaign_contacts("cd-1")
    assert err.value.status == 429 and err.value.retry_after == 2.0
    assert err.value.message == "Rate limit reached"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
    ],
)
async def test_client_errors_are_not_retried(client: KoreCampaignClient, status: int, cls: type[Exception]) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/campaign/cd-404?accountId=acc-1", status=status, payload={"status": "error", "message": "nope"})
        with pytest.raises(cls) as err:
            await client.get_campaign("cd-404")
        assert sum(len(v) for v in m.requests.values()) == 1
    e = err.value
    assert e.status == status  # type: ignore[attr-defined]
    assert e.path == "/campaign/api/v2/public/st-1/campaign/cd-404"  # type: ignore[attr-defined]
    assert e.message == "nope"  # type: ignore[attr-defined]
    token = client._auth.token()
    assert token not in str(e) and SECRET not in str(e) and SECRET not in repr(client)


async def test_html_error_page_is_a_decode_error(client: KoreCampaignClient) -> None:
    with aioresponses() as m:
        m.get(
            f"{BASE}/campaign/cd-1?accountId=acc-1",
            status=200,
            body="<html><body>Login</body></html>",
            content_type="text/html",
        )
        with pytest.raises(DecodeError, match="HTML page"):
            await client.get_campaign("cd-1")


async def test_truncated_json_is_retried_then_decode_error(client: KoreCampaignClient) -> None:
    url = f"{BASE}/campaign/cd-1/status?view=contacts"
    with aioresponses() as m:
        m.post(url, body=b'{"status":"success","data":{"res')
        m.post(url, payload=STATUS_OK)
        assert len((await client.get_campaign_contacts("cd-1")).results) == 1
        for _ in range(3):
            m.post(url, body=b"{")
        with pytest.raises(DecodeError, match="not valid JSON"):
            await client.get_campaign_contacts("cd-1")
    assert client.stats.retries["decode"] == 3


async def test_shape_mismatch_is_not_retried(client: KoreCampaignClient) -> None:
    url = f"{BASE}/campaign/cd-1/status?view=contacts"
    with aioresponses() as m:
        m.post(url, payload={"status": "success", "data": {"results": [{"phoneNumber": 911}]}})
        with pytest.raises(DecodeError, match=r"\$\.data\.results\[0\]\.phoneNumber"):
            await client.get_campaign_contacts("cd-1")
        assert sum(len(v) for v in m.requests.values()) == 1


def status_page(page: int, rows: list[dict[str, Any]], total_pages: int = 3, limit: int = 2) -> dict[str, Any]:
    return {
        "status": "success",
        "data": {
            "results": rows,
            "page": page,
            "limit": limit,
            "totalPages": total_pages,
            "totalResults": total_pages * limit,
        },
    }


async def test_stream_stops_at_a_page_that_does_not_match_the_schema(client: KoreCampaignClient) -> None:
    """Streams decode a page's records when the consumer reaches it: a bad row raises the
    same DecodeError as the eager path, after every earlier record was delivered, unretried."""
    url = f"{BASE}/campaign/cd-1/status?view=contacts"
    with aioresponses() as m:
        m.post(url, payload=status_page(1, [{"phoneNumber": "1"}, {"phoneNumber": "2"}]))
        m.post(url, payload=status_page(2, [{"phoneNumber": "3"}, {"phoneNumber": 4}]))
        m.post(url, payload=status_page(3, [{"phoneNumber": "5"}, {"phoneNumber": "6"}]))
        seen = []
        with pytest.raises(DecodeError, match=r"\$\.data\.results\[1\]\.phoneNumber") as err:
            async for row in client.iter_campaign_contacts("cd-1", page_size=2):
                seen.append(row.phone_number)
        assert seen == ["1", "2"]
        assert err.value.path.endswith("/campaign/cd-1/status")
        assert sum(len(v) for v in m.requests.values()) == 3  # nothing fetched twice
    assert client.stats.retries["decode"] == 0


async def test_stream_fetches_a_cut_off_page_again(client: KoreCampaignClient) -> None:
    url = f"{BASE}/campaign/cd-1/status?view=contacts"
    with aioresponses() as m:
        m.post(url, payload=status_page(1, [{"phoneNumber": "1"}, {"phoneNumber": "2"}], total_pages=2))
        m.post(url, body=b'{"status":"success","data":{"results":[{"phoneNu')  # page 2, cut off
        m.post(url, payload=status_page(2, [{"phoneNumber": "3"}, {"phoneNumber": "4"}], total_pages=2))
        rows = [r.phone_number async for r in client.iter_campaign_contacts("cd-1", page_size=2)]
    assert rows == ["1", "2", "3", "4"]
    assert client.stats.retries["decode"] == 1 and client.stats.wasted_requests == 1


async def test_connection_errors_become_transport_error(client: KoreCampaignClient) -> None:
    url = f"{BASE}/campaign/cd-1?accountId=acc-1"
    with aioresponses() as m:
        for _ in range(3):
            m.get(url, exception=aiohttp.ClientConnectionError("connection reset"))
        with pytest.raises(TransportError, match="after 3 attempt") as err:
            await client.get_campaign("cd-1")
    assert err.value.attempts == 3
    assert client.stats.retries["connection"] == 2


async def test_timeouts_are_retried(client: KoreCampaignClient) -> None:
    url = f"{BASE}/campaign/cd-1?accountId=acc-1"
    with aioresponses() as m:
        m.get(url, exception=TimeoutError())
        m.get(url, payload={"data": {"_id": "cd-1"}})
        assert (await client.get_campaign("cd-1")).id == "cd-1"
    assert client.stats.retries["timeout"] == 1


async def test_hooks_see_each_attempt() -> None:
    events: dict[str, list[Any]] = {"request": [], "response": [], "retry": []}
    hooks = Hooks(
        on_request=events["request"].append, on_response=events["response"].append, on_retry=events["retry"].append
    )
    async with KoreCampaignClient(
        "https://kore.test", "st-1", "acc-1", auth="t", hooks=hooks, retry=RetryPolicy.instant()
    ) as c:
        url = f"{BASE}/campaign/cd-1?accountId=acc-1"
        with aioresponses() as m:
            m.get(url, status=504)
            m.get(url, callback=lambda *a, **k: CallbackResult(payload={"data": {"id": "cd-1"}}))
            await c.get_campaign("cd-1")
    assert [e.attempt for e in events["request"]] == [1, 2]
    assert [e.status for e in events["response"]] == [504, 200]
    assert [e.cause for e in events["retry"]] == ["504"]
    assert c.stats.requests == len(events["request"])


CAMPAIGN_OK = {"status": "success", "data": {"_id": "cd-1", "name": "x"}}


def requests_sent(m: aioresponses) -> int:
    return sum(len(v) for v in m.requests.values())


async def test_a_500_is_retried_with_a_smaller_budget() -> None:
    async with KoreCampaignClient(
        "https://kore.test", "st-1", "acc-1", auth="tok", retry=RetryPolicy.instant(max_attempts=6)
    ) as client:
        url = f"{BASE}/campaign/cd-1?accountId=acc-1"
        with aioresponses() as m:  # one 500 in the middle of an export: retried, not fatal
            m.get(url, status=500, payload={"message": "busy"})
            m.get(url, payload=CAMPAIGN_OK)
            assert (await client.get_campaign("cd-1")).id == "cd-1"
        with aioresponses() as m:  # a deterministic 500: three attempts, not six
            m.get(url, status=500, payload={"message": "boom"}, repeat=True)
            with pytest.raises(ServerError, match="boom"):
                await client.get_campaign("cd-1")
            assert requests_sent(m) == 3
        with aioresponses() as m:  # 503 keeps the full budget
            m.get(url, status=503, payload={"message": "later"}, repeat=True)
            with pytest.raises(ServerError):
                await client.get_campaign("cd-1")
            assert requests_sent(m) == 6


async def test_retried_statuses_are_configurable() -> None:
    policy = RetryPolicy(
        max_attempts=4, initial_backoff=0, max_backoff=0, max_retry_after=0, retry_statuses=frozenset({503})
    )
    async with KoreCampaignClient("https://kore.test", "st-1", "acc-1", auth="tok", retry=policy) as client:
        url = f"{BASE}/campaign/cd-1?accountId=acc-1"
        with aioresponses() as m:
            m.get(url, status=500, payload={"message": "no"}, repeat=True)
            with pytest.raises(ServerError):
                await client.get_campaign("cd-1")
            assert requests_sent(m) == 1
        with aioresponses() as m:
            m.get(url, status=429, payload={"message": "slow down"}, repeat=True)
            with pytest.raises(RateLimitError):
                await client.get_campaign("cd-1")
            assert requests_sent(m) == 1
    with pytest.raises(ValueError, match="status_attempts"):
        RetryPolicy(status_attempts={500: 0})


def fast_holds(client: KoreCampaignClient) -> None:
    """Holds of milliseconds instead of seconds (the logic is the same)."""
    concurrency = client.transport.concurrency
    concurrency.hold_initial = 0.002
    concurrency.hold_max = 0.01


async def test_budget_429s_do_not_use_up_attempts() -> None:
    """Twenty 429s without Retry-After, then an answer: a budget wait, not six failures."""
    async with KoreCampaignClient(
        "https://kore.test", "st-1", "acc-1", auth="tok", retry=RetryPolicy(max_attempts=6, initial_backoff=0.001)
    ) as client:
        fast_holds(client)
        url = f"{BASE}/campaign/cd-1?accountId=acc-1"
        with aioresponses() as m:
            for _ in range(20):
                m.get(url, status=429, payload={"message": "Rate limit for this API has been reached."})
            m.get(url, payload=CAMPAIGN_OK)
            assert (await client.get_campaign("cd-1")).id == "cd-1"
            assert requests_sent(m) == 21
        assert client.stats.throttled == 20 and client.stats.holds >= 1


async def test_max_budget_wait_bounds_the_wait() -> None:
    # 0.3 s of budget wait: holds of 2-10 ms fit dozens of probes in it, and still more than the
    # six attempts when a loaded CI machine stretches every await (50 ms once fitted only six)
    policy = RetryPolicy(max_attempts=6, initial_backoff=0.001, max_budget_wait=0.3)
    async with KoreCampaignClient("https://kore.test", "st-1", "acc-1", auth="tok", retry=policy) as client:
        fast_holds(client)
        url = f"{BASE}/campaign/cd-1?accountId=acc-1"
        with aioresponses() as m:
            m.get(url, status=429, payload={"message": "Rate limit"}, repeat=True)
            with pytest.raises(RateLimitError) as err:
                await client.get_campaign("cd-1")
        assert err.value.budget and err.value.retry_after is None
        assert requests_sent(m) > 6  # past the attempts budget: it waited for the budget

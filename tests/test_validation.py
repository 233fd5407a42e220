"""Bad input raises a typed error naming the field and allowed values, before any request."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from aioresponses import aioresponses

from korecampaign_async import InvalidParameterError, KoreCampaignClient
from korecampaign_async.models.checks import check_filters, check_iso_datetime, check_sort


@pytest.fixture
def offline_client() -> KoreCampaignClient:
    return KoreCampaignClient("https://kore.invalid", "st-1", "acc-1", auth="token")


CASES: list[tuple[Callable[[KoreCampaignClient], Awaitable[Any]], str, str]] = [
    (lambda c: c.list_campaigns("email"), "type", "'voice' or 'sms'"),  # type: ignore[arg-type]
    (lambda c: c.list_campaigns("voice", page=0), "page", "integer >= 1"),
    (lambda c: c.list_campaigns("voice", limit=10_001), "limit", "1 to 10000"),  # no documented maximum
    (lambda c: c.list_campaigns("voice", limit=True), "limit", "1 to 10000"),
    (lambda c: c.get_campaign_contacts("cd-1", limit=101), "limit", "1 to 100"),  # documented 1..100
    (lambda c: c.list_campaigns("voice", filters={"status": ["Running"]}), "filters.status", "'Rescheduled'"),
    (lambda c: c.list_campaigns("voice", filters={"priority": [6]}), "filters.priority", "5"),
    (lambda c: c.list_campaigns("voice", filters={"dialingMode": ["Agentless"]}), "filters.dialingMode", "Preview"),
    (lambda c: c.list_campaigns("sms", filters={"dialingMode": ["Preview"]}), "filters.dialingMode", "type='voice'"),
    (lambda c: c.list_campaigns("voice", filters={"colour": ["red"]}), "filters", "status, priority"),
    (lambda c: c.list_campaigns("voice", sort_by={"createdAt": "up"}), "sortBy.createdAt", "'asc' or 'desc'"),
    (lambda c: c.list_campaigns("voice", sort_by="size:asc"), "sortBy", "createdAt"),
    (lambda c: c.list_campaigns("voice", start_date="yesterday"), "startDate", "ISO-8601"),
    (
        lambda c: c.list_campaigns("voice", start_date="2025-12-02T00:00:00Z", end_date="2025-12-01T00:00:00Z"),
        "endDate",
        "at or after startDate",
    ),
    (lambda c: c.get_campaign(""), "campaign_id", "non-empty id"),
    (lambda c: c.get_campaign("cd-1/../../admin"), "campaign_id", "non-empty id"),
    (lambda c: c.get_campaign_contacts("cd-1", limit=0), "limit", "1 to 100"),
    (lambda c: c.get_campaign_contacts("cd-1", page=-1), "page", ">= 1"),
    (lambda c: c.get_contact_list("cl-1", limit=50_000), "limit", "1 to 10000"),
]


@pytest.mark.parametrize(("call", "field", "allowed"), CASES)
async def test_rejected_before_any_request(
    offline_client: KoreCampaignClient, call: Callable[[KoreCampaignClient], Awaitable[Any]], field: str, allowed: str
) -> None:
    with aioresponses() as mocked:
        with pytest.raises(InvalidParameterError) as err:
            await call(offline_client)
        assert mocked.requests == {}
    assert err.value.field == field
    assert allowed in err.value.allowed
    assert field in str(err.value)
    await offline_client.close()


def test_iterators_validate_eagerly(offline_client: KoreCampaignClient) -> None:
    with pytest.raises(InvalidParameterError, match="page_size"):
        offline_client.iter_campaign_contacts("cd-1", page_size=1000)
    with pytest.raises(InvalidParameterError, match="start_page"):
        offline_client.iter_contact_list("cl-1", start_page=0)
    with pytest.raises(InvalidParameterError, match="type"):
        offline_client.iter_campaigns("fax")  # type: ignore[arg-type]


def test_dates_normalised_to_utc_millis() -> None:
    assert check_iso_datetime("2025-12-01T00:00:00Z", "startDate") == "2025-12-01T00:00:00.000Z"
    ist = timezone(timedelta(hours=5, minutes=30))
    assert check_iso_datetime(datetime(2025, 12, 1, 5, 30, 0, 123456, tzinfo=ist), "x") == "2025-12-01T00:00:00.123Z"
    assert check_iso_datetime(datetime(2025, 12, 1), "x") == "2025-12-01T00:00:00.000Z"  # naive = UTC
    assert check_iso_datetime(datetime(2025, 12, 1, tzinfo=UTC), "x") == "2025-12-01T00:00:00.000Z"
    assert check_iso_datetime(None, "x") is None


def test_sort_forms() -> None:
    assert check_sort("createdAt:desc,name") == {"createdAt": "desc", "name": "asc"}
    assert check_sort({"updated_at": "asc"}) == {"updatedAt": "asc"}
    assert check_sort(None) is None


def test_filters_normalised() -> None:
    f = check_filters({"status": "Ready", "priority": ["5", 1], "dialing_mode": ["Preview"]}, "voice")
    assert f is not None
    assert (f.status, f.priority, f.dialing_mode) == (["Ready"], [5, 1], ["Preview"])
    assert check_filters({}, "voice") is None
    with pytest.raises(InvalidParameterError, match=r"filters\.priority"):
        check_filters({"priority": [True]}, "voice")

"""Decode the documentation's own samples and the documented inconsistencies."""

from datetime import UTC, datetime

import msgspec
import pytest

from korecampaign_async.models.records import (
    Campaign,
    CampaignContact,
    CampaignFilters,
    Contact,
    ContactStatusRequest,
    Envelope,
    ListCampaignsRequest,
    PageData,
    to_page,
)

VOICE_LIST = b"""{"status":"success","message":"Campaign retrieved successfully","data":{"results":[
{"_id":"cd-c1b940c-7012","name":"Billing Reminder","description":"d","dncLists":{"id":"cl-68b8","name":"DNC CL Dec 4"},
"priority":"5","dialingMode":"Preview","status":"Ready","isFiltersEnabled":false,"createdAt":"2025-12-08T09:17:21.090Z",
"updatedAt":"2025-12-08T09:17:37.927Z","campaignInstanceUpdatedAt":"2025-12-08T09:17:37.927Z",
"schedule":{"isSchedulingEnabled":false},"connection":"Default Queue","contactLists":["CL Only 2020 Dec 4"]}],
"skip":0,"limit":50,"hasMore":false,"totalPages":1,"totalResults":5}}"""

SMS_LIST = b"""{"status":"success","data":{"results":[{"name":"Billing Alert","status":"Ready","dncLists":{"name":"testdnc"},
"priority":"5","message":{"template_name":"Welcome","message":"R3Jl","templateId":"cmt-88fc"},
"createdAt":"2025-12-05T08:08:45.668Z","schedule":{"isSchedulingEnabled":false,"isRecurrenceEnabled":false},
"id":"cd-99f05887","totalMessagesSent":0,"campaignExecutionType":"NORMAL","contactLists":["CL"],"format":"simple",
"someNewField":{"nested":[1,2,3]}}],"skip":0,"limit":50,"hasMore":false,"totalPages":1,"totalResults":7}}"""

GET_CAMPAIGN = b"""{"status":"success","message":"ok","data":{"_id":"cd-9e14b72","name":"Product Feedback","lname":"product feedback",
"dncLists":{"id":"cl-68b","name":"DNC CL Dec 4"},"priority":"5","dialingMode":"Agentless",
"dialingStrategy":{"callerId":{"phoneNumber":"+148465xxxxx"},"callingHours":{"frequency":"WEEKLY",
"days":[{"start":"9:00 AM","end":"6:00 PM","day":"MO"}],"timezone":"Asia/Kolkata"},"dialingOrder":"FIFO",
"maxAttemptsPerRecord":3,"defaultRetryPeriod":10,"maxRingTime":30,"useSystemMappings":false},
"experienceFlow":"cf-ecfa","status":"Ready","isFiltersEnabled":false,"createdAt":"2025-12-08T05:29:38.298Z",
"updatedAt":"2025-12-08T05:32:10.977Z","schedule":{"isSchedulingEnabled":false,"isRecurrenceEnabled":false},
"contactLists":["CL Only 2020 Dec 4"]}}"""

STATUS_PAGE = b"""{"status":"success","data":{"results":[{"phoneNumber":"919876543210","uniqueId":"","dialerOutcome":"",
"numberOfAttemptsSoFar":2,"botSessionId":"685d","agentDispositionCodes":[],"botOutboundStatus":"userHangUp",
"botOutboundStatusDetail":"Client side"},{"phoneNumber":"125xxxx0200","uniqueId":"","dialerOutcome":"completed",
"numberOfAttemptsSoFar":1,"botSessionId":"685e","agentDispositionCodes":["System Generated"],
"botOutboundStatus":"userHangUp","botOutboundStatusDetail":"user_hangup"}],"page":1,"limit":100,"totalPages":1,
"totalResults":2}}"""

CONTACT_LIST_TOP_LEVEL = b"""{"status":"success","message":"ok","data":{"results":[
{"_id":"c-1","phoneNumber":"+1555","createdAt":"2025-12-01T00:00:00.000Z","updatedAt":"2025-12-01T00:01:00.000Z"}]},
"skip":100,"limit":100,"hasMore":true,"totalPages":3,"totalResults":201}"""


def test_voice_campaign_list_sample() -> None:
    env = msgspec.json.decode(VOICE_LIST, type=Envelope[PageData[Campaign]])
    page = to_page(env, requested_page=1, requested_limit=50)
    (c,) = page.results
    assert c.id == "cd-c1b940c-7012"  # from "_id"
    assert c.dialing_mode == "Preview" and c.connection == "Default Queue"
    assert c.created_at == datetime(2025, 12, 8, 9, 17, 21, 90000, tzinfo=UTC)
    assert c.dnc_lists is not None and not isinstance(c.dnc_lists, list) and c.dnc_lists.id == "cl-68b8"
    assert (page.page, page.limit, page.total_pages, page.total_results, page.has_more) == (1, 50, 1, 5, False)


def test_sms_campaign_list_sample_with_unknown_field() -> None:
    env = msgspec.json.decode(SMS_LIST, type=Envelope[PageData[Campaign]])
    (c,) = env.data.results
    assert c.id == "cd-99f05887"  # from "id"
    assert c.message is not None
    assert (c.message.template_name, c.message.template_id) == ("Welcome", "cmt-88fc")
    assert c.total_messages_sent == 0 and c.format == "simple" and c.dialing_mode is None


def test_get_campaign_sample_nested() -> None:
    c = msgspec.json.decode(GET_CAMPAIGN, type=Envelope[Campaign]).data
    assert c.id == "cd-9e14b72"
    ds = c.dialing_strategy
    assert ds is not None and ds.caller_id is not None and ds.calling_hours is not None
    assert ds.caller_id.phone_number == "+148465xxxxx"
    assert ds.calling_hours.days[0].day == "MO" and ds.calling_hours.timezone == "Asia/Kolkata"
    assert ds.max_attempts_per_record == 3 and ds.use_system_mappings is False


def test_id_encodes_once_as_id() -> None:
    c = msgspec.json.decode(GET_CAMPAIGN, type=Envelope[Campaign]).data
    doc = msgspec.json.decode(msgspec.json.encode(c))
    assert doc["id"] == "cd-9e14b72" and "_id" not in doc


def test_priority_number_normalised_to_string() -> None:
    c = msgspec.json.decode(b'{"id":"cd-1","priority":4}', type=Campaign)
    assert c.priority == "4"


def test_status_rows() -> None:
    env = msgspec.json.decode(STATUS_PAGE, type=Envelope[PageData[CampaignContact]])
    rows = env.data.results
    assert [r.phone_number for r in rows] == ["919876543210", "125xxxx0200"]
    assert rows[1].agent_disposition_codes == ["System Generated"]
    assert rows[0].number_of_attempts_so_far == 2


def test_contact_list_pagination_at_top_level() -> None:
    env = msgspec.json.decode(CONTACT_LIST_TOP_LEVEL, type=Envelope[PageData[Contact]])
    page = to_page(env, requested_page=2, requested_limit=100)
    assert page.results[0].id == "c-1"
    assert (page.page, page.limit, page.total_pages, page.total_results, page.has_more) == (2, 100, 3, 201, True)


def test_total_pages_derived_when_missing() -> None:
    env = msgspec.json.decode(
        b'{"data":{"results":[],"totalResults":250,"limit":100}}', type=Envelope[PageData[Contact]]
    )
    assert to_page(env, requested_page=1, requested_limit=100).total_pages == 3


def test_missing_required_field_is_a_validation_error() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"phoneNumber"):
        msgspec.json.decode(b'{"data":{"results":[{"uniqueId":"x"}]}}', type=Envelope[PageData[CampaignContact]])


def test_request_bodies_are_camel_case_and_omit_defaults() -> None:
    body = ListCampaignsRequest(
        type="voice",
        page=2,
        limit=50,
        skip=50,
        sort_by={"createdAt": "desc"},
        filters=CampaignFilters(status=["Ready"], dialing_mode=["Preview"]),
    )
    assert msgspec.json.decode(msgspec.json.encode(body)) == {
        "type": "voice",
        "page": 2,
        "limit": 50,
        "skip": 50,
        "sortBy": {"createdAt": "desc"},
        "filters": {"status": ["Ready"], "dialingMode": ["Preview"]},
    }
    assert msgspec.json.encode(ContactStatusRequest(page=1, limit=100)) == b'{"page":1,"limit":100}'

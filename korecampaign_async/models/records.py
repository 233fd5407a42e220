"""Typed request and response shapes of the Campaign Management API v2.

The ``Struct`` declarations *are* the schema: ``rename="camel"`` maps ``dialing_mode`` to
``dialingMode``, unknown fields are ignored (the API adds fields without notice), every
field the docs mark optional has a default, and decoding goes straight from response bytes
to these structs with ``msgspec.json.Decoder``.

Two documented inconsistencies are absorbed here (see ``docs/api-notes.md``):

* campaigns and contacts carry their id as ``_id`` in some responses and ``id`` in
  others. Both decode; the value always ends up in ``.id`` and encodes back as ``id``.
* the contact-list endpoint documents its pagination fields (``skip``, ``limit``,
  ``hasMore``, ``totalPages``, ``totalResults``) beside ``data`` instead of inside it.
  Both positions decode; :meth:`Envelope.to_page` merges them, ``data`` winning.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Generic, Literal, TypeVar

import msgspec

__all__ = [
    "CallerId",
    "CallingDay",
    "CallingHours",
    "Campaign",
    "CampaignContact",
    "CampaignFilters",
    "CampaignType",
    "Contact",
    "ContactStatusRequest",
    "DialingStrategy",
    "DncList",
    "Envelope",
    "ListCampaignsRequest",
    "Page",
    "PageData",
    "Schedule",
    "SmsMessage",
    "SortDirection",
]

CampaignType = Literal["voice", "sms"]
SortDirection = Literal["asc", "desc"]

T = TypeVar("T")


class _Model(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True, gc=False):
    """Base of every API shape: camelCase on the wire, keyword-only, defaults omitted on encode.

    ``gc=False``: decoded records never form reference cycles, so the cyclic garbage
    collector need not track them. With a deep prefetch buffer holding tens of thousands
    of records, tracking them made every collection (and so every decode) slower."""


class DncList(_Model):
    """A Do-Not-Call contact list attached to a campaign."""

    id: str | None = None
    name: str | None = None


class CallerId(_Model):
    """Caller id shown to the dialled party (an older Contact Center page also sends
    ``direction: "outbound"``)."""

    phone_number: str | None = None
    direction: str | None = None


class CallingDay(_Model):
    """One day of the calling-hours schedule; ``start``/``end`` as ``"9:00 AM"``."""

    day: str
    start: str | None = None
    end: str | None = None


class CallingHours(_Model):
    """When a voice campaign may dial."""

    frequency: str | None = None
    days: list[CallingDay] = []
    timezone: str | None = None


class DialingStrategy(_Model):
    """Dialing configuration of a voice campaign."""

    caller_id: CallerId | None = None
    calling_hours: CallingHours | None = None
    dialing_order: str | None = None
    max_attempts_per_record: int | None = None
    default_retry_period: int | None = None
    max_ring_time: int | None = None
    use_system_mappings: bool | None = None


class Schedule(_Model):
    """Scheduling switches of a campaign."""

    is_scheduling_enabled: bool | None = None
    is_recurrence_enabled: bool | None = None


class SmsMessage(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """Body of a simple SMS campaign. The API mixes ``template_name`` (snake) and
    ``templateId`` (camel); both are mapped explicitly. ``message`` is base64 as sent."""

    message: str | None = None
    template_name: str | None = None
    template_id: str | None = msgspec.field(default=None, name="templateId")


class Campaign(_Model):
    """A voice or SMS campaign, as returned by ``getAllCampaignDetails`` and ``campaign/{id}``.

    Voice-only fields (``dialing_mode``, ``dialing_strategy``, ``connection``) and SMS-only
    fields (``message``, ``total_messages_sent``, ``campaign_execution_type``) are ``None``
    for the other kind. ``priority`` is normalised to a string (the API sends ``"5"``).
    """

    id: str | None = None
    legacy_id: str | None = msgspec.field(default=None, name="_id")
    name: str | None = None
    lname: str | None = None
    description: str | None = None
    status: str | None = None
    priority: str | int | None = None
    dnc_lists: DncList | list[DncList] | None = None
    dialing_mode: str | None = None
    dialing_strategy: DialingStrategy | None = None
    experience_flow: str | None = None
    is_filters_enabled: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    campaign_instance_updated_at: datetime | None = None
    campaign_instance_id: str | None = None
    schedule: Schedule | None = None
    connection: str | None = None
    contact_lists: list[str] = []
    format: str | None = None
    message: SmsMessage | None = None
    total_messages_sent: int | None = None
    campaign_execution_type: str | None = None
    #: the id as a Contact Center preview create (and the older create pages) answer it
    camp_id: str | None = None

    def __post_init__(self) -> None:
        if self.id is None:
            self.id = self.legacy_id or self.camp_id
        self.legacy_id = self.camp_id = None
        if isinstance(self.priority, int):
            self.priority = str(self.priority)


class CampaignContact(_Model, omit_defaults=False):
    """One row of ``campaign/{id}/status?view=contacts``: a dialled number and its outcome.

    Every field is always encoded (as the API sends them), so exports keep ``""``, ``0``
    and ``[]`` values instead of dropping them."""

    phone_number: str
    unique_id: str = ""
    dialer_outcome: str = ""
    number_of_attempts_so_far: int = 0
    bot_session_id: str = ""
    agent_disposition_codes: list[str] = []
    bot_outbound_status: str = ""
    bot_outbound_status_detail: str = ""


class Contact(_Model):
    """One contact of a contact list (``getAllContacts``)."""

    phone_number: str
    id: str | None = None
    legacy_id: str | None = msgspec.field(default=None, name="_id")
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.id is None:
            self.id = self.legacy_id
        self.legacy_id = None


class PageData(_Model, Generic[T]):
    """The ``data`` object of a paged response."""

    results: list[T]
    page: int | None = None
    limit: int | None = None
    skip: int | None = None
    has_more: bool | None = None
    total_pages: int | None = None
    total_results: int | None = None


class Page(msgspec.Struct, Generic[T], frozen=True, kw_only=True, gc=False):
    """One page of results with its pagination metadata, normalised.

    ``page`` and ``limit`` are what the server reported (falling back to what was asked);
    ``skip`` is the offset the server reported, if it did (an echo of the request's
    ``skip`` or of the offset it used); ``total_pages`` is derived from ``total_results``
    and ``limit`` when the server omits it, and is ``None`` only when neither total is
    known (then ``has_more`` drives paging).
    """

    results: list[T]
    page: int
    limit: int
    total_pages: int | None
    total_results: int | None
    has_more: bool | None = None
    skip: int | None = None


class Envelope(_Model, Generic[T]):
    """The outer ``{"status", "message", "data"}`` object of every response."""

    data: T
    status: str | None = None
    message: str | None = None
    # pagination fields documented at the top level by the contact-list page
    page: int | None = None
    limit: int | None = None
    skip: int | None = None
    has_more: bool | None = None
    total_pages: int | None = None
    total_results: int | None = None


def to_page(envelope: Envelope[PageData[T]], *, requested_page: int, requested_limit: int) -> Page[T]:
    """Merge the two documented positions of the pagination fields into one :class:`Page`."""
    data = envelope.data
    limit = data.limit or envelope.limit or requested_limit
    # No page number is derived from ``skip``: a server may echo the skip it was sent rather
    # than the offset it used, so the plan checks the two echoes separately.
    page = data.page or envelope.page or requested_page
    skip = data.skip if data.skip is not None else envelope.skip
    total_results = data.total_results if data.total_results is not None else envelope.total_results
    total_pages = data.total_pages if data.total_pages is not None else envelope.total_pages
    if total_pages is None and total_results is not None:
        total_pages = math.ceil(total_results / limit) if limit else 0
    has_more = data.has_more if data.has_more is not None else envelope.has_more
    return Page(
        results=data.results,
        page=page,
        limit=limit,
        total_pages=total_pages,
        total_results=total_results,
        has_more=has_more,
        skip=skip,
    )


class CampaignFilters(_Model):
    """``filters`` of ``getAllCampaignDetails``; each list narrows the result set."""

    status: list[str] | None = None
    priority: list[int] | None = None
    dialing_mode: list[str] | None = None


class ListCampaignsRequest(_Model):
    """Body of ``POST getAllCampaignDetails``. ``skip`` is kept equal to ``(page-1)*limit``
    because the sample requests send both."""

    type: CampaignType
    page: int
    limit: int
    skip: int
    start_date: str | None = None
    end_date: str | None = None
    sort_by: dict[str, SortDirection] | None = None
    filters: CampaignFilters | None = None


class ContactStatusRequest(_Model):
    """Body of ``POST campaign/{id}/status?view=contacts``."""

    page: int
    limit: int

"""The schema layer: every shape the API sends or takes, as msgspec ``Struct`` declarations
(the declaration *is* the schema), and the checks applied to them before a request leaves.

* :mod:`.records`: what the reads return (campaigns, contact-status rows, contacts,
  envelopes and pages) and the read request bodies.
* :mod:`.writes`: the write side's bodies and answers (campaign and contact-list specs,
  schedules, call-backs, trigger results).
* :mod:`.checks` and :mod:`.write_checks`: argument and body validation, raising
  :class:`~korecampaign_async.errors.InvalidParameterError` before any I/O.
* :mod:`.arrow`: the records' Arrow schema and a column buffer (extra ``arrow``), for
  columnar output.

Everything here is pure: no I/O, no event loop. Every other layer builds on it.
``from korecampaign_async.models import CampaignContact`` (the records) keeps working.
"""

from __future__ import annotations

from .records import (
    CallerId,
    CallingDay,
    CallingHours,
    Campaign,
    CampaignContact,
    CampaignFilters,
    CampaignType,
    Contact,
    ContactStatusRequest,
    DialingStrategy,
    DncList,
    Envelope,
    ListCampaignsRequest,
    Page,
    PageData,
    Schedule,
    SmsMessage,
    SortDirection,
)

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

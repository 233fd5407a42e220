"""Request and response shapes of the Campaign API's writes: campaigns, contact lists,
triggers, schedules and call-backs (``../shared/api-docs/more/``).

As in :mod:`korecampaign_async.models`, the ``Struct`` declarations are the schema:
camelCase on the wire, keyword-only, unset fields left out of the request (the samples
send only what they set). Field names follow the samples where the tables disagree with
them: the Progressive and Preview pages send ``queue_name`` in snake case, the templated
SMS sample ``template_name``, the add-contacts page ``contact_list_name`` and free-form
contact keys (``"first name"``), and those spellings are kept exactly.

The campaign bodies are built by :mod:`korecampaign_async.resources.campaigns`, which
validates them first (:mod:`korecampaign_async.models.write_checks`); these structs also
decode every documented sample response (``tests/test_doc_samples.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from .records import Campaign, DialingStrategy, DncList, Schedule, SmsMessage

__all__ = [
    "ApiConfigurations",
    "CallBack",
    "CallBackResult",
    "CallBackResults",
    "CampaignState",
    "ContactList",
    "ContactListFile",
    "ContactListSpec",
    "ContactListUpdate",
    "ContactListUpdateResult",
    "DailyRecurrence",
    "DialingMode",
    "Recurrence",
    "ScheduleResult",
    "ScheduleSpec",
    "SmsCampaignSpec",
    "TriggerResult",
    "VoiceCampaignSpec",
    "WeeklyRecurrence",
    "WriteResult",
]

DialingMode = Literal["Agentless", "Progressive", "Preview"]


class _Model(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True, gc=False):
    """camelCase on the wire, keyword-only, unset fields omitted."""


class VoiceCampaignSpec(_Model):
    """Body of a voice campaign create (``POST campaign?campaignType=voice``) or update
    (``PUT campaign/{id}``). Which fields a dialing mode needs is checked before sending:
    Agentless needs ``experience_flow_name`` and ``enable_machine_detect``; Progressive
    ``queue_name``; Preview ``queue_name`` and ``max_skips``."""

    name: str
    description: str
    contact_lists: list[str]
    dnc_lists: DncList | None = None
    priority: str | None = None
    dialing_mode: DialingMode | None = None
    dialing_strategy: DialingStrategy | None = None
    schedule: Schedule | None = None
    experience_flow_name: str | None = None
    #: v2 (Agentless): ``no``, ``detect`` or ``disconnect``; the Contact Center pages: a boolean
    enable_machine_detect: str | bool | None = None
    queue_name: str | None = msgspec.field(default=None, name="queue_name")
    max_skips: int | None = None
    campaign_type: Literal["voice"] | None = None


class SmsCampaignSpec(_Model):
    """Body of an SMS campaign create or update. ``format="simple"`` sends ``message``
    (Base64 text, optionally a ``template_name``); ``format="advanced"`` hands the
    conversation to ``experience_flow_name``."""

    name: str
    description: str
    contact_lists: list[str]
    dnc_lists: DncList | None = None
    campaign_type: Literal["sms"] | None = None
    priority: str | None = None
    format: Literal["simple", "advanced"] | None = None
    message: SmsMessage | None = None
    dialing_strategy: DialingStrategy | None = None
    schedule: Schedule | None = None
    experience_flow_name: str | None = None


class WriteResult(_Model):
    """The answer of a campaign create, update or delete: ``status``, ``message`` and the
    campaign as the server stored it (``data``; the update page adds the id beside it)."""

    status: str | None = None
    message: str | None = None
    id: str | None = None
    data: Campaign | None = None


class TriggerResult(_Model):
    """The answer of a start (``trigger=play``) or stop (``trigger=stop``): the campaign's
    new ``status`` (``Active``, ``Stopped``) and, for voice, the campaign instance."""

    status: str | None = None
    message: str | None = None
    total_calls_completed: int | None = None
    updated_at: datetime | None = None
    campaign_instance_id: str | None = None
    campaign_execution_type: str | None = None


class CampaignState(_Model):
    """``data`` of ``status?view=status``: one campaign's id, name and status."""

    id: str | None = None
    name: str | None = None
    status: str | None = None


class DailyRecurrence(_Model):
    once_everyndays: int = msgspec.field(name="onceEveryNdays")


class WeeklyRecurrence(_Model):
    once_everynweeks: int = msgspec.field(name="onceEveryNweeks")
    which_days: list[str]


class Recurrence(_Model):
    recur_type: Literal["Daily", "Weekly"]
    daily_details: DailyRecurrence | None = None
    weekly_details: WeeklyRecurrence | None = None


class ScheduleSpec(_Model):
    """Body of ``POST campaign/schedule?enableSchedule=true&campaignName=``: times as
    ``YYYY-MM-DD HH:mm:ss`` and a daily or weekly recurrence."""

    start_date_time: str
    end_date_time: str
    recurrence_object: Recurrence


class ScheduleResult(_Model):
    """The answer of a schedule or unschedule: ``status``, ``message`` and the campaign id."""

    status: str | None = None
    message: str | None = None
    id: str | None = None


class CallBack(_Model):
    """One call-back of ``POST campaign/{campaignInstanceId}/callContactAt``."""

    campaign_dialing_list_id: str
    time_to_contact: str


class CallBackResult(_Model):
    campaign_dialing_list_id: str | None = None
    status: str | None = None
    reason: str | None = None


class CallBackResults(_Model):
    status: str | None = None
    data: list[CallBackResult] = []


class ContactListSpec(_Model, omit_defaults=False):
    """Body of ``POST contactList/createContactList``. ``source`` is always sent (the
    only documented value); ``allow_duplicates`` only when set (the server's default is
    ``false``)."""

    name: str
    description: str
    source: Literal["passiveApi", "passiveApiIntegration"] = "passiveApi"
    allow_duplicates: bool | msgspec.UnsetType = msgspec.UNSET


class ContactListUpdate(_Model):
    """Body of ``PUT contactList/{id}``: the fields to change (``allow_duplicates``: the
    Contact Center update page only)."""

    name: str | None = None
    description: str | None = None
    allow_duplicates: bool | msgspec.UnsetType = msgspec.UNSET


class ApiConfigurations(_Model):
    data_sync_mode: str | None = None


class ContactListFile(_Model):
    file_id: str | None = None
    file_name: str | None = None


class ContactList(_Model):
    """A contact list as the API returns it (``_id`` or ``id``, both end in ``.id``)."""

    id: str | None = None
    legacy_id: str | None = msgspec.field(default=None, name="_id")
    name: str | None = None
    description: str | None = None
    is_active: bool | None = None
    total_record_count: int | None = None
    status: str | None = None
    created_by: str | None = None
    updated_by: str | None = None
    mapping: dict[str, str] | None = None
    is_list_in_use: bool | None = None
    list_type: str | None = None
    is_global_dnc: bool | None = None
    is_default: bool | None = None
    campaign_in_use: list[Any] = []
    source: str | None = None
    api_configurations: ApiConfigurations | None = None
    files: list[ContactListFile] = []
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.id is None and self.legacy_id is not None:
            self.id = self.legacy_id
        self.legacy_id = None

    @property
    def allows_duplicates(self) -> bool | None:
        """Whether the list keeps duplicate contacts (``apiConfigurations.dataSyncMode``),
        ``None`` when the answer does not say."""
        mode = self.api_configurations.data_sync_mode if self.api_configurations else None
        return None if mode is None else mode == "allowDuplicates"


class ContactListUpdateResult(_Model):
    """``data`` of a contact-list update: the id and the fields the server stored
    (``{contactListId, body}``), or, as an older Contact Center page shows, the whole list
    (then ``contact_list_id`` is its id and ``body`` its name and description)."""

    contact_list_id: str | None = None
    body: dict[str, Any] = {}
    id: str | None = None
    legacy_id: str | None = msgspec.field(default=None, name="_id")
    name: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if self.contact_list_id is None:
            self.contact_list_id = self.id or self.legacy_id
        if not self.body and (self.name is not None or self.description is not None):
            self.body = {k: v for k, v in (("name", self.name), ("description", self.description)) if v is not None}
        self.id = self.legacy_id = self.name = self.description = None

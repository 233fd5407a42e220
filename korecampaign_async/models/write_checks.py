"""Checks of write requests, done before anything is sent.

Every rule comes from the pages in ``../shared/api-docs/more/`` (limits, enums, which
fields a dialing mode or SMS format needs); each failure raises
:class:`~korecampaign_async.errors.InvalidParameterError` naming the field as the API
spells it (``dialingStrategy.maxRingTime``) and the allowed values. Contact rows of an
import are checked by :func:`check_contact_row`, which returns the problem instead of
raising, so an import can report every bad row with its line number at once.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from ..errors import InvalidParameterError
from .records import CallingHours, DialingStrategy
from .writes import (
    CallBack,
    ContactListSpec,
    ContactListUpdate,
    ScheduleSpec,
    SmsCampaignSpec,
    VoiceCampaignSpec,
)

__all__ = [
    "CALLING_DAYS",
    "CALLING_FREQUENCIES",
    "CONTACT_LIST_SOURCES",
    "DIALING_ORDERS",
    "MACHINE_DETECT",
    "MAX_DESCRIPTION",
    "MAX_NAME",
    "SCHEDULE_DAYS",
    "SMS_FORMATS",
    "VOICE_DIALING_MODES",
    "check_call_backs",
    "check_contact_list_spec",
    "check_contact_list_update",
    "check_contact_row",
    "check_name",
    "check_schedule",
    "check_sms_campaign",
    "check_voice_campaign",
]

MAX_NAME = 48
MAX_DESCRIPTION = 256
VOICE_DIALING_MODES = ("Agentless", "Progressive", "Preview")
CALLING_FREQUENCIES = ("WEEKLY", "DAILY", "CUSTOM")
CALLING_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DIALING_ORDERS = ("FIFO", "LIFO")
MACHINE_DETECT = ("no", "detect", "disconnect")
SMS_FORMATS = ("simple", "advanced")
SCHEDULE_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PRIORITY_VALUES = ("1", "2", "3", "4", "5")
#: ``source`` of a contact list: the v2 pages' value, then the one the Contact Center's
#: create sample sends (its table says ``passiveApi``).
CONTACT_LIST_SOURCES = ("passiveApi", "passiveApiIntegration")

_TIME_RE = re.compile(r"^(1[0-2]|0?[1-9]):[0-5][0-9] ?(AM|PM)$")
_PHONE_RE = re.compile(r"^\+?[0-9]{6,16}$")
_SCHEDULE_FORMAT = "%Y-%m-%d %H:%M:%S"


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def check_name(value: object, field: str = "name", maximum: int = MAX_NAME) -> str:
    """A non-empty name of at most ``maximum`` characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > maximum:
        raise InvalidParameterError(field, value, f"a non-empty string of at most {maximum} characters")
    return value


def _check_text(value: object, field: str, maximum: int, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > maximum:
        raise InvalidParameterError(
            field, value, f"a {'non-empty ' if required else ''}string of at most {maximum} characters"
        )


def _check_choice(value: object, field: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidParameterError(field, value, "one of " + ", ".join(allowed))


def _check_range(value: object, field: str, low: int, high: int) -> None:
    if not _is_int(value) or not low <= value <= high:
        raise InvalidParameterError(field, value, f"an integer from {low} to {high}")


def _check_contact_lists(value: object) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidParameterError("contactLists", value, "a non-empty list of contact list names")


def _check_priority(value: object) -> str:
    text = str(value) if _is_int(value) else value
    if text not in PRIORITY_VALUES:
        raise InvalidParameterError("priority", value, "one of 1, 2, 3, 4, 5")
    assert isinstance(text, str)
    return text


def _check_calling_hours(hours: CallingHours | None) -> None:
    if hours is None:
        raise InvalidParameterError("dialingStrategy.callingHours", None, "calling hours (frequency, timezone, days)")
    _check_choice(hours.frequency, "dialingStrategy.callingHours.frequency", CALLING_FREQUENCIES)
    if not isinstance(hours.timezone, str) or not hours.timezone:
        raise InvalidParameterError("dialingStrategy.callingHours.timezone", hours.timezone, "an IANA time zone")
    try:
        ZoneInfo(hours.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParameterError(
            "dialingStrategy.callingHours.timezone", hours.timezone, "an IANA time zone such as 'Asia/Kolkata'"
        ) from None
    if not hours.days:
        raise InvalidParameterError("dialingStrategy.callingHours.days", [], "at least one {day, start, end} block")
    for i, block in enumerate(hours.days):
        _check_choice(block.day, f"dialingStrategy.callingHours.days[{i}].day", CALLING_DAYS)
        for name in ("start", "end"):
            value = getattr(block, name)
            if not isinstance(value, str) or not _TIME_RE.match(value):
                raise InvalidParameterError(
                    f"dialingStrategy.callingHours.days[{i}].{name}", value, "a time such as '9:00 AM' or '6:00 PM'"
                )


def _check_caller(strategy: DialingStrategy) -> None:
    phone = strategy.caller_id.phone_number if strategy.caller_id else None
    if not isinstance(phone, str) or not phone.strip():
        raise InvalidParameterError("dialingStrategy.callerId.phoneNumber", phone, "the caller id phone number")


def _check_basics(spec: VoiceCampaignSpec | SmsCampaignSpec) -> None:
    """What every campaign body needs: a name, a description, its contact lists."""
    check_name(spec.name)
    _check_text(spec.description, "description", MAX_DESCRIPTION)
    _check_contact_lists(spec.contact_lists)


def _checked_strategy(strategy: DialingStrategy | None, allowed: str) -> DialingStrategy:
    """A dialing strategy with a caller id and valid calling hours (every campaign's)."""
    if strategy is None:
        raise InvalidParameterError("dialingStrategy", None, allowed)
    _check_caller(strategy)
    _check_calling_hours(strategy.calling_hours)
    return strategy


def _check_v1_body(spec: VoiceCampaignSpec | SmsCampaignSpec) -> None:
    """What the Contact Center (v1) pages' bodies have not: a ``dncLists`` object."""
    if spec.dnc_lists is not None:
        raise InvalidParameterError(
            "dncLists",
            spec.dnc_lists,
            "no dncLists with api='contact-center' (its pages take none; the Campaign API v2 does: api='v2')",
        )


def check_voice_campaign(spec: VoiceCampaignSpec, *, api: str = "v2") -> VoiceCampaignSpec:
    """The documented rules of a voice campaign body, by the pages of the API flavour
    (``api``): v2 needs ``dncLists`` and takes ``enableMachineDetect`` as ``no``/``detect``/
    ``disconnect`` (Agentless); the Contact Center (v1) pages take no ``dncLists`` and a
    boolean ``enableMachineDetect`` (required in every mode). Returns the body with
    ``priority`` as text and ``campaignType`` set."""
    _check_basics(spec)
    if api == "contact-center":
        _check_v1_body(spec)
        if not isinstance(spec.enable_machine_detect, bool):
            raise InvalidParameterError(
                "enableMachineDetect",
                spec.enable_machine_detect,
                "true or false (required by the Contact Center voice pages, every dialing mode)",
            )
    elif spec.dnc_lists is None or not spec.dnc_lists.name:
        raise InvalidParameterError("dncLists.name", None, "the name of a Do-Not-Call contact list")
    priority = _check_priority(spec.priority)
    _check_choice(spec.dialing_mode, "dialingMode", VOICE_DIALING_MODES)
    strategy = _checked_strategy(spec.dialing_strategy, "a dialing strategy (callerId, callingHours, ...)")
    _check_choice(strategy.dialing_order, "dialingStrategy.dialingOrder", DIALING_ORDERS)
    _check_range(strategy.max_attempts_per_record, "dialingStrategy.maxAttemptsPerRecord", 1, 100)
    _check_range(strategy.default_retry_period, "dialingStrategy.defaultRetryPeriod", 1, 1440)
    _check_range(strategy.max_ring_time, "dialingStrategy.maxRingTime", 5, 120)
    if spec.dialing_mode == "Agentless":
        if not spec.experience_flow_name:
            raise InvalidParameterError("experienceFlowName", None, "the voice flow's name (Agentless mode)")
        if spec.enable_machine_detect is not None and api != "contact-center":
            _check_choice(spec.enable_machine_detect, "enableMachineDetect", MACHINE_DETECT)
    if spec.dialing_mode in ("Progressive", "Preview") and not spec.queue_name:
        raise InvalidParameterError("queue_name", spec.queue_name, f"an agent queue name ({spec.dialing_mode} mode)")
    if spec.dialing_mode == "Preview":
        _check_range(spec.max_skips, "maxSkips", 0, 1000)
    return msgspec.structs.replace(spec, priority=priority, campaign_type="voice")


def check_sms_campaign(spec: SmsCampaignSpec, *, api: str = "v2") -> SmsCampaignSpec:
    """The documented rules of an SMS campaign body (the Contact Center pages: no ``dncLists``)."""
    _check_basics(spec)
    if api == "contact-center":
        _check_v1_body(spec)
    priority = _check_priority(spec.priority)
    _check_choice(spec.format, "format", SMS_FORMATS)
    _checked_strategy(spec.dialing_strategy, "a dialing strategy (callerId, callingHours)")
    if spec.format == "simple":
        text = spec.message.message if spec.message else None
        if not isinstance(text, str) or not text:
            raise InvalidParameterError("message.message", text, "the Base64-encoded message text (format 'simple')")
        try:
            # the samples end in a masked '%xxxxx': only the part before a '%' is checked
            base64.b64decode(text.split("%", 1)[0] + "==", validate=False)
        except (binascii.Error, ValueError):
            raise InvalidParameterError("message.message", text, "Base64 text (encode the message first)") from None
    elif not spec.experience_flow_name:
        raise InvalidParameterError("experienceFlowName", None, "the experience flow's name (format 'advanced')")
    return msgspec.structs.replace(spec, priority=priority, campaign_type="sms")


def _schedule_time(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidParameterError(field, value, "a time 'YYYY-MM-DD HH:mm:ss'")
    try:
        return datetime.strptime(value, _SCHEDULE_FORMAT)
    except ValueError:
        raise InvalidParameterError(field, value, "a time 'YYYY-MM-DD HH:mm:ss'") from None


def check_schedule(spec: ScheduleSpec, *, now: datetime | None = None) -> ScheduleSpec:
    """Times in ``YYYY-MM-DD HH:mm:ss`` with the end after the start (and after ``now``
    when given); the recurrence's details matching its type."""
    start = _schedule_time(spec.start_date_time, "startDateTime")
    end = _schedule_time(spec.end_date_time, "endDateTime")
    if end <= start:
        raise InvalidParameterError(
            "endDateTime", spec.end_date_time, f"a time after startDateTime ({spec.start_date_time})"
        )
    if now is not None and end <= now:
        raise InvalidParameterError("endDateTime", spec.end_date_time, "a time in the future")
    recurrence = spec.recurrence_object
    _check_choice(recurrence.recur_type, "recurrenceObject.recurType", ("Daily", "Weekly"))
    if recurrence.recur_type == "Daily":
        details = recurrence.daily_details
        _check_range(
            details.once_everyndays if details else None, "recurrenceObject.dailyDetails.onceEveryNdays", 1, 365
        )
    else:
        weekly = recurrence.weekly_details
        _check_range(
            weekly.once_everynweeks if weekly else None, "recurrenceObject.weeklyDetails.onceEveryNweeks", 1, 52
        )
        assert weekly is not None
        if not weekly.which_days:
            raise InvalidParameterError(
                "recurrenceObject.weeklyDetails.whichDays", [], "one or more of " + ", ".join(SCHEDULE_DAYS)
            )
        for day in weekly.which_days:
            _check_choice(day, "recurrenceObject.weeklyDetails.whichDays", SCHEDULE_DAYS)
    return spec


def check_call_backs(call_backs: list[CallBack]) -> list[CallBack]:
    """At least one call-back; each with a dialing-list id and an ISO-8601 time."""
    if not call_backs:
        raise InvalidParameterError("callBacks", call_backs, "one or more {campaignDialingListId, timeToContact}")
    for i, item in enumerate(call_backs):
        if not item.campaign_dialing_list_id:
            raise InvalidParameterError(f"[{i}].campaignDialingListId", item.campaign_dialing_list_id, "a contact's id")
        try:
            datetime.fromisoformat(item.time_to_contact.replace("Z", "+00:00"))
        except (ValueError, AttributeError):
            raise InvalidParameterError(
                f"[{i}].timeToContact", item.time_to_contact, "an ISO-8601 time such as '2026-06-18T17:55:00Z'"
            ) from None
    return call_backs


def check_contact_list_spec(spec: ContactListSpec, *, api: str = "v2") -> ContactListSpec:
    """Name (<= 48), description (<= 256), source ``passiveApi`` (the Contact Center pages
    also show ``passiveApiIntegration``), a boolean ``allowDuplicates``."""
    check_name(spec.name)
    _check_text(spec.description, "description", MAX_DESCRIPTION)
    _check_choice(spec.source, "source", CONTACT_LIST_SOURCES if api == "contact-center" else CONTACT_LIST_SOURCES[:1])
    if spec.allow_duplicates is not msgspec.UNSET and not isinstance(spec.allow_duplicates, bool):
        raise InvalidParameterError("allowDuplicates", spec.allow_duplicates, "true or false")
    return spec


def check_contact_list_update(update: ContactListUpdate, *, api: str = "v2") -> ContactListUpdate:
    """At least one field to change, within its limits; ``allowDuplicates`` (a boolean) only
    where the flavour's update page documents it (the Contact Center one)."""
    changes_duplicates = update.allow_duplicates is not msgspec.UNSET
    if changes_duplicates and api != "contact-center":
        raise InvalidParameterError(
            "allowDuplicates",
            update.allow_duplicates,
            "unset with api='v2' (its update page takes name and description only; the Contact Center page also "
            "takes allowDuplicates)",
        )
    if changes_duplicates and not isinstance(update.allow_duplicates, bool):
        raise InvalidParameterError("allowDuplicates", update.allow_duplicates, "true or false")
    if update.name is None and update.description is None and not changes_duplicates:
        raise InvalidParameterError("name", None, "a new name or description (nothing to update)")
    if update.name is not None:
        check_name(update.name)
    _check_text(update.description, "description", MAX_DESCRIPTION, required=False)
    return update


_SEPARATORS = re.compile(r"[\s\-().]")
_DIGITS_RE = re.compile(r"^[0-9]{6,16}$")
_VALUE_TYPES = frozenset({str, int, float, bool, type(None)})


def check_contact_row(row: Mapping[str, Any]) -> str | None:
    """The problem with one contact of an import, or ``None``: a ``phoneNumber`` of 6 to 16
    digits (an optional leading ``+``; spaces, dashes, dots and brackets are ignored), named
    columns, and only string, number or boolean values.

    Called for every row of an import, so the common case (a clean row) costs one regex
    test of the digits and one C-level type scan: about 0.6 us, against 2 us for a regex and a loop
    over the items."""
    phone = row.get("phoneNumber")
    if type(phone) is str:
        digits = phone[1:] if phone[:1] == "+" else phone
        if not (digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 16):
            digits = _SEPARATORS.sub("", digits)
            if not _DIGITS_RE.match(digits):
                return f"phoneNumber {phone!r} is not a phone number (6 to 16 digits, optional leading +)"
    elif type(phone) is int:
        if not 6 <= len(str(abs(phone))) <= 16:
            return f"phoneNumber {phone!r} is not a phone number (6 to 16 digits, optional leading +)"
    else:
        return "phoneNumber is missing"
    if not _VALUE_TYPES.issuperset(map(type, row.values())):
        key, value = next((k, v) for k, v in row.items() if type(v) not in _VALUE_TYPES)
        return f"{key} must be text or a number, not {type(value).__name__}"
    if None in row or "" in row:
        return "a column has no name (a value beyond the header, or an empty header cell)"
    return None

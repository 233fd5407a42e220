"""The emulator's generated data: seeded, deterministic, computed on demand (a million
contacts cost nothing until a page is asked for)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "BOT_STATUSES",
    "DIALING_MODES",
    "DISPOSITIONS",
    "EPOCH",
    "OUTCOMES",
    "STATUSES",
    "campaign_id",
    "contact_list_id",
    "generated_campaign",
    "iso",
    "list_contact",
    "list_name",
    "status_row",
]

STATUSES = ("Active", "Completed", "Ready", "Paused", "Preparing", "Stopped", "Scheduled", "Rescheduled")
DIALING_MODES = ("Progressive", "Preview")
OUTCOMES = ("completed", "", "completed", "busy", "noAnswer")
BOT_STATUSES = ("userHangUp", "agentHangUp", "botHangUp", "transferred")
DISPOSITIONS = ((), ("System Generated",), ("Requires Supervisor Attention",), ("Callback", "VIP"))
EPOCH = datetime(2025, 12, 1, tzinfo=UTC)


def campaign_id(index: int) -> str:
    """The id of the emulator's campaign number ``index``."""
    return f"cd-emu-{index:06d}"


def contact_list_id(index: int) -> str:
    """The id of the emulator's contact list number ``index``."""
    return f"cl-emu-{index:06d}"


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def list_name(index: int) -> str:
    """The name of generated contact list ``index`` (campaigns name their lists)."""
    return f"List {index}"


def _status_of(index: int, generation: int) -> str:
    status = STATUSES[index % len(STATUSES)]
    if generation and status not in ("Completed", "Stopped") and (index // 2) % 4 < generation:
        return "Completed"
    return status


def generated_campaign(index: int, generation: int = 0) -> dict[str, Any]:
    """The JSON document of generated campaign ``index`` (voice when even, SMS when odd)."""
    created = EPOCH + timedelta(minutes=37 * index, milliseconds=index * 7)
    updated = created + timedelta(minutes=5 + generation, milliseconds=311)
    voice = index % 2 == 0
    doc: dict[str, Any] = {
        "name": f"{'Voice' if voice else 'SMS'} Campaign {index}",
        "description": f"Synthetic campaign number {index}",
        "status": _status_of(index, generation),
        "priority": str(index % 5 + 1),
        "dncLists": {"id": "cl-emu-dnc", "name": "DNC list"} if voice else {"name": "DNC list"},
        "isFiltersEnabled": False,
        "createdAt": iso(created),
        "updatedAt": iso(updated),
        "campaignInstanceUpdatedAt": iso(updated),
        "schedule": {"isSchedulingEnabled": False, "isRecurrenceEnabled": index % 3 == 0},
        "contactLists": [f"List {index % 7}"],
    }
    if voice:
        # voice campaigns carry "_id" as in the docs' voice sample; SMS ones "id"
        doc = {"_id": campaign_id(index), "lname": doc["name"].lower(), **doc}
        doc["dialingMode"] = DIALING_MODES[(index // 2) % 2]
        doc["connection"] = "Default Queue"
        doc["experienceFlow"] = f"cf-emu-{index:06d}"
        doc["dialingStrategy"] = {
            "callerId": {"phoneNumber": "+14846500000"},
            "callingHours": {
                "frequency": "WEEKLY",
                "days": [{"start": "9:00 AM", "end": "6:00 PM", "day": d} for d in ("MO", "TU", "WE", "TH", "FR")],
                "timezone": "Asia/Kolkata",
            },
            "dialingOrder": "FIFO",
            "maxAttemptsPerRecord": 3,
            "defaultRetryPeriod": 10,
            "maxRingTime": 30,
            "useSystemMappings": False,
        }
    else:
        doc["id"] = campaign_id(index)
        doc["message"] = {"message": "TWVzc2FnZSBmb3IgeW91"}
        doc["totalMessagesSent"] = index * 3
        doc["campaignExecutionType"] = "NORMAL"
        doc["format"] = "simple"
    return doc


def status_row(ci: int, r: int, generation: int = 0) -> dict[str, Any]:
    """Contact-status row ``r`` of campaign index ``ci`` at ``generation`` (deterministic).

    Each generation moves a fifth more of the rows forward (rows with ``r % 10 < 2 *
    generation``): one more attempt and a ``completed`` outcome."""
    n = (ci * 1_000_003 + r * 7919) % 10**10
    attempts = r % 3 + 1
    row: dict[str, Any] = {
        "phoneNumber": f"91{n:010d}",
        "uniqueId": f"u-{ci}-{r}",
        "dialerOutcome": OUTCOMES[r % len(OUTCOMES)],
        "numberOfAttemptsSoFar": attempts,
        "botSessionId": f"{(ci << 32) ^ r:024x}",
        "agentDispositionCodes": list(DISPOSITIONS[r % len(DISPOSITIONS)]),
        "botOutboundStatus": BOT_STATUSES[r % len(BOT_STATUSES)],
        "botOutboundStatusDetail": "user_hangup" if r % 2 else "Client side",
    }
    moved = min(generation, 5)
    if r % 10 < 2 * moved:
        row["numberOfAttemptsSoFar"] = attempts + generation
        row["dialerOutcome"] = "completed"
    return row


def list_contact(li: int, r: int) -> dict[str, Any]:
    """Contact ``r`` of contact list index ``li`` (deterministic)."""
    created = EPOCH + timedelta(seconds=r, milliseconds=li)
    return {
        "_id": f"c-{li:04d}-{r:08d}",
        "phoneNumber": f"+1{(li * 7_777_777 + r) % 10**10:010d}",
        "createdAt": iso(created),
        "updatedAt": iso(created + timedelta(minutes=1)),
    }

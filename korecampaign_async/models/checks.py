"""Argument checks done before any request is sent.

Each function either returns the value normalised to its wire form or raises
:class:`~korecampaign_async.errors.InvalidParameterError` naming the field and the
allowed values. Allowed sets come from the API reference (``list-campaigns``,
``campaign-contacts-status``); the limits the docs leave open are recorded in
``docs/api-notes.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Literal, TypeGuard, cast

from ..errors import InvalidParameterError
from .records import CampaignFilters, CampaignType, SortDirection

__all__ = [
    "CAMPAIGN_STATUSES",
    "CAMPAIGN_TYPES",
    "DIALING_MODES",
    "AUTO_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "MAX_UNDOCUMENTED_PAGE_SIZE",
    "PRIORITIES",
    "SORT_DIRECTIONS",
    "SORT_FIELDS",
    "check_campaign_type",
    "check_filters",
    "check_id",
    "check_iso_datetime",
    "check_limit",
    "check_page_size",
    "check_page",
    "check_sort",
]

CAMPAIGN_TYPES: tuple[CampaignType, ...] = ("voice", "sms")
CAMPAIGN_STATUSES = ("Active", "Completed", "Ready", "Paused", "Preparing", "Stopped", "Scheduled", "Rescheduled")
PRIORITIES = (1, 2, 3, 4, 5)
DIALING_MODES = ("Progressive", "Preview")
SORT_FIELDS = ("name", "createdAt", "updatedAt")
SORT_DIRECTIONS: tuple[SortDirection, ...] = ("asc", "desc")
#: Largest ``limit`` each endpoint accepts. 100 is documented for contact status; the other
#: two endpoints document no bound, and 100 is the conservative choice (docs/api-notes.md).
MAX_PAGE_SIZE = 100
#: The contact-status page documents ``limit`` 1..100; list campaigns and a list's contacts
#: document no maximum: a ``page_size`` up to this sanity bound is sent as given.
MAX_UNDOCUMENTED_PAGE_SIZE = 10_000
#: What ``page_size="auto"`` asks the first page of an endpoint without a documented maximum
#: for (the server's answer says what it honours: see ``docs/api-notes.md``).
AUTO_PAGE_SIZE = 1_000

_SNAKE_SORT = {"created_at": "createdAt", "updated_at": "updatedAt"}
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~:-]*$")


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def check_page(page: object, field: str = "page") -> int:
    """A page number: an integer >= 1."""
    if not _is_int(page) or page < 1:
        raise InvalidParameterError(field, page, "an integer >= 1")
    return page


def check_limit(limit: object, field: str = "limit", maximum: int = MAX_PAGE_SIZE) -> int:
    """A page size: an integer in 1..maximum."""
    if not _is_int(limit) or not 1 <= limit <= maximum:
        raise InvalidParameterError(field, limit, f"an integer from 1 to {maximum}")
    return limit


def check_page_size(value: object, field: str = "page_size") -> int | Literal["auto"]:
    """A client-wide page size: ``"auto"`` (learn what each endpoint honours) or an integer
    from 1 to :data:`MAX_UNDOCUMENTED_PAGE_SIZE` (the contact-status endpoint uses at most 100)."""
    if value == "auto":
        return "auto"
    if not _is_int(value) or not 1 <= value <= MAX_UNDOCUMENTED_PAGE_SIZE:
        raise InvalidParameterError(field, value, f"'auto' or an integer from 1 to {MAX_UNDOCUMENTED_PAGE_SIZE}")
    return value


def check_campaign_type(value: object) -> CampaignType:
    """``type`` of ``getAllCampaignDetails``: ``voice`` or ``sms``."""
    if value not in CAMPAIGN_TYPES:
        raise InvalidParameterError("type", value, " or ".join(repr(t) for t in CAMPAIGN_TYPES))
    return value


def check_id(value: object, field: str) -> str:
    """A path identifier (campaign or contact-list id): non-empty, no slash or space."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise InvalidParameterError(
            field, value, "a non-empty id such as 'cd-...' (letters, digits, '-', '_', '.', ':')"
        )
    return value


def check_iso_datetime(value: object, field: str) -> str | None:
    """A date filter: a ``datetime`` or an ISO-8601 string, sent as UTC
    ``YYYY-MM-DDTHH:MM:SS.sssZ``. Naive values are taken as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        except ValueError:
            raise InvalidParameterError(
                field, value, "an ISO-8601 timestamp such as '2025-12-01T00:00:00.000Z'"
            ) from None
    elif isinstance(value, datetime):
        parsed = value
    else:
        raise InvalidParameterError(field, value, "a datetime or an ISO-8601 string")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    utc = parsed.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def check_sort(sort_by: object) -> dict[str, SortDirection] | None:
    """``sortBy``: a mapping field -> direction, or a string ``"createdAt:desc"``
    (several separated by commas). Fields: name, createdAt, updatedAt; directions asc/desc."""
    if sort_by is None:
        return None
    items: Iterable[tuple[object, object]]
    if isinstance(sort_by, str):
        pairs = []
        for part in sort_by.split(","):
            name, _, direction = part.strip().partition(":")
            pairs.append((name, direction or "asc"))
        items = pairs
    elif isinstance(sort_by, Mapping):
        items = sort_by.items()
    else:
        raise InvalidParameterError("sortBy", sort_by, "a mapping like {'createdAt': 'desc'} or 'createdAt:desc'")
    result: dict[str, SortDirection] = {}
    for name, direction in items:
        wire = _SNAKE_SORT.get(name, name) if isinstance(name, str) else name
        if wire not in SORT_FIELDS:
            raise InvalidParameterError("sortBy", name, "one of " + ", ".join(SORT_FIELDS))
        if direction not in SORT_DIRECTIONS:
            raise InvalidParameterError(f"sortBy.{wire}", direction, "'asc' or 'desc'")
        result[cast(str, wire)] = cast(SortDirection, direction)
    return result or None


def _check_members(field: str, values: object, allowed: tuple[object, ...]) -> list[object]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        values = [values]
    out = list(values)
    for v in out:
        if v not in allowed or isinstance(v, bool):
            raise InvalidParameterError(field, v, "any of " + ", ".join(repr(a) for a in allowed))
    return out


def check_filters(
    filters: CampaignFilters | Mapping[str, object] | None, campaign_type: CampaignType, *, api: str = "v2"
) -> CampaignFilters | None:
    """``filters`` of ``getAllCampaignDetails``: ``status``, ``priority`` and (voice only)
    ``dialingMode``, each a list of documented values (v2: Progressive, Preview; the Contact
    Center page also Agentless). Priorities given as digit strings are converted to integers."""
    if filters is None:
        return None
    if isinstance(filters, CampaignFilters):
        raw: dict[str, object] = {
            "status": filters.status,
            "priority": filters.priority,
            "dialingMode": filters.dialing_mode,
        }
    elif isinstance(filters, Mapping):
        raw = dict(filters)
        if "dialing_mode" in raw:
            raw["dialingMode"] = raw.pop("dialing_mode")
    else:
        raise InvalidParameterError("filters", filters, "a mapping with keys status, priority, dialingMode")
    unknown = set(raw) - {"status", "priority", "dialingMode"}
    if unknown:
        raise InvalidParameterError("filters", sorted(unknown)[0], "keys status, priority, dialingMode")
    status = raw.get("status")
    priority = raw.get("priority")
    mode = raw.get("dialingMode")
    out = CampaignFilters()
    if status is not None:
        out.status = [str(s) for s in _check_members("filters.status", status, CAMPAIGN_STATUSES)]
    if priority is not None:
        pri = [priority] if isinstance(priority, (str, int)) or not isinstance(priority, Iterable) else list(priority)
        converted = [int(p) if isinstance(p, str) and p.isdigit() else p for p in pri]
        out.priority = [cast(int, p) for p in _check_members("filters.priority", converted, PRIORITIES)]
    if mode is not None:
        if campaign_type != "voice":
            raise InvalidParameterError("filters.dialingMode", mode, "only with type='voice'")
        allowed = (*DIALING_MODES, "Agentless") if api == "contact-center" else DIALING_MODES
        out.dialing_mode = [str(m) for m in _check_members("filters.dialingMode", mode, allowed)]
    if out.status is None and out.priority is None and out.dialing_mode is None:
        return None
    return out

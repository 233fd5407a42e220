"""The Contact Center flavour of the emulator (``--api contact-center``): how a request must
be addressed, and the shapes its answers take, page by page.

The routes build every answer in the v2 shape; for a Contact Center emulator :func:`shape`
turns it into what the agentassist pages show (``../shared/api-docs/contact-center/``,
INDEX.md), in the edition configured (``--api-edition iid|stream``):

=============== ===================================== =========================================
answer          ``iid`` (current pages)               ``stream`` (older pages)
=============== ===================================== =========================================
list campaigns  results carry ``id``                   results carry ``_id``
create voice    ``data.id`` (Agentless, Progressive);  ``{status, message, id, data.campId}``
                Preview: ``{id, data.campId}``
delete campaign the deleted campaign in ``data``       ``{status: "Deleted", message, deletedAt}``
list lists      ``data`` a bare array, never paged     the same
a list          ``orgId``, ``iId``, ``accountId``,     as in v2 (``source: passiveApi``)
                ``lname``, ``source:
                passiveApiIntegration``
update a list   ``{contactListId, body}``              the whole list
delete a list   the deleted list in ``data``           ``{status, message}``
=============== ===================================== =========================================

Pure functions of the configuration and the answer: the core applies them (:mod:`.core`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .config import EmulatorConfig

__all__ = ["Expectation", "expectation", "shape"]

#: Endpoints addressed as the v2 API is, whatever the flavour (the API 1.1 import; the
#: schedule, documented on the v2 path only, which the Contact Center API list links).
_V2_ADDRESSED = frozenset({"add-contacts", "schedule"})


class Expectation:
    """How one request must be addressed: the id in its path, whether the ``iid`` and
    ``accountId`` headers are required, whether ``?accountId=`` is."""

    __slots__ = ("account_query", "headers", "path_id")

    def __init__(self, path_id: str, headers: bool, account_query: bool) -> None:
        self.path_id = path_id
        self.headers = headers
        self.account_query = account_query


def expectation(config: EmulatorConfig, endpoint: str, v2_account_query: bool) -> Expectation:
    """What a request to ``endpoint`` must carry (``v2_account_query``: what the v2 page wants)."""
    if config.api == "v2" or endpoint in _V2_ADDRESSED:
        return Expectation(config.stream_id, True, v2_account_query)
    if config.edition == "stream":
        return Expectation(config.stream_id, False, True)
    if endpoint == "contacts":  # the current contacts-of-a-list page: stream id and ?accountId=
        return Expectation(config.stream_id, False, True)
    return Expectation(config.effective_iid, True, False)


def _id_as(doc: dict[str, Any], key: str) -> dict[str, Any]:
    """``doc`` with its id under ``key`` (``id`` or ``_id``) only."""
    value = doc.get("id") or doc.get("_id")
    out = {k: v for k, v in doc.items() if k not in ("id", "_id")}
    return {key: value, **out}


def shape(config: EmulatorConfig, endpoint: str, query: dict[str, str], doc: Any) -> Any:
    """The Contact Center form of a v2-shaped answer ``doc`` (see the module docstring)."""
    if config.api == "v2" or not isinstance(doc, dict):
        return doc
    stream = config.edition == "stream"
    data = doc.get("data")
    if endpoint == "campaigns" and isinstance(data, dict):
        key = "_id" if stream else "id"
        return {**doc, "data": {**data, "results": [_id_as(r, key) for r in data.get("results", [])]}}
    if endpoint == "create" and isinstance(data, dict) and query.get("campaignType") == "voice":
        cid = data.get("id") or data.get("_id")
        if stream or data.get("dialingMode") == "Preview":
            return {"status": doc.get("status"), "message": doc.get("message"), "id": cid, "data": {"campId": cid}}
        return {**doc, "data": _id_as(data, "id")}
    if endpoint == "create" and isinstance(data, dict):
        return {**doc, "data": _id_as(data, "_id")}
    if endpoint == "delete" and stream:
        name = data.get("name") if isinstance(data, dict) else ""
        deleted_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {"status": "Deleted", "message": f"Campaign {name} deleted successfully", "deletedAt": deleted_at}
    if endpoint in ("list-create", "list-get", "list-delete") and isinstance(data, dict):
        if stream:
            if endpoint == "list-delete":
                return {"status": doc.get("status"), "message": doc.get("message")}
            return doc
        return {**doc, "data": _v1_list(config, data)}
    if endpoint == "list-update" and stream:
        return doc  # the route answered the whole list (see ListRoutes)
    if endpoint == "lists":
        lists = data if isinstance(data, list) else []
        served = [d if stream else _v1_list(config, d) for d in lists]
        return {"status": doc.get("status", "success"), "message": "", "data": served}
    return doc


def _v1_list(config: EmulatorConfig, doc: dict[str, Any]) -> dict[str, Any]:
    """A contact list as the current Contact Center pages show it."""
    out = _id_as(doc, "_id")
    out.update(
        orgId="o-emulator-0001",
        iId=config.effective_iid,
        accountId=config.account_id,
        lname=str(doc.get("name", "")).lower(),
        source="passiveApiIntegration",
    )
    return out

"""Which of Kore's two documented APIs a client speaks, and where each of its calls goes.

Kore.ai documents the same campaign operations twice:

* the **Campaign Management API v2** (``api="v2"``, the default): every call under
  ``/campaign/api/v2/public/{streamId}``, the ``iid`` and ``accountId`` headers, and the
  ``?accountId=`` query where each page's sample has it;
* the **Contact Center** ("AI for Service", ``agentassist`` v1) pages (``api="contact-center"``):
  calls under ``/agentassist/api/v1/public/{app}``, start and stop under
  ``/campaign/api/v1/public/{app}/campaign/{campaignId}`` (no ``/trigger/`` segment). Those pages
  exist in two **editions**:

  ========== ============================================ ================================
  edition    ``{app}`` in the path                         ``accountId``
  ========== ============================================ ================================
  ``iid``    the application id (``IID``): current pages   ``iid``/``accountId`` headers
  ``stream`` the stream id: Koredotcom/docs' older pages   ``?accountId=`` query
  ========== ============================================ ================================

  The current edition's contacts-of-a-list page is the exception: ``{streamId}`` in the path
  and ``?accountId=``, in both editions.

This module is pure (no I/O): from the flavour, the edition and the ids it says the URL root
and the addressing query of each kind of call, and which answers show that a server speaks the
other edition. :class:`~korecampaign_async.client.KoreCampaignClient` executes it: with
``edition="auto"`` it sends the current edition first and, when the answer is one
:func:`wrong_edition` recognises, the same request once in the other edition (what answers is
remembered in the server profile). ``docs/api-notes.md`` ("Contact Center") gives the reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..errors import (
    AuthenticationError,
    InvalidParameterError,
    NotFoundError,
    UnsupportedOperationError,
    ValidationError,
)

__all__ = [
    "API_NAMES",
    "EDITIONS",
    "EDITION_KINDS",
    "EDITION_NAMES",
    "UNSUPPORTED",
    "Addressing",
    "ApiName",
    "CallKind",
    "Edition",
    "EditionSetting",
    "check_api",
    "check_edition",
    "other_edition",
    "wrong_edition",
]

ApiName = Literal["v2", "contact-center"]
#: How a Contact Center server is addressed (see the module docstring).
Edition = Literal["iid", "stream"]
#: ``"auto"``: learned from the server's answers (at most one extra request).
EditionSetting = Literal["auto", "iid", "stream"]
API_NAMES: tuple[ApiName, ...] = ("v2", "contact-center")
EDITION_NAMES: tuple[Edition, ...] = ("iid", "stream")
EDITIONS: tuple[EditionSetting, ...] = ("auto", *EDITION_NAMES)

#: ``api``: the resource calls; ``contacts``: a contact list's contacts (``getAllContacts``);
#: ``trigger``: start and stop; ``import``: ``addContacts`` (API 1.1, the same for both flavours);
#: ``v2``: a call documented only on the v2 path, which the Contact Center API list links
#: (the schedule pages): sent there, addressed as v2, whatever the flavour.
CallKind = Literal["api", "contacts", "trigger", "import", "v2"]
#: The kinds whose address depends on the edition: only their answers tell it (a list's
#: contacts, the import and the v2-only calls are addressed alike in both).
EDITION_KINDS: frozenset[CallKind] = frozenset({"api", "trigger"})

#: The SDK calls a flavour's pages do not document, with what to do instead. Raised as
#: :class:`~korecampaign_async.errors.UnsupportedOperationError` before any request.
UNSUPPORTED: Mapping[ApiName, Mapping[str, str]] = {
    "v2": {},
    "contact-center": {
        "client.campaigns.call_back": (
            "the Contact Center (agentassist v1) pages document no call-back (callContactAt): Kore's Contact Center "
            "API list links only the Campaign API v2 page for it (create-call-back-schedule-v2): use a client with "
            "api='v2' for it"
        ),
    },
}


def check_api(value: object, field: str = "api") -> ApiName:
    """``"v2"`` or ``"contact-center"`` (also ``KORE_API``, ``--api``)."""
    if value not in API_NAMES:
        raise InvalidParameterError(
            field, value, "'v2' (Campaign Management API v2) or 'contact-center' (agentassist v1)"
        )
    return value


def check_edition(value: object, field: str = "edition") -> EditionSetting:
    """``"auto"``, ``"iid"`` or ``"stream"`` (also ``KORE_API_EDITION``, ``--api-edition``)."""
    if value not in EDITIONS:
        raise InvalidParameterError(
            field,
            value,
            "'auto' (learned), 'iid' (application id in the path, iid/accountId headers: the current Contact Center "
            "pages) or 'stream' (stream id in the path, ?accountId=: the older edition)",
        )
    return value


def other_edition(edition: Edition) -> Edition:
    return "stream" if edition == "iid" else "iid"


def wrong_edition(exc: BaseException) -> bool:
    """An answer that says the request was addressed in the wrong edition (and so did
    nothing): a 404 (no such path: the id in the path is not the server's), a 401/403 (the
    app or account was not recognised), or a 400 naming ``accountId`` or ``iid`` (the query
    or header the server's edition wants was missing). Any other answer is the server's
    answer to the request itself."""
    if isinstance(exc, NotFoundError | AuthenticationError):
        return True
    if isinstance(exc, ValidationError):
        text = f"{exc.message} {exc.body}".lower()
        return "accountid" in text or "iid" in text
    return False


_NO_PARAMS: Mapping[str, str] = {}


@dataclass(frozen=True)
class Addressing:
    """Where each kind of call of one client goes (see the module docstring).

    ``root`` is the absolute URL prefix of a call; ``query`` the addressing part of its
    query string (``accountId`` where the flavour and edition want it), to which the call
    adds its own parameters."""

    api: ApiName
    host: str
    stream_id: str
    iid: str
    account_id: str
    _roots: dict[tuple[CallKind, Edition], str] = field(default_factory=dict, compare=False, repr=False)

    def root(self, kind: CallKind, edition: Edition) -> str:
        key = (kind, edition)
        cached = self._roots.get(key)
        if cached is None:
            cached = self._roots[key] = self._root(kind, edition)
        return cached

    def _root(self, kind: CallKind, edition: Edition) -> str:
        if kind == "import":
            return f"{self.host}/api/1.1/public/{self.stream_id}"
        if self.api == "v2" or kind == "v2":
            return f"{self.host}/campaign/api/v2/public/{self.stream_id}"
        app = self.iid if edition == "iid" and kind != "contacts" else self.stream_id
        if kind == "trigger":
            return f"{self.host}/campaign/api/v1/public/{app}"
        return f"{self.host}/agentassist/api/v1/public/{app}"

    def account_query(self, kind: CallKind, edition: Edition, *, v2: bool = True) -> bool:
        """Whether the call carries ``?accountId=``: in v2 as each page's sample (``v2``); in
        the Contact Center's ``stream`` edition always; in its ``iid`` edition only for a
        list's contacts (that page's exception) and the API 1.1 import."""
        if self.api == "v2" or kind == "v2":
            return v2
        return edition == "stream" or kind in ("contacts", "import")

    def params(
        self, kind: CallKind, edition: Edition, extra: Mapping[str, str] | None = None, *, v2: bool = True
    ) -> Mapping[str, str]:
        """The query of a call: ``accountId`` first where it belongs, then ``extra`` (passed
        through as it is when no ``accountId`` belongs: no copy per page)."""
        if self.account_query(kind, edition, v2=v2):
            return {"accountId": self.account_id, **(extra or {})}
        return extra or _NO_PARAMS

    def trigger_path(self, campaign_id: str) -> str:
        """The path of a start or stop under the trigger root."""
        if self.api == "v2":
            return f"/campaign/trigger/{campaign_id}"
        return f"/campaign/{campaign_id}"

    def check_supported(self, operation: str) -> None:
        """Raise :class:`UnsupportedOperationError` for a call the flavour does not document."""
        advice = UNSUPPORTED[self.api].get(operation)
        if advice is not None:
            raise UnsupportedOperationError(operation, api=self.api, advice=advice)

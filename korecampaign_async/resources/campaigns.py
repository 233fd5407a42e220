"""``client.campaigns``: create, update, delete, start, stop, schedule, call back, wait.

What each write does when its outcome is unknown (a timeout or a dropped connection after
the request may have reached the server, a 5xx other than 503):

============== ======================================================================
create         looks the campaign up by name (names identify campaigns: the schedule
               calls address them by name); found: returned; not found: raises
               ``OutcomeUnknownError`` (Kore creates campaigns asynchronously, "creation
               in progress", so it may still appear)
update, PUT    sent again (applying the same fields twice is harmless)
start          reads the status (again for ``settle_seconds`` while it is still one a
               start leaves behind: Kore may apply it a moment later). A status only a
               started campaign reaches (``Active``, ``Paused``, ``Completed``) proves the
               start applied: success, never sent again (a second ``play`` on a finished
               campaign would dial it again). Still ``Ready``/``Scheduled``/...: it had no
               effect, sent once more. ``Stopped``: cannot tell (started and stopped since,
               or never started): ``OutcomeUnknownError``
stop           ``Stopped`` or ``Completed`` (nothing left to stop) is success; otherwise,
               after the same settle time, sent once more (a second stop is harmless)
delete         reads the campaign: gone (404) is success; still there: sent once more
schedule       sent again (the same schedule twice is the same schedule)
call back      raises ``OutcomeUnknownError`` (no documented way to read call-backs)
============== ======================================================================

429, 503 and connection refused are retried for every call: they prove nothing was done.
With ``api="contact-center"`` the calls go where the Contact Center pages say
(:mod:`korecampaign_async.transport.flavour`): start and stop to
``/campaign/api/v1/public/{app}/campaign/{id}``; schedule and unschedule, which Kore documents
only on the v2 path (the Contact Center API list links those pages), go there; call-back,
which no Contact Center page names, raises ``UnsupportedOperationError`` before any request.
Paths follow the samples where the pages disagree (``docs/api-notes.md``): the v2 trigger
calls use ``/campaign/api/v2/public/{stream}/campaign/trigger/{id}`` (the voice pages
leave out the ``/campaign`` prefix, the SMS-stop page doubles a slash); the SMS-start
page's form without ``/trigger/`` is tried when that answers 404, and remembered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import msgspec

from ..errors import DecodeError, InvalidParameterError, NotFoundError, OutcomeUnknownError
from ..models.checks import check_campaign_type, check_id
from ..models.records import Campaign, CampaignType, Envelope
from ..models.write_checks import check_call_backs, check_name, check_schedule, check_sms_campaign, check_voice_campaign
from ..models.writes import (
    CallBack,
    CallBackResult,
    CallBackResults,
    CampaignState,
    ScheduleResult,
    ScheduleSpec,
    SmsCampaignSpec,
    TriggerResult,
    VoiceCampaignSpec,
    WriteResult,
)
from ..transport.flavour import ApiName
from ._outcome import found_or_unknown

if TYPE_CHECKING:
    from ..client import KoreCampaignClient

__all__ = ["FINAL_WAIT_STATUSES", "STARTED_STATUSES", "STOPPED_STATUSES", "Campaigns"]

logger = logging.getLogger("korecampaign_async")

#: What :meth:`Campaigns.wait` waits for by default.
FINAL_WAIT_STATUSES = frozenset({"Completed", "Stopped"})
#: Statuses only a started campaign reaches (the lifecycle pages: ``play`` makes a campaign
#: ``Active``; it pauses and completes from there): after a start whose answer was lost,
#: any of them proves the start applied.
STARTED_STATUSES = frozenset({"Active", "Paused", "Completed"})
#: Statuses after which a stop has nothing left to do.
STOPPED_STATUSES = frozenset({"Stopped", "Completed"})

_WRITE = msgspec.json.Decoder(WriteResult)
_TRIGGER = msgspec.json.Decoder(TriggerResult)
_STATE = msgspec.json.Decoder(Envelope[CampaignState])
_SCHEDULE = msgspec.json.Decoder(ScheduleResult)
_CALL_BACKS = msgspec.json.Decoder(CallBackResults)
_encode = msgspec.json.Encoder().encode
_EMPTY = b"{}"
_VIEW_STATUS = {"view": "status"}


def _checked(
    spec: VoiceCampaignSpec | SmsCampaignSpec, api: ApiName
) -> tuple[CampaignType, VoiceCampaignSpec | SmsCampaignSpec]:
    """The spec's campaign type and its body, checked by the rules of the API flavour's
    pages (what create and update send)."""
    if isinstance(spec, VoiceCampaignSpec):
        return "voice", check_voice_campaign(spec, api=api)
    if isinstance(spec, SmsCampaignSpec):
        return "sms", check_sms_campaign(spec, api=api)
    raise InvalidParameterError("spec", type(spec).__name__, "a VoiceCampaignSpec or an SmsCampaignSpec")


class Campaigns:
    """Campaign endpoints beyond the reads (``client.campaigns``)."""

    def __init__(self, client: KoreCampaignClient) -> None:
        self._client = client
        self._transport = client.transport
        self._call = client._call
        self._sms_start: str | None = None  # the SMS start path that answered (learned)
        #: After a start or stop whose answer was lost: how long to keep reading the status
        #: while it still shows no effect, before deciding that the trigger did not apply
        #: (Kore applies writes asynchronously; "not visible yet" is not "not applied").
        self.settle_seconds = 2.0

    # -- reads -----------------------------------------------------------------------------
    async def get(self, campaign_id: str) -> Campaign:
        """One campaign (``GET campaign/{id}``); same as ``client.get_campaign``."""
        return await self._client.get_campaign(campaign_id)

    async def status(self, campaign_id: str) -> CampaignState:
        """The campaign's id, name and status (``POST campaign/{id}/status?view=status``):
        the cheapest way to watch a campaign."""
        cid = check_id(campaign_id, "campaign_id")
        envelope = await self._call("api", "POST", f"/campaign/{cid}/status", _STATE, params=_VIEW_STATUS, body=_EMPTY)
        return envelope.data

    async def find(self, name: str, type: CampaignType) -> Campaign | None:
        """The campaign of ``type`` named ``name`` (exactly, else ignoring case), or
        ``None``: pages through ``getAllCampaignDetails`` (the API has no name filter)."""
        check_name(name)
        ctype = check_campaign_type(type)
        folded = None
        async with self._client.iter_campaigns(ctype) as stream:
            async for campaign in stream:
                if campaign.name == name:
                    return campaign
                if folded is None and (campaign.name or "").casefold() == name.casefold():
                    folded = campaign
        return folded

    # -- writes ----------------------------------------------------------------------------
    async def create(self, spec: VoiceCampaignSpec | SmsCampaignSpec) -> Campaign:
        """Create a voice or SMS campaign (``POST campaign?campaignType=``).

        The spec is checked first (:mod:`korecampaign_async.models.write_checks`). The answer's
        campaign is returned (status ``Preparing`` at first: Kore prepares it
        asynchronously). Never sent twice: see the module's table."""
        ctype, body = _checked(spec, self._client.api)
        try:
            result = await self._call(
                "api", "POST", "/campaign", _WRITE, params={"campaignType": ctype}, body=_encode(body), idempotent=False
            )
        except OutcomeUnknownError as exc:
            return await found_or_unknown(
                exc,
                f"create {ctype} campaign {spec.name!r}",
                lambda: self.find(spec.name, ctype),
                "no campaign of that name is listed yet, but Kore creates campaigns asynchronously, so it may "
                f"still appear: call client.campaigns.find({spec.name!r}, {ctype!r}) before creating it again",
            )
        return self._campaign_of(result, "create")

    async def update(self, campaign_id: str, spec: VoiceCampaignSpec | SmsCampaignSpec) -> Campaign:
        """Replace a campaign's settings (``PUT campaign/{id}?campaignType=``; the voice page
        says ``campaignType=sms``, the type of the spec is sent)."""
        cid = check_id(campaign_id, "campaign_id")
        ctype, body = _checked(spec, self._client.api)
        result = await self._call(
            "api", "PUT", f"/campaign/{cid}", _WRITE, params={"campaignType": ctype}, body=_encode(body)
        )
        return self._campaign_of(result, "update")

    @staticmethod
    def _campaign_of(result: WriteResult, action: str) -> Campaign:
        if result.data is None:
            raise DecodeError(f"the {action} answer has no campaign ('data')", status=200)
        if result.data.id is None and result.id is not None:
            result.data.id = result.id  # the update page (and the preview create: data.campId)
        return result.data

    async def delete(self, campaign_id: str, *, type: CampaignType, confirm: bool = False) -> WriteResult:
        """Delete a campaign (``DELETE campaign/{id}?campaignType=``). Asks for
        ``confirm=True``: nothing is sent without it."""
        cid = check_id(campaign_id, "campaign_id")
        ctype = check_campaign_type(type)
        if confirm is not True:
            raise InvalidParameterError("confirm", confirm, "True (deleting a campaign cannot be undone)")
        try:
            result = await self._send_delete(cid, ctype)
        except OutcomeUnknownError as exc:
            try:
                await self._client.get_campaign(cid)
            except NotFoundError:
                logger.warning("delete campaign %s: %s; it is gone, so the delete took effect", cid, exc.cause)
                return WriteResult(status="success", message=f"Campaign {cid} deleted (confirmed: it is gone)", id=cid)
            result = await self._send_delete(cid, ctype)  # still there: the delete had no effect
        return result

    async def _send_delete(self, cid: str, ctype: CampaignType) -> WriteResult:
        result = await self._call(
            "api", "DELETE", f"/campaign/{cid}", _WRITE, params={"campaignType": ctype}, idempotent=False
        )
        if result.id is None:
            # the current pages return the deleted campaign, the older ones only a status
            result.id = result.data.id if result.data is not None and result.data.id else cid
        return result

    async def start(self, campaign_id: str, *, type: CampaignType) -> TriggerResult:
        """Start a campaign (``trigger=play``); its status becomes ``Active``. Never sent
        twice when its answer is lost: see the module's table."""
        return await self._trigger(campaign_id, type, "play")

    async def stop(self, campaign_id: str, *, type: CampaignType) -> TriggerResult:
        """Stop an active campaign (``trigger=stop``); its status becomes ``Stopped``."""
        return await self._trigger(campaign_id, type, "stop")

    async def _trigger(self, campaign_id: str, type: CampaignType, trigger: str) -> TriggerResult:
        cid = check_id(campaign_id, "campaign_id")
        ctype = check_campaign_type(type)
        try:
            return await self._send_trigger(cid, ctype, trigger)
        except OutcomeUnknownError as exc:
            applied = STARTED_STATUSES if trigger == "play" else STOPPED_STATUSES
            deadline = time.monotonic() + self.settle_seconds
            while True:
                state = await self.status(cid)
                if state.status in applied:
                    logger.warning(
                        "%s campaign %s: %s; its status is %s, so it took effect", trigger, cid, exc.cause, state.status
                    )
                    return TriggerResult(
                        status=state.status, message=f"confirmed by the campaign's status after {exc.cause}"
                    )
                if trigger == "play" and state.status == "Stopped":
                    raise OutcomeUnknownError(
                        f"start {ctype} campaign {cid}",
                        method=exc.method,
                        path=exc.path,
                        cause=exc.cause,
                        unknown="its status is Stopped: the start may have applied and the campaign been stopped "
                        "since, or it never applied; it was not sent again (a second start could dial the campaign "
                        f"twice): look at client.get_campaign({cid!r}) (campaignInstanceUpdatedAt) before starting "
                        "it again",
                    ) from None
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
            logger.warning(
                "%s campaign %s: %s; its status is still %s after %.1fs, so it had no effect: sending it once more",
                trigger,
                cid,
                exc.cause,
                state.status,
                self.settle_seconds,
            )
            return await self._send_trigger(cid, ctype, trigger)  # no effect: once more

    async def _send_trigger(self, cid: str, ctype: CampaignType, trigger: str) -> TriggerResult:
        params = {"campaignType": ctype, "trigger": trigger}
        if self._client.api == "contact-center":
            # the four Contact Center trigger pages agree: /campaign/api/v1/public/{app}/campaign/{id}
            return await self._call(
                "trigger", "POST", f"/campaign/{cid}", _TRIGGER, params=params, body=_EMPTY, idempotent=False
            )
        documented = f"/campaign/trigger/{cid}"
        if ctype == "sms" and trigger == "play":
            # The SMS-start page posts to campaign/{id} (no /trigger/ segment); the other three
            # trigger pages use campaign/trigger/{id}. Try the common form, then the page's.
            candidates = [documented, f"/campaign/{cid}"]
            if self._sms_start == "page":
                candidates.reverse()
            for n, path in enumerate(candidates):
                try:
                    result = await self._call(
                        "api", "POST", path, _TRIGGER, params=params, body=_EMPTY, idempotent=False
                    )
                except NotFoundError:
                    if n == len(candidates) - 1:
                        raise
                    continue
                learned = "common" if path == documented else "page"
                if learned != self._sms_start:
                    if self._sms_start is not None or learned == "page":
                        self._transport.stats.discrepancies += 1
                        logger.info("SMS start answered at %s (the %s form)", path, learned)
                    self._sms_start = learned
                return result
        return await self._call("api", "POST", documented, _TRIGGER, params=params, body=_EMPTY, idempotent=False)

    async def schedule(self, campaign_name: str, spec: ScheduleSpec) -> ScheduleResult:
        """Turn on a daily or weekly schedule of the campaign named ``campaign_name``
        (``POST campaign/schedule?enableSchedule=true&campaignName=``)."""
        name = check_name(campaign_name, "campaignName")
        body = check_schedule(spec)
        return await self._call(
            "v2",  # documented on the v2 path only, which the Contact Center API list links too
            "POST",
            "/campaign/schedule",
            _SCHEDULE,
            params={"enableSchedule": "true", "campaignName": name},
            body=_encode(body),
        )

    async def unschedule(self, campaign_name: str) -> ScheduleResult:
        """Turn off the schedule of the campaign named ``campaign_name``."""
        name = check_name(campaign_name, "campaignName")
        return await self._call(
            "v2",
            "POST",
            "/campaign/schedule",
            _SCHEDULE,
            params={"enableSchedule": "false", "campaignName": name},
            body=_EMPTY,
        )

    async def call_back(self, campaign_instance_id: str, call_backs: list[CallBack]) -> list[CallBackResult]:
        """Ask for later calls to contacts of a running campaign instance
        (``POST campaign/{campaignInstanceId}/callContactAt``); one result per call-back
        (``status`` ``failed`` with a ``reason`` such as ``time_in_past``)."""
        self._client.check_supported("client.campaigns.call_back")
        iid = check_id(campaign_instance_id, "campaign_instance_id")
        items = check_call_backs(list(call_backs))
        result = await self._call(
            "api",
            "POST",
            f"/campaign/{iid}/callContactAt",
            _CALL_BACKS,
            body=_encode(items),
            idempotent=False,
            v2_account=False,  # the page's URL has no accountId
        )
        return result.data

    async def wait(
        self,
        campaign_id: str,
        *,
        until: Collection[str] = FINAL_WAIT_STATUSES,
        poll: float = 5.0,
        max_poll: float = 60.0,
        on_status: Callable[[CampaignState], Any] | None = None,
    ) -> CampaignState:
        """Wait until the campaign's status is one of ``until``; return its last state.

        Polls ``status?view=status`` (one request each, through the rate budget) every
        ``poll`` seconds, stretching the interval by half each time the status did not
        change, up to ``max_poll``, and back to ``poll`` when it changes. Cancelling stops
        it between polls; bound it with ``async with asyncio.timeout(seconds):``.
        ``on_status`` is called with every state read."""
        cid = check_id(campaign_id, "campaign_id")
        targets = {until} if isinstance(until, str) else set(until)
        if not targets or not all(isinstance(s, str) for s in targets):
            raise InvalidParameterError("until", until, "one or more campaign statuses such as 'Completed'")
        if not poll > 0 or max_poll < poll:
            raise InvalidParameterError("poll", poll, "seconds > 0, at most max_poll")
        interval = poll
        last: str | None = None
        while True:
            state = await self.status(cid)
            if on_status is not None:
                on_status(state)
            if state.status in targets:
                return state
            interval = poll if state.status != last else min(max_poll, interval * 1.5)
            last = state.status
            await asyncio.sleep(interval)

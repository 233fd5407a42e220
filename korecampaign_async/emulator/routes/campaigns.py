"""Campaign writes: create, update, delete, start and stop (``trigger``), schedules and
call-backs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ..core import EmulatorCore
from ..data import (
    iso,
)
from ..state import STARTABLE

__all__ = ["CampaignRoutes"]


class CampaignRoutes(EmulatorCore):
    """Campaign writes."""

    def _check_campaign_body(self, payload: Any, ctype: str, *, partial: bool = False) -> str | None:
        """The server's own checks of a campaign body (not the SDK's): required fields,
        the documented enums and limits, contact lists that exist."""
        if not isinstance(payload, dict):
            return "request body must be a JSON object"
        required = ["name", "description", "contactLists"] if not partial else []
        missing = [k for k in required if not payload.get(k)]
        if missing:
            return f'"{missing[0]}" is required'
        if "name" in payload and (not isinstance(payload["name"], str) or len(payload["name"]) > 48):
            return '"name" must be a string of at most 48 characters'
        if "description" in payload and len(str(payload["description"])) > 256:
            return '"description" must be at most 256 characters'
        for name in payload.get("contactLists") or []:
            if self._list_by_name(str(name)) is None:
                return f"Contact list {name} does not exist"
        if "priority" in payload and str(payload["priority"]) not in ("1", "2", "3", "4", "5"):
            return '"priority" must be one of 1, 2, 3, 4, 5'
        if (
            ctype == "voice"
            and "dialingMode" in payload
            and payload["dialingMode"]
            not in (
                "Agentless",
                "Progressive",
                "Preview",
            )
        ):
            return '"dialingMode" must be one of Agentless, Progressive, Preview'
        if ctype == "sms" and "format" in payload and payload["format"] not in ("simple", "advanced"):
            return '"format" must be one of simple, advanced'
        if self.config.api == "contact-center":  # the v1 bodies: no DNC list, a boolean machine detection
            if "dncLists" in payload:
                return '"dncLists" is not allowed'
            if ctype == "voice" and not isinstance(payload.get("enableMachineDetect", False), bool):
                return '"enableMachineDetect" must be a boolean'
        return None

    async def _create_campaign(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            ctype = req.query.get("campaignType")
            if ctype not in ("voice", "sms"):
                return self._error(400, '"campaignType" must be one of [voice, sms]')
            problem = self._check_campaign_body(payload, ctype)
            if problem:
                return self._error(400, problem)
            if self._name_taken(payload["name"]):
                return self._error(400, f"Campaign with name {payload['name']} already exists")
            doc = self.state.create_campaign(ctype, payload)
            message = f"Campaign {doc['name']} creation in progress"
            return {"status": "success", "message": message, "data": doc}, None

        return await self._serve(request, "create", account_query=True, build=build)

    async def _update_campaign(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            found = self._campaign_or_404(req)
            if isinstance(found, web.Response):
                return found
            cid, doc, ctype = found
            problem = self._check_campaign_body(payload, ctype, partial=True)
            if problem:
                return self._error(400, problem)
            name = payload.get("name")
            if name and str(name).casefold() != doc["name"].casefold() and self._name_taken(name):
                return self._error(400, f"Campaign with name {name} already exists")
            self.state.update_campaign(cid, doc, payload)
            self._campaign_cache.clear()
            updated = self._campaign_doc(cid)
            assert updated is not None
            message = f"Campaign {updated[0]['name']} details updated successfully"
            return {"status": "success", "message": message, "id": cid, "data": updated[0]}, None

        return await self._serve(request, "update", account_query=True, build=build)

    async def _delete_campaign(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            found = self._campaign_or_404(req)
            if isinstance(found, web.Response):
                return found
            cid, doc, _ = found
            if doc["status"] == "Active":
                return self._error(400, f"Campaign {doc['name']} is active: stop it before deleting it")
            self.state.delete_campaign(cid)
            return {"status": "success", "message": f"Campaign {doc['name']} deleted successfully", "data": doc}, None

        return await self._serve(request, "delete", account_query=True, build=build)

    async def _trigger(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            trigger = req.query.get("trigger")
            if trigger not in ("play", "stop"):
                return self._error(400, '"trigger" must be one of [play, stop]')
            found = self._campaign_or_404(req)
            if isinstance(found, web.Response):
                return found
            cid, doc, ctype = found
            if req.query.get("campaignType") != ctype:
                return self._error(400, f"Campaign {cid} is a {ctype} campaign")
            now = iso(datetime.now(UTC))
            if trigger == "play":
                if doc["status"] == "Active":
                    return self._error(400, f"Campaign {doc['name']} is already active")
                if doc["status"] not in STARTABLE:
                    return self._error(400, f"Campaign {doc['name']} cannot start while {doc['status']}")
                instance = self.state.start(cid)
                self._campaign_cache.clear()
                answer: dict[str, Any] = {"status": "Active", "message": "Campaign Started"}
                if ctype == "voice":
                    answer.update(totalCallsCompleted=0, updatedAt=now, campaignInstanceId=instance)
                else:
                    answer["updatedAt"] = now
                return answer, None
            if doc["status"] != "Active":
                return self._error(400, f"Campaign {doc['name']} is not active")
            stopped = self.state.stop(cid)
            self._campaign_cache.clear()
            answer = {"status": "Stopped", "message": "Campaign Stopped", "updatedAt": now}
            if ctype == "voice":
                answer["campaignInstanceId"] = stopped
            else:
                answer["campaignExecutionType"] = "NORMAL"
            return answer, None

        return await self._serve(request, "trigger", account_query=True, build=build)

    async def _schedule(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            name = req.query.get("campaignName", "")
            enable = req.query.get("enableSchedule")
            if enable not in ("true", "false"):
                return self._error(400, '"enableSchedule" must be true or false')
            cid = self._campaign_id_by_name(name)
            if cid is None:
                return self._error(404, f"Campaign {name} not found")
            if enable == "true":
                if not isinstance(payload, dict) or not {"startDateTime", "endDateTime", "recurrenceObject"} <= set(
                    payload
                ):
                    return self._error(400, '"startDateTime", "endDateTime" and "recurrenceObject" are required')
                schedule = {"isSchedulingEnabled": True, "isRecurrenceEnabled": True, **payload}
                message = f"Campaign {name} scheduled successfully"
            else:
                schedule = {"isSchedulingEnabled": False}
                message = f"Campaign {name} schedule disabled successfully"
            self.state.set_schedule(cid, schedule)
            self._campaign_cache.clear()
            return {"status": "success", "message": message, "id": cid}, None

        return await self._serve(request, "schedule", account_query=False, build=build)

    async def _call_back(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            instance = req.match_info["instance_id"]
            if self.state.instance_campaign(instance) is None:
                return self._error(404, f"Campaign instance {instance} not found")
            if not isinstance(payload, list):
                return self._error(400, "request body must be an array of call-backs")
            now = datetime.now(UTC)
            results = []
            for item in payload:
                item_id = item.get("campaignDialingListId") if isinstance(item, dict) else None
                try:
                    when = datetime.fromisoformat(str(item.get("timeToContact", "")).replace("Z", "+00:00"))
                except (ValueError, AttributeError):
                    results.append({"campaignDialingListId": item_id, "status": "failed", "reason": "invalid_time"})
                    continue
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                ok = when > now
                entry: dict[str, Any] = {"campaignDialingListId": item_id, "status": "success" if ok else "failed"}
                if not ok:
                    entry["reason"] = "time_in_past"
                results.append(entry)
            return {"status": "success", "data": results}, None

        return await self._serve(request, "callback", account_query=False, build=build)

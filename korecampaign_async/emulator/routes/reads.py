"""The read endpoints: list campaigns, get a campaign, a campaign's status and its
contacts (``view=contacts``), a contact list's contacts; and the emulator's own
``/_emulator/advance``."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from ..core import EmulatorCore, _PageArgs
from ..data import (
    DIALING_MODES,
    STATUSES,
    campaign_id,
)

__all__ = ["ReadRoutes"]

_encode = msgspec.json.Encoder().encode


class ReadRoutes(EmulatorCore):
    """The read endpoints."""

    async def _advance(self, request: web.Request) -> web.StreamResponse:
        """Admin call (emulator only, no auth): ``POST /_emulator/advance?steps=N``."""
        try:
            steps = int(request.query.get("steps", "1"))
        except ValueError:
            return self._error(400, '"steps" must be an integer')
        return web.json_response({"generation": self.advance(steps)})

    async def _campaign_status(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            found = self._campaign_or_404(req)
            if isinstance(found, web.Response):
                return found
            cid, doc, ctype = found
            if req.query.get("view") != "contacts":  # view=status: the documented summary
                return {"status": "success", "data": {"id": cid, "status": doc["status"], "name": doc["name"]}}, None
            if ctype != "voice":
                return self._error(400, f"Campaign {cid} is not a voice campaign")
            args = self._page_args(payload, 10, takes_skip=False)
            if isinstance(args, str):
                return self._error(400, args)
            offset, limit = args.offset, args.limit
            index = self._campaign_index(cid)
            if index is None:  # a created campaign: its lists' contacts, dialled as its run goes
                rows_all = self.state.status_rows(cid, self._campaign_contacts(doc))
                total = len(rows_all)
                rows = rows_all[offset : offset + limit]
                body = _encode({"status": "success", "data": self._status_data(rows, args, total)})
                return body, ("status", cid, offset // limit + 1, limit)
            total = self.contact_count(cid)
            key = (cid, offset, limit, total)
            cached = self._page_cache.get(key)
            if cached is None:
                generation = self.generation
                rows = [self.status_row(index, r, generation) for r in range(offset, min(offset + limit, total))]
                cached = _encode({"status": "success", "data": self._status_data(rows, args, total)})
                self._cache(key, cached)
            return cached, ("status", cid, offset // limit + 1, limit)

        return await self._serve(request, "status", account_query=False, build=build)

    def _status_data(self, rows: list[dict[str, Any]], args: _PageArgs, total: int) -> dict[str, Any]:
        data: dict[str, Any] = {"results": rows}
        if args.echo_page is not None:
            data["page"] = args.echo_page
        if args.echo_limit is not None:
            data["limit"] = args.echo_limit
        data.update(self._totals(total, args.limit))
        return data

    async def _list_contacts(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            lid = req.match_info["list_id"]
            index = self._list_index(lid)
            if index is None and lid not in self.state.lists:
                return self._error(404, f"Contact list {lid} not found")
            query: dict[str, Any] = {}
            for key in ("page", "limit", "skip"):
                if key in req.query:
                    try:
                        query[key] = int(req.query[key])
                    except ValueError:
                        return self._error(400, f'"{key}" must be an integer')
            args = self._page_args(query, 50)
            if isinstance(args, str):
                return self._error(400, args)
            offset, limit = args.offset, args.limit
            total, contact = self.state.list_contacts(lid, index)
            rows = [contact(r) for r in range(offset, min(offset + limit, total))]
            # pagination fields beside "data", as the contact-list page documents them
            doc: dict[str, Any] = {
                "status": "success",
                "message": "Contacts retrieved successfully",
                "data": {"results": rows},
            }
            if args.echo_skip is not None:
                doc["skip"] = args.echo_skip
            if args.echo_limit is not None:
                doc["limit"] = limit
            doc.update(hasMore=offset + limit < total, **self._totals(total, limit))
            return doc, ("contacts", lid, offset // limit + 1, limit)

        return await self._serve(request, "contacts", account_query=True, build=build)

    async def _get_campaign(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            found = self._campaign_or_404(req)
            if isinstance(found, web.Response):
                return found
            doc = found[1]
            return {"status": "success", "message": f"Campaign {doc['name']} retrieved successfully", "data": doc}, None

        return await self._serve(request, "campaign", account_query=True, build=build)

    async def _list_campaigns(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            if not isinstance(payload, dict):
                return self._error(400, "request body must be a JSON object")
            ctype = payload.get("type")
            if ctype not in ("voice", "sms"):
                return self._error(400, '"type" must be one of [voice, sms]')
            args = self._page_args(payload, 10)
            if isinstance(args, str):
                return self._error(400, args)
            offset, limit = args.offset, args.limit
            try:
                matches = self._matching_campaigns(ctype, payload)
            except ValueError as exc:
                return self._error(400, str(exc))
            total = len(matches)
            rows = matches[offset : offset + limit]
            data: dict[str, Any] = {"results": rows}
            if args.echo_skip is not None:
                data["skip"] = args.echo_skip
            if args.echo_limit is not None:
                data["limit"] = limit
            data.update(hasMore=offset + limit < total, **self._totals(total, limit))
            key = (
                "campaigns",
                ctype + msgspec.json.encode(payload.get("filters")).decode(),
                offset // limit + 1,
                limit,
            )
            return {"status": "success", "message": "Campaign retrieved successfully", "data": data}, key

        return await self._serve(request, "campaigns", account_query=True, build=build)

    def _matching_campaigns(self, ctype: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
        filters = payload.get("filters") or {}
        if not isinstance(filters, dict):
            raise ValueError('"filters" must be an object')
        status = filters.get("status")
        priority = filters.get("priority")
        mode = filters.get("dialingMode")
        for name, values, allowed in (
            ("status", status, STATUSES),
            ("priority", priority, (1, 2, 3, 4, 5)),
            (
                "dialingMode",
                mode,
                (*DIALING_MODES, "Agentless") if self.config.api == "contact-center" else DIALING_MODES,
            ),
        ):
            if values is not None and (not isinstance(values, list) or any(v not in allowed for v in values)):
                raise ValueError(f'"filters.{name}" must be an array of {list(allowed)}')
        start = payload.get("startDate")
        end = payload.get("endDate")
        out = []
        for index in range(0 if ctype == "voice" else 1, self.config.campaigns, 2):
            if campaign_id(index) in self.state.deleted:
                continue
            doc = self.campaign(index)
            if status and doc["status"] not in status:
                continue
            if priority and int(doc["priority"]) not in priority:
                continue
            if mode and doc.get("dialingMode") not in mode:
                continue
            if start and doc["createdAt"] < start:
                continue
            if end and doc["createdAt"] > end:
                continue
            out.append(doc)
        for doc in self._created_campaigns(ctype):
            if (status and doc["status"] not in status) or (priority and int(doc["priority"]) not in priority):
                continue
            if (mode and doc.get("dialingMode") not in mode) or (start and doc["createdAt"] < start):
                continue
            if not (end and doc["createdAt"] > end):
                out.append(doc)
        sort_by = payload.get("sortBy") or {}
        if not isinstance(sort_by, dict):
            raise ValueError('"sortBy" must be an object')
        for key, direction in reversed(list(sort_by.items())):
            if key not in ("name", "createdAt", "updatedAt") or direction not in ("asc", "desc"):
                raise ValueError('"sortBy" fields: name, createdAt, updatedAt; directions: asc, desc')
            out.sort(key=lambda d: d[key], reverse=direction == "desc")
        return out

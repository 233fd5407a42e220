"""Contact lists: create, get, update, delete, list them all, and ``addContacts`` (API
1.1: queued, visible after ``import_delay``)."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from ..core import EmulatorCore

__all__ = ["ListRoutes"]


class ListRoutes(EmulatorCore):
    """Contact-list endpoints."""

    async def _create_list(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            if not isinstance(payload, dict):
                return self._error(400, "request body must be a JSON object")
            name, description = payload.get("name"), payload.get("description")
            if not isinstance(name, str) or not name or len(name) > 48:
                return self._error(400, '"name" is required (at most 48 characters)')
            if not isinstance(description, str) or not description or len(description) > 256:
                return self._error(400, '"description" is required (at most 256 characters)')
            sources = (
                ("passiveApi", "passiveApiIntegration") if self.config.api == "contact-center" else ("passiveApi",)
            )
            if payload.get("source") not in sources:
                return self._error(400, f'"source" must be one of {", ".join(sources)}')
            if "allowDuplicates" in payload and not isinstance(payload["allowDuplicates"], bool):
                return self._error(400, '"allowDuplicates" must be a boolean')
            if self._list_by_name(name) is not None:
                return self._error(400, f"Contact list with name {name} already exists")
            doc = self.state.create_list(payload)
            return {"status": "success", "message": f"Contact list {name} created successfully", "data": doc}, None

        return await self._serve(request, "list-create", account_query=True, build=build)

    async def _get_list(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            lid = req.match_info["list_id"]
            doc = self._list_doc(lid)
            if doc is None:
                return self._error(404, f"Contact list {lid} not found")
            return {"status": "success", "message": "", "data": doc}, None

        return await self._serve(request, "list-get", account_query=True, build=build)

    async def _update_list(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            lid = req.match_info["list_id"]
            if lid not in self.state.lists:
                known = self._list_doc(lid) is not None
                return self._error(
                    400 if known else 404, f"Contact list {lid} {'is read-only' if known else 'not found'}"
                )
            fields = {"name", "description"}
            if self.config.api == "contact-center":  # its update page also takes allowDuplicates
                fields.add("allowDuplicates")
            if not isinstance(payload, dict) or not (fields & set(payload)):
                return self._error(400, f"one of {', '.join(sorted(fields))} is required")
            if "allowDuplicates" in payload and not isinstance(payload["allowDuplicates"], bool):
                return self._error(400, '"allowDuplicates" must be a boolean')
            doc = self.state.lists[lid]
            for key in ("name", "description"):
                if key in payload:
                    doc[key] = payload[key]
            if "allowDuplicates" in fields & set(payload):
                mode = "allowDuplicates" if payload["allowDuplicates"] else "noDuplicates"
                doc.setdefault("apiConfigurations", {})["dataSyncMode"] = mode
            self.state.save()
            if self.config.api == "contact-center" and self.config.edition == "stream":
                # the older Contact Center page answers the whole list
                message = f"Contact list {doc['name']} updated successfully"
                return {"status": "success", "message": message, "data": self.state.list_doc(lid)}, None
            body = {"name": doc["name"], "listType": "call", "accountId": self.config.account_id}
            message = f"Contact list {doc['name']} updated successfully"
            return {"status": "success", "message": message, "data": {"contactListId": lid, "body": body}}, None

        return await self._serve(request, "list-update", account_query=True, build=build)

    async def _delete_list(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            lid = req.match_info["list_id"]
            doc = self._list_doc(lid)
            if doc is None:
                return self._error(404, f"Contact list {lid} not found")
            for ctype in ("voice", "sms"):
                for campaign in self._created_campaigns(ctype):
                    if doc["name"] in campaign.get("contactLists", []):
                        return self._error(400, f"Contact list {doc['name']} is in use by {campaign['name']}")
            self.state.delete_list(lid)
            message = f"Contact list {doc['name']} deleted successfully"
            return {"status": "success", "message": message, "data": doc}, None

        return await self._serve(request, "list-delete", account_query=True, build=build)

    async def _all_lists(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            allowed = ("POST", "GET") if self.config.lists_method == "both" else (self.config.lists_method,)
            if req.method not in allowed:
                return self._error(405, f"{req.method} not allowed")
            docs = [self.state.generated_list(i) for i in range(self.config.contact_lists)]
            docs = [d for d in docs if d["_id"] not in self.state.deleted_lists]
            docs.extend(self.state.list_doc(lid) for lid in self.state.lists)
            # the Contact Center pages: a bare array, never paged
            mode = "all" if self.config.api == "contact-center" else self.config.lists_paging
            if mode == "all":
                return {"status": "success", "message": "", "data": docs}, None  # every list at once, as the sample
            source = payload if req.method == "POST" and isinstance(payload, dict) else dict(req.query)
            try:
                page = max(1, int(source.get("page", 1)))
            except (TypeError, ValueError):
                return self._error(400, '"page" must be an integer')
            size = self.config.lists_page_size
            offset = 0 if mode == "ignored" else (page - 1) * size
            doc: dict[str, Any] = {"status": "success", "message": "", "data": docs[offset : offset + size]}
            doc["hasMore"] = True if mode == "ignored" else offset + size < len(docs)
            if mode == "totals":
                doc.update(page=page, limit=size, totalPages=math.ceil(len(docs) / size), totalResults=len(docs))
            return doc, None

        return await self._serve(request, "lists", account_query=True, build=build)

    async def _add_contacts(self, request: web.Request) -> web.StreamResponse:
        def build(req: web.Request, payload: Any) -> Any:
            if not isinstance(payload, dict):
                return self._error(400, "request body must be a JSON object")
            name = payload.get("contact_list_name")
            data = payload.get("data")
            if not isinstance(name, str) or not name:
                return self._error(400, '"contact_list_name" is required')
            if not isinstance(data, list) or not data:
                return self._error(400, '"data" must be a non-empty array of contacts')
            found = self._list_by_name(name)
            if found is None:
                return self._error(404, f"Contact list {name} not found")
            for i, contact in enumerate(data):
                if not isinstance(contact, dict) or not contact.get("phoneNumber"):
                    return self._error(400, f"data[{i}]: phoneNumber is required")
            self.state.queue_contacts(found[0], [dict(c) for c in data])
            return {"status": "success", "message": "Contacts queued for addition."}, None

        return await self._serve(request, "add-contacts", account_query=True, build=build)

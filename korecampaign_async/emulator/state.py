"""What writes changed, kept over the generated data: created, updated and deleted
campaigns and contact lists, imported contacts, and each campaign's run.

A campaign's run is computed from the clock, not ticked: after ``start`` its contacts are
dialled in order over ``run_seconds`` (scaled time: seconds for what takes Kore hours), the
status rows fill in as they are, and the campaign reads ``Completed`` once all are; ``stop``
freezes it where it is. A created campaign is ``Preparing`` for ``prepare_seconds``, then
``Ready``. Added contacts ("queued for addition") appear ``import_delay`` seconds after
the call. With ``state_file`` set, the state is written after every change and read back at
start, so a demo survives a restart (times are wall-clock for that reason).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._files import write_json_atomically
from .data import BOT_STATUSES, DISPOSITIONS, OUTCOMES, contact_list_id, iso, list_contact, list_name

if TYPE_CHECKING:
    from .config import EmulatorConfig

__all__ = ["State"]

STARTABLE = frozenset({"Ready", "Stopped", "Paused", "Scheduled", "Rescheduled"})


def _now_iso(clock: Callable[[], float]) -> str:
    from datetime import UTC, datetime

    return iso(datetime.fromtimestamp(clock(), UTC))


class State:
    """The emulator's mutable state (in memory; optionally persisted to ``state_file``)."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.campaigns: dict[str, dict[str, Any]] = {}  # created campaigns: id -> document
        self.runs: dict[str, dict[str, Any]] = {}  # any campaign: status, started, frozen, instance, fields
        self.deleted: set[str] = set()
        self.lists: dict[str, dict[str, Any]] = {}  # created lists: id -> document
        self.added: dict[str, list[dict[str, Any]]] = {}  # list id -> contacts added through the API
        self.pending: list[tuple[float, str, list[dict[str, Any]]]] = []  # (due, list id, contacts)
        self.deleted_lists: set[str] = set()
        self.counter = 0
        self.path = config.state_file
        if self.path and os.path.exists(self.path):
            self._load()

    # -- persistence ------------------------------------------------------------------------
    def _load(self) -> None:
        assert self.path is not None
        with open(self.path) as fh:
            data = json.load(fh)
        self.campaigns = data["campaigns"]
        self.runs = data["runs"]
        self.deleted = set(data["deleted"])
        self.lists = data["lists"]
        self.added = data["added"]
        self.pending = [(due, lid, contacts) for due, lid, contacts in data["pending"]]
        self.deleted_lists = set(data["deleted_lists"])
        self.counter = data["counter"]

    def save(self) -> None:
        """Write the state to ``state_file`` (atomically), when one is configured."""
        if not self.path:
            return
        data = {
            "campaigns": self.campaigns,
            "runs": self.runs,
            "deleted": sorted(self.deleted),
            "lists": self.lists,
            "added": self.added,
            "pending": self.pending,
            "deleted_lists": sorted(self.deleted_lists),
            "counter": self.counter,
        }
        write_json_atomically(self.path, data)

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-new-{self.counter:06d}"

    # -- campaigns --------------------------------------------------------------------------
    def fraction(self, cid: str) -> float:
        """How far the campaign's run is (0 before a start, 1 when every contact was dialled)."""
        run = self.runs.get(cid)
        if not run or run.get("started") is None:
            return 0.0
        if run.get("frozen") is not None:
            return float(run["frozen"])
        seconds = max(self.config.run_seconds, 1e-9)
        return min(1.0, (self.clock() - float(run["started"])) / seconds)

    def status_of(self, cid: str, base: str) -> str:
        """The campaign's status now: its run's, else ``base`` (a created campaign's
        ``Preparing`` turns ``Ready`` after ``prepare_seconds``)."""
        run = self.runs.get(cid)
        if run is None:
            return base
        status = run.get("status") or base
        if status == "Active" and self.fraction(cid) >= 1.0:
            return "Completed"
        if status == "Preparing" and self.clock() - run.get("created", 0.0) >= self.config.prepare_seconds:
            return "Ready"
        return str(status)

    def overlay(self, doc: dict[str, Any]) -> dict[str, Any]:
        """``doc`` with the campaign's run (status, instance, updated fields) applied."""
        cid = doc.get("_id") or doc.get("id")
        run = self.runs.get(str(cid))
        if run is None:
            return doc
        out = {**doc, **run.get("fields", {})}
        out["status"] = self.status_of(str(cid), doc["status"])
        if run.get("instance"):
            out["campaignInstanceId"] = run["instance"]
        if run.get("schedule") is not None:
            out["schedule"] = run["schedule"]
        return out

    def create_campaign(self, ctype: str, body: dict[str, Any]) -> dict[str, Any]:
        cid = self.new_id("cd")
        now = _now_iso(self.clock)
        doc = {k: v for k, v in body.items() if k not in ("campaignType", "experienceFlowName", "queue_name")}
        doc.update(id=cid, lname=str(body["name"]).lower(), status="Preparing", createdAt=now, updatedAt=now)
        doc["isFiltersEnabled"] = False
        if body.get("experienceFlowName"):
            doc["experienceFlow"] = "cf-emu-" + str(body["experienceFlowName"]).lower().replace(" ", "-")
        if body.get("queue_name"):
            doc["connection"] = body["queue_name"]
        if ctype == "voice":
            detect = body.get("enableMachineDetect", "no")  # v2: no/detect/disconnect; v1: a boolean
            doc["enableMachineDetect"] = detect if isinstance(detect, bool) else detect != "no"
        doc["_type"] = ctype
        self.campaigns[cid] = doc
        self.runs[cid] = {"status": "Preparing", "created": self.clock()}
        self.save()
        return self.public(doc)

    @staticmethod
    def public(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if not k.startswith("_") or k == "_id"}

    def update_campaign(self, cid: str, doc: dict[str, Any], body: dict[str, Any]) -> None:
        fields = {k: v for k, v in body.items() if k not in ("campaignType", "experienceFlowName", "queue_name")}
        fields["updatedAt"] = _now_iso(self.clock)
        if "name" in fields:
            fields["lname"] = str(fields["name"]).lower()
        if cid in self.campaigns:
            self.campaigns[cid].update(fields)
        else:
            run = self.runs.setdefault(cid, {})
            run.setdefault("fields", {}).update(fields)
        self.save()

    def start(self, cid: str) -> str:
        """Start (or resume) the campaign's run; returns its instance id."""
        run = self.runs.setdefault(cid, {})
        done = self.fraction(cid) if run.get("frozen") is not None else 0.0
        # a stopped campaign resumes where it was: its clock starts that far back
        run["started"] = self.clock() - done * self.config.run_seconds
        run["frozen"] = None
        run["status"] = "Active"
        if not run.get("instance"):
            run["instance"] = self.new_id("cid")
        self.save()
        return str(run["instance"])

    def stop(self, cid: str) -> str | None:
        run = self.runs.setdefault(cid, {})
        run["frozen"] = self.fraction(cid)
        run["status"] = "Stopped"
        self.save()
        return run.get("instance")

    def instance_campaign(self, instance: str) -> str | None:
        return next((cid for cid, run in self.runs.items() if run.get("instance") == instance), None)

    def set_schedule(self, cid: str, schedule: dict[str, Any]) -> None:
        self.runs.setdefault(cid, {})["schedule"] = schedule
        self.save()

    def delete_campaign(self, cid: str) -> None:
        self.deleted.add(cid)
        self.campaigns.pop(cid, None)
        self.runs.pop(cid, None)
        self.save()

    def status_rows(self, cid: str, contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Contact-status rows of a created campaign: its lists' contacts, the first
        ``fraction`` of them dialled (outcomes filled in), the rest waiting."""
        dialled = int(self.fraction(cid) * len(contacts) + 1e-9)
        rows = []
        for j, contact in enumerate(contacts):
            row: dict[str, Any] = {
                "phoneNumber": str(contact.get("phoneNumber", "")),
                "uniqueId": str(contact.get("uniqueId") or f"u-{cid}-{j}"),
            }
            if j < dialled:
                row.update(
                    dialerOutcome=OUTCOMES[j % len(OUTCOMES)] or "completed",
                    numberOfAttemptsSoFar=j % 3 + 1,
                    botSessionId=f"{(int(cid.rsplit('-', 1)[-1]) << 32) ^ j:024x}",
                    agentDispositionCodes=list(DISPOSITIONS[j % len(DISPOSITIONS)]),
                    botOutboundStatus=BOT_STATUSES[j % len(BOT_STATUSES)],
                    botOutboundStatusDetail="user_hangup",
                )
            else:
                row.update(
                    dialerOutcome="",
                    numberOfAttemptsSoFar=0,
                    botSessionId="",
                    agentDispositionCodes=[],
                    botOutboundStatus="",
                    botOutboundStatusDetail="",
                )
            rows.append(row)
        return rows

    # -- contact lists ----------------------------------------------------------------------
    def generated_list(self, index: int) -> dict[str, Any]:
        lid = contact_list_id(index)
        return {
            "_id": lid,
            "isActive": True,
            "name": list_name(index),
            "description": f"Synthetic contact list number {index}",
            "totalRecordCount": self.config.list_contacts + len(self.added_contacts(lid)),
            "status": "Ready",
            "mapping": {"firstName": "firstName", "lastName": "lastName", "phoneNumber": "phoneNumber"},
            "isListInUse": False,
            "listType": "call",
            "campaignInUse": [],
            "source": "upload",
            "apiConfigurations": {"dataSyncMode": "allowDuplicates"},
            "files": [],
        }

    def create_list(self, body: dict[str, Any]) -> dict[str, Any]:
        lid = self.new_id("cl")
        now = _now_iso(self.clock)
        allow = bool(body.get("allowDuplicates", False))
        doc = {
            "_id": lid,
            "isActive": True,
            "name": body["name"],
            "description": body["description"],
            "totalRecordCount": 0,
            "status": "Ready",
            "mapping": {"firstName": "firstName", "lastName": "lastName", "phoneNumber": "phoneNumber"},
            "isListInUse": False,
            "listType": "call",
            "isGlobalDNC": False,
            "isDefault": False,
            "campaignInUse": [],
            "source": "passiveApi",
            "apiConfigurations": {"dataSyncMode": "allowDuplicates" if allow else "noDuplicates"},
            "files": [],
            "createdAt": now,
            "updatedAt": now,
        }
        self.lists[lid] = doc
        self.save()
        return doc

    def list_doc(self, lid: str) -> dict[str, Any]:
        doc = dict(self.lists[lid])
        doc["totalRecordCount"] = len(self.added_contacts(lid))
        return doc

    def added_contacts(self, lid: str) -> list[dict[str, Any]]:
        """Contacts added to ``lid`` whose addition is due (queued ones become visible)."""
        now = self.clock()
        if self.pending and any(due <= now for due, _, _ in self.pending):
            still = []
            for due, target, contacts in self.pending:
                if due <= now:
                    self._add_now(target, contacts)
                else:
                    still.append((due, target, contacts))
            self.pending = still
            self.save()
        return self.added.get(lid, [])

    def _add_now(self, lid: str, contacts: list[dict[str, Any]]) -> None:
        existing = self.added.setdefault(lid, [])
        doc = self.lists.get(lid)
        keeps_duplicates = doc is None or doc["apiConfigurations"]["dataSyncMode"] == "allowDuplicates"
        known = None if keeps_duplicates else {c["phoneNumber"] for c in existing}
        now = _now_iso(self.clock)
        for contact in contacts:
            phone = str(contact["phoneNumber"])
            if known is not None:
                if phone in known:
                    continue
                known.add(phone)
            self.counter += 1
            existing.append(
                {
                    "_id": f"c-new-{self.counter:08d}",
                    **contact,
                    "phoneNumber": phone,
                    "createdAt": now,
                    "updatedAt": now,
                }
            )

    def queue_contacts(self, lid: str, contacts: list[dict[str, Any]]) -> None:
        if self.config.import_delay <= 0:
            self._add_now(lid, contacts)
        else:
            self.pending.append((self.clock() + self.config.import_delay, lid, contacts))
        self.save()

    def list_contacts(self, lid: str, index: int | None) -> tuple[int, Callable[[int], dict[str, Any]]]:
        """How many contacts ``lid`` holds and a function giving contact ``r``: generated
        ones first (for a generated list), then the added ones."""
        added = self.added_contacts(lid)
        generated = self.config.list_contacts if index is not None else 0

        def contact(r: int) -> dict[str, Any]:
            if r < generated:
                assert index is not None
                return list_contact(index, r)
            return added[r - generated]

        return generated + len(added), contact

    def delete_list(self, lid: str) -> None:
        self.deleted_lists.add(lid)
        self.lists.pop(lid, None)
        self.added.pop(lid, None)
        self.save()

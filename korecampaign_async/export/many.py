"""The contacts of many voice campaigns, one file each, under the client's single budget,
with ``manifest.json``."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._files import write_json_atomically
from ..models.records import Campaign, CampaignContact
from .driver import Progress, export_to_file
from .sinks import Format

if TYPE_CHECKING:
    from ..client import KoreCampaignClient

__all__ = ["ManifestEntry", "export_many"]


@dataclass
class ManifestEntry:
    """One campaign of an ``export_many`` run."""

    campaign_id: str
    name: str | None
    rows: int
    file: str


async def export_many(
    client: KoreCampaignClient,
    campaigns: Sequence[Campaign | str],
    out_dir: str,
    *,
    fmt: Format = "jsonl",
    resume: bool = False,
    max_campaigns: int | None = None,
    per_campaign: int = 2,
    on_progress: Callable[[str, Progress], None] | None = None,
) -> list[ManifestEntry]:
    """Export the contacts of many voice campaigns, one file each, under the client's single
    budget, and write ``manifest.json`` (campaign id, name, rows, file) in ``out_dir``.

    Campaign files already completed (present in a previous manifest) are kept on resume.
    """
    os.makedirs(out_dir, exist_ok=True)
    width = max_campaigns or max(1, client.max_concurrency // per_campaign)
    slots = asyncio.Semaphore(width)
    manifest_path = os.path.join(out_dir, "manifest.json")
    previous: dict[str, dict[str, Any]] = {}
    if resume and os.path.exists(manifest_path):
        with open(manifest_path) as fh:
            previous = {e["campaign_id"]: e for e in json.load(fh)["campaigns"]}
    entries: dict[str, ManifestEntry] = {}

    async def one(item: Campaign | str) -> None:
        cid = item if isinstance(item, str) else (item.id or "")
        name = None if isinstance(item, str) else item.name
        target = os.path.join(out_dir, f"{cid}.{fmt}")
        done = previous.get(cid)
        if done is not None and os.path.exists(target):
            entries[cid] = ManifestEntry(cid, name, int(done["rows"]), os.path.basename(target))
            return
        async with slots:
            result = await export_to_file(
                lambda start: client.iter_campaign_contacts(cid, start_page=start, prefetch=per_campaign),
                target,
                fmt,
                CampaignContact,
                {"endpoint": "campaign-contacts", "id": cid},
                resume=resume,
                on_progress=(lambda p: on_progress(cid, p)) if on_progress else None,
            )
        entries[cid] = ManifestEntry(cid, name, result.rows, os.path.basename(target))
        _write_manifest(manifest_path, entries)

    async with asyncio.TaskGroup() as group:
        for item in campaigns:
            group.create_task(one(item))
    ordered = [entries[(c if isinstance(c, str) else c.id or "")] for c in campaigns]
    _write_manifest(manifest_path, {e.campaign_id: e for e in ordered})
    return ordered


def _write_manifest(path: str, entries: dict[str, ManifestEntry]) -> None:
    doc = {"campaigns": [dataclasses.asdict(e) for e in entries.values()]}
    write_json_atomically(path, doc, indent=2)

"""The four ways to read every contact of a campaign, measured side by side.

``sequential`` and ``gather_all`` are what users write by hand; ``korecampaign`` is the SDK
with default settings; ``floor`` is the leanest loop we can write (one session, bounded
concurrency, msgspec into the same structs, no retries, no ordering): the client-side CPU
limit to compare against.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec

from korecampaign_async import KoreCampaignClient, RecordStream
from korecampaign_async.models.records import CampaignContact, Envelope, PageData

from .harness import EmulatorProcess

_DECODER = msgspec.json.Decoder(Envelope[PageData[CampaignContact]])


async def sequential(emu: EmulatorProcess, campaign: str, *, limit: int = 100) -> tuple[int, int]:
    """Page 1..N one at a time, ``json.loads`` per page."""
    rows = pages = 0
    async with aiohttp.ClientSession(headers=emu.raw_headers()) as session:
        page, total_pages = 1, 1
        while page <= total_pages:
            async with session.post(emu.status_url(campaign), data=json.dumps({"page": page, "limit": limit})) as r:
                r.raise_for_status()
                doc = json.loads(await r.read())
            total_pages = doc["data"]["totalPages"]
            rows += len(doc["data"]["results"])
            pages += 1
            page += 1
    return rows, pages


async def gather_all(emu: EmulatorProcess, campaign: str, *, limit: int = 100) -> tuple[int, int]:
    """Read ``totalPages``, then ``asyncio.gather`` every page at once into a list."""
    async with aiohttp.ClientSession(headers=emu.raw_headers()) as session:

        async def fetch(page: int) -> dict[str, Any]:
            async with session.post(emu.status_url(campaign), data=json.dumps({"page": page, "limit": limit})) as r:
                r.raise_for_status()
                doc: dict[str, Any] = json.loads(await r.read())
                return doc

        first = await fetch(1)
        rest = await asyncio.gather(*(fetch(p) for p in range(2, first["data"]["totalPages"] + 1)))
        everything = [row for doc in (first, *rest) for row in doc["data"]["results"]]
        return len(everything), 1 + len(rest)


async def _count_records(
    emu: EmulatorProcess, concurrency: int, open_stream: Callable[[KoreCampaignClient], RecordStream[Any]]
) -> tuple[int, int]:
    """Read a stream record by record, as a user would, with default settings but
    ``max_concurrency``; return (rows, pages)."""
    async with KoreCampaignClient(**emu.client_kwargs(max_concurrency=concurrency)) as client:
        rows = 0
        async for _ in open_stream(client):
            rows += 1
        return rows, client.stats.pages


async def korecampaign(emu: EmulatorProcess, campaign: str, *, concurrency: int) -> tuple[int, int]:
    """The SDK with default settings but ``max_concurrency``."""
    return await _count_records(emu, concurrency, lambda client: client.iter_campaign_contacts(campaign))


async def korecampaign_pages(emu: EmulatorProcess, campaign: str, *, concurrency: int) -> tuple[int, int]:
    """The SDK consumed page by page (``.pages()``), counting rows per page as ``floor`` does:
    separates the cost of record-by-record iteration from the rest of the SDK."""
    async with KoreCampaignClient(**emu.client_kwargs(max_concurrency=concurrency)) as client:
        rows = 0
        async for page in client.iter_campaign_contacts(campaign).pages():
            rows += len(page.results)
        return rows, client.stats.pages


async def floor(emu: EmulatorProcess, campaign: str, *, concurrency: int, limit: int = 100) -> tuple[int, int]:
    """The leanest bounded-concurrency loop: msgspec structs, no retries, no ordering."""
    encode = msgspec.json.encode
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(headers=emu.raw_headers(), connector=connector) as session:
        url = emu.status_url(campaign)

        async def fetch(page: int) -> Any:
            async with session.post(url, data=encode({"page": page, "limit": limit})) as r:
                return _DECODER.decode(await r.read())

        first = await fetch(1)
        total_pages = first.data.total_pages or 1
        rows = len(first.data.results)
        next_page = 2

        async def worker() -> int:
            nonlocal next_page
            count = 0
            while next_page <= total_pages:
                page = next_page
                next_page += 1
                count += len((await fetch(page)).data.results)
            return count

        counts = await asyncio.gather(*(worker() for _ in range(concurrency)))
        return rows + sum(counts), total_pages


async def korecampaign_contact_list(emu: EmulatorProcess, contact_list: str, *, concurrency: int) -> tuple[int, int]:
    """``iter_contact_list`` with default settings."""
    return await _count_records(emu, concurrency, lambda client: client.iter_contact_list(contact_list))


async def korecampaign_campaigns(emu: EmulatorProcess, *, concurrency: int) -> tuple[int, int]:
    """``iter_campaigns("voice")`` with default settings."""
    return await _count_records(emu, concurrency, lambda client: client.iter_campaigns("voice"))

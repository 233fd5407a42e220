"""Read many campaigns at once under one client's budget.

Each campaign is a :class:`~korecampaign_async.paging.stream.RecordStream` with a small
prefetch window (``per_campaign`` pages); at most ``max_campaigns`` run at once; their
pages meet in one bounded queue. Because every request goes through the client's single
FIFO concurrency limiter and rate limit, campaigns take turns: none starves and the
budget is shared, not multiplied.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, cast

from ..errors import InvalidParameterError
from ..models.checks import check_id
from ..models.records import CampaignContact

if TYPE_CHECKING:
    from ..client import KoreCampaignClient

__all__ = ["iter_contacts_of"]

_DONE = object()


async def iter_contacts_of(
    client: KoreCampaignClient,
    campaign_ids: Sequence[str],
    *,
    per_campaign: int = 2,
    max_campaigns: int | None = None,
) -> AsyncIterator[tuple[str, CampaignContact]]:
    """Yield ``(campaign_id, record)`` for every contact of every campaign in ``campaign_ids``.

    Ids are validated (and duplicates dropped) before any request. The first error of any
    campaign stops everything and is raised; closing the iterator cancels every fetch.
    """
    if isinstance(campaign_ids, str):
        raise InvalidParameterError("campaign_ids", campaign_ids, "a sequence of campaign ids, not one string")
    ids = list(dict.fromkeys(check_id(c, "campaign_ids[]") for c in campaign_ids))
    if not isinstance(per_campaign, int) or per_campaign < 1:
        raise InvalidParameterError("per_campaign", per_campaign, "an integer >= 1")
    width = max_campaigns or max(1, -(-client.max_concurrency // per_campaign) + 1)
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=width * per_campaign)
    slots = asyncio.Semaphore(width)

    async def read(cid: str) -> None:
        async with slots:
            stream = client.iter_campaign_contacts(cid, prefetch=per_campaign)
            async for page in stream.pages():
                await queue.put((cid, page.results))

    async def run_all() -> None:
        try:
            async with asyncio.TaskGroup() as group:
                for cid in ids:
                    group.create_task(read(cid))
        except BaseException as exc:  # hand the failure to the consumer
            await queue.put(exc)
            raise
        await queue.put(_DONE)

    runner = asyncio.ensure_future(run_all())
    try:
        while True:
            item = await queue.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                if isinstance(item, BaseExceptionGroup) and len(item.exceptions) == 1:
                    raise item.exceptions[0]
                raise item
            cid, records = cast("tuple[str, list[CampaignContact]]", item)
            for record in records:
                yield cid, record
    finally:
        if not runner.done():
            runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)

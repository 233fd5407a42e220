"""A dlt source: every destination dlt supports (DuckDB, BigQuery, Snowflake, PostgreSQL, files)
without one of our own (extra ``dlt``).

``kore_campaigns(...)`` has three resources, each with primary keys and
``write_disposition="merge"`` so re-loads update rows instead of duplicating them:

* ``campaigns``: key ``(stream_id, id)``;
* ``campaign_contacts``: the contact outcomes of voice campaigns, key ``(stream_id,
  campaign_id, phone_number, ordinal)`` (``ordinal`` numbers repeated phone numbers, as in
  ``korecampaign sync``);
* ``contact_list_contacts``: key ``(stream_id, list_id, id)``, for the lists named.

The records come from the SDK's concurrent pager under its rate budget and retries, not
from dlt's REST client. Like ``korecampaign sync``, ``campaign_contacts`` skips a campaign
whose status is final and whose contacts were loaded completely with that status; that
memory lives in dlt's pipeline state (resource state), so it travels with the pipeline.

Each resource builds its client inside the event loop dlt runs it in (aiohttp sessions belong
to one loop) from ``settings`` (``KORE_*`` names, as for
:meth:`~korecampaign_async.KoreCampaignClient.from_env`; the environment when omitted).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

import dlt
import msgspec

from .client import KoreCampaignClient
from .models.records import CampaignType
from .stores.ordinals import Ordinals, keyed
from .sync import FINAL_STATUSES

__all__ = ["kore_campaigns"]


def _client(settings: Mapping[str, str] | None, overrides: Mapping[str, Any]) -> KoreCampaignClient:
    return KoreCampaignClient.from_env(dict(settings) if settings is not None else None, **overrides)


@dlt.source(name="kore_campaigns")
def kore_campaigns(
    settings: Mapping[str, str] | None = None,
    *,
    types: Sequence[CampaignType] = ("voice", "sms"),
    statuses: Sequence[str] | None = None,
    since: str | None = None,
    contact_lists: Iterable[str] = (),
    full: bool = False,
    client_options: Mapping[str, Any] | None = None,
) -> Any:
    """The Kore.ai Campaign Management API as dlt resources (see the module docstring).

    Args:
        settings: ``KORE_*`` settings (host, stream id, account id, credentials, budget); the
            environment when ``None``.
        types: campaign types to load.
        statuses: only campaigns with these statuses.
        since: only campaigns created at or after this ISO-8601 time.
        contact_lists: contact list ids whose contacts are loaded.
        full: read every campaign's contacts, even final ones already loaded.
        client_options: more :class:`~korecampaign_async.KoreCampaignClient` arguments
            (``max_concurrency``, ``rate_limit``...).
    """
    options = dict(client_options or {})
    filters = {"status": list(statuses)} if statuses else None
    lists = list(contact_lists)

    @dlt.resource(name="campaigns", primary_key=("stream_id", "id"), write_disposition="merge")
    async def campaigns() -> AsyncIterator[list[dict[str, Any]]]:
        async with _client(settings, options) as client:
            for kind in types:
                async with client.iter_campaigns(kind, filters=filters, start_date=since) as stream:
                    async for page in stream.pages():
                        yield [
                            {"stream_id": client.stream_id, "type": kind, **msgspec.to_builtins(c)}
                            for c in page.results
                        ]

    @dlt.resource(
        name="campaign_contacts",
        primary_key=("stream_id", "campaign_id", "phone_number", "ordinal"),
        write_disposition="merge",
    )
    async def campaign_contacts() -> AsyncIterator[list[dict[str, Any]]]:
        state = dlt.current.resource_state()
        complete: dict[str, str] = state.setdefault("complete", {})
        async with _client(settings, options) as client:
            voice = [
                (c.id, c.status)
                async for c in client.iter_campaigns("voice", filters=filters, start_date=since)
                if c.id
            ]
            for campaign_id, status in voice:
                if not full and status in FINAL_STATUSES and complete.get(campaign_id) == status:
                    continue  # final and loaded completely with this status: nothing can change
                keys = Ordinals()
                async with client.iter_campaign_contacts(campaign_id) as stream:
                    async for page in stream.pages():
                        yield [
                            {
                                "stream_id": client.stream_id,
                                "campaign_id": campaign_id,
                                "ordinal": ordinal,
                                **msgspec.to_builtins(row),
                            }
                            for ordinal, row in keyed(page.results, keys.of(page.results))
                        ]
                if status is not None:
                    complete[campaign_id] = status  # the whole campaign was read

    @dlt.resource(name="contact_list_contacts", primary_key=("stream_id", "list_id", "id"), write_disposition="merge")
    async def contact_list_contacts() -> AsyncIterator[list[dict[str, Any]]]:
        if not lists:
            return
        async with _client(settings, options) as client:
            for list_id in lists:
                async with client.iter_contact_list(list_id) as stream:
                    async for page in stream.pages():
                        yield [
                            {"stream_id": client.stream_id, "list_id": list_id, **msgspec.to_builtins(c)}
                            for c in page.results
                        ]

    return campaigns, campaign_contacts, contact_list_contacts

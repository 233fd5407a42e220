"""The emulator's server: the routes assembled on one aiohttp application, and
:func:`run_emulator` to serve it for a block (the package docstring has the overview).

It serves the documented paths and methods (of the Campaign API v2, or of the Contact
Center pages with ``api="contact-center"``: :mod:`.flavour`), checks the JWT signature and the ``iid`` /
``accountId`` headers, applies the configured readings of what the docs leave open (page
and skip, echoes, totals), holds each answer until its latency has passed, and counts every
request so tests can prove that no page was fetched twice (:mod:`.core`); the endpoints are
in :mod:`.routes`, the data in :mod:`.data`, what writes changed in :mod:`.state`, faults and
rate windows in :mod:`.faults`. ``python -m korecampaign_async.emulator`` serves it from the
shell (:mod:`.cli`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .config import EmulatorConfig
from .routes import CampaignRoutes, ListRoutes, ReadRoutes

__all__ = ["Emulator", "run_emulator"]


class Emulator(ReadRoutes, CampaignRoutes, ListRoutes):
    """The emulator application and its state. Use :func:`run_emulator` to serve it."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        super().__init__(config)
        contact_center = self.config.api == "contact-center"
        if contact_center:  # the agentassist (v1) pages; start/stop on /campaign/api/v1
            prefix = "/agentassist/api/v1/public/{stream_id}/campaign"
        else:
            prefix = "/campaign/api/v2/public/{stream_id}/campaign"
        router = self.app.router
        router.add_post(prefix + "/getAllCampaignDetails", self._list_campaigns)
        router.add_post(prefix + "/contactList/createContactList", self._create_list)
        router.add_route("*", prefix + "/contactList/getAllListDetails", self._all_lists)
        router.add_get(prefix + "/contactList/{list_id}/getAllContacts", self._list_contacts)
        router.add_get(prefix + "/contactList/{list_id}", self._get_list)
        router.add_put(prefix + "/contactList/{list_id}", self._update_list)
        router.add_delete(prefix + "/contactList/{list_id}", self._delete_list)
        if contact_center:  # schedule on its v2 path (the only one documented); no call-back
            router.add_post("/campaign/api/v1/public/{stream_id}/campaign/{campaign_id}", self._trigger)
            router.add_post("/campaign/api/v2/public/{stream_id}/campaign/schedule", self._schedule)
        else:
            router.add_post(prefix + "/schedule", self._schedule)
            router.add_post(prefix + "/trigger/{campaign_id}", self._trigger)
        router.add_post(prefix, self._create_campaign)
        router.add_post(prefix + "/{campaign_id}/status", self._campaign_status)
        if not contact_center:
            router.add_post(prefix + "/{instance_id}/callContactAt", self._call_back)
        router.add_get(prefix + "/{campaign_id}", self._get_campaign)
        router.add_put(prefix + "/{campaign_id}", self._update_campaign)
        router.add_delete(prefix + "/{campaign_id}", self._delete_campaign)
        router.add_post("/api/1.1/public/{stream_id}/campaign/contactList/addContacts", self._add_contacts)
        router.add_post("/_emulator/advance", self._advance)


@asynccontextmanager
async def run_emulator(
    config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[Emulator]:
    """Serve an :class:`Emulator` for the duration of the ``async with`` block."""
    emulator = Emulator(config)
    await emulator.start(host, port)
    try:
        yield emulator
    finally:
        await emulator.stop()

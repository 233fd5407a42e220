"""The emulator's endpoints, one module per resource, each a mixin over
:class:`~korecampaign_async.emulator.core.EmulatorCore`: reads (:mod:`.reads`), campaign
writes (:mod:`.campaigns`), contact lists (:mod:`.lists`)."""

from __future__ import annotations

from .campaigns import CampaignRoutes
from .lists import ListRoutes
from .reads import ReadRoutes

__all__ = ["CampaignRoutes", "ListRoutes", "ReadRoutes"]

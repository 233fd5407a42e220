"""Compatibility alias of :mod:`korecampaign_async.models.writes` (its home since the layout
of 0.2): ``from korecampaign_async.write_models import VoiceCampaignSpec`` keeps working."""

from __future__ import annotations

from .models.writes import *  # noqa: F403
from .models.writes import __all__ as __all__

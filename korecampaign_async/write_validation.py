"""Compatibility alias of :mod:`korecampaign_async.models.write_checks` (its home since the
layout of 0.2): ``from korecampaign_async.write_validation import check_voice_campaign`` keeps
working."""

from __future__ import annotations

from .models.write_checks import *  # noqa: F403
from .models.write_checks import __all__ as __all__

"""Compatibility alias of :mod:`korecampaign_async.cli.manage_command` (its home since the layout of
0.2): ``from korecampaign_async.cli_manage import read_contacts`` keeps working."""

from __future__ import annotations

from .cli.manage_command import *  # noqa: F403
from .cli.manage_command import __all__ as __all__

"""A local emulator of the Campaign Management API v2, on aiohttp.web: a subpackage of
four parts, one idea each.

* :mod:`.data`: the generated, seeded data (campaigns, contact-status rows, contact lists),
  computed on demand, so a million contacts cost nothing until a page is asked for.
* :mod:`.state`: what writes changed over it: created, updated, deleted campaigns and
  lists, imported contacts, each campaign's run in scaled time; optionally persisted.
* :mod:`.faults`: scripted and random faults, and Kore-style rolling rate windows.
* :mod:`.config`: :class:`EmulatorConfig`, what it serves and the readings it takes.
* :mod:`.core`: the JWT and header checks, pagination readings, timing, statistics;
  :mod:`.routes`: the endpoints by resource (reads, campaign writes, contact lists).
* :mod:`.server`: the :class:`Emulator` assembled, and :func:`run_emulator`;
  :mod:`.cli`: ``python -m korecampaign_async.emulator --port 8080``.

The credentials it accepts are made up for the emulator and printed by ``env()``; they
are not real Kore.ai credentials.
"""

from __future__ import annotations

from .cli import add_emulator_arguments, build_parser, config_from_args, main, serve_forever
from .config import PAGING_MODES, EchoMode, EmulatorConfig, PagingMode
from .core import EmulatorStats
from .data import campaign_id, contact_list_id, list_name
from .faults import RATE_LIMIT_MESSAGE, FaultKind
from .server import Emulator, run_emulator
from .state import State

__all__ = [
    "PAGING_MODES",
    "RATE_LIMIT_MESSAGE",
    "EchoMode",
    "Emulator",
    "EmulatorConfig",
    "EmulatorStats",
    "FaultKind",
    "PagingMode",
    "State",
    "add_emulator_arguments",
    "build_parser",
    "campaign_id",
    "config_from_args",
    "contact_list_id",
    "list_name",
    "main",
    "run_emulator",
    "serve_forever",
]

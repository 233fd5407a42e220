"""A local emulator of the Campaign Management API v2, on aiohttp.web: a subpackage of
four parts, one idea each.

* :mod:`.data`: the generated, seeded data (campaigns, contact-status rows, contact lists),
  computed on demand, so a million contacts cost nothing until a page is asked for.
* :mod:`.state`: what writes changed over it: created, updated, deleted campaigns and
  lists, imported contacts, each campaign's run in scaled time; optionally persisted.
* :mod:`.faults`: scripted and random faults, and Kore-style rolling rate windows.
* :mod:`.server`: the routes, the JWT and header checks, pagination readings, timing; the
  :class:`Emulator`, :func:`run_emulator` and the command line
  (``python -m korecampaign_async.emulator --port 8080``).

The credentials it accepts are made up for the emulator and printed by ``env()``; they
are not real Kore.ai credentials.
"""

from __future__ import annotations

from .data import campaign_id, contact_list_id, list_name
from .faults import RATE_LIMIT_MESSAGE, FaultKind
from .server import (
    PAGING_MODES,
    EchoMode,
    Emulator,
    EmulatorConfig,
    EmulatorStats,
    PagingMode,
    add_emulator_arguments,
    build_parser,
    config_from_args,
    main,
    run_emulator,
    serve_forever,
)
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

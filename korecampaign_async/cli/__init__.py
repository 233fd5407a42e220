"""The ``korecampaign`` command line: one module per command group over the SDK.

Start at :mod:`.main` (``main()``: parsing, dispatch, exit codes, signals).
"""

from __future__ import annotations

from .main import EXIT_CODES, build_parser, help_pages, main

__all__ = ["EXIT_CODES", "build_parser", "help_pages", "main"]

"""The read path: every page of an endpoint, concurrently, in order, exactly once.

* :mod:`.plan`: the *plan*, pure code without sockets: which pages to ask for and with
  which ``page``/``skip`` values, what the server's answers mean (its reading of page and
  skip, its own page size, totals that move), when to stop and where to resume.
* :mod:`.stream`: :class:`RecordStream`, the I/O that executes a plan: bounded concurrent
  fetches through the transport, bodies buffered and decoded in order, an async iterator
  with bounded memory.
* :mod:`.many`: the contact rows of many campaigns under one budget.
"""

from __future__ import annotations

from .plan import ChangePolicy, PaginationPlan
from .stream import RecordStream

__all__ = ["ChangePolicy", "PaginationPlan", "RecordStream"]

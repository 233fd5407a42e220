"""Settling a create whose answer was lost: look it up by name, continue with it, or say
exactly what is unknown. Shared by ``campaigns.create`` and ``contact_lists.create``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..errors import OutcomeUnknownError

__all__ = ["found_or_unknown"]

logger = logging.getLogger("korecampaign_async")

T = TypeVar("T")


async def found_or_unknown(
    exc: OutcomeUnknownError, operation: str, lookup: Callable[[], Awaitable[T | None]], how_to_check: str
) -> T:
    """What ``lookup`` finds (the create took effect: logged, returned), else an
    :class:`OutcomeUnknownError` for ``operation`` saying ``how_to_check``."""
    found = await lookup()
    if found is not None:
        logger.warning("%s: %s; it exists, continuing with it", operation, exc.cause)
        return found
    raise OutcomeUnknownError(
        operation, method=exc.method, path=exc.path, cause=exc.cause, unknown=how_to_check
    ) from None

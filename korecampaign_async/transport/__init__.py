"""One request, done right: the ``auth`` header (:mod:`.auth`: a JWT minted and cached, or a
token), the pooled aiohttp session, retries with tenacity, the rate budget and adaptive
concurrency, statistics and instrumentation hooks (:mod:`.core`).

Everything above (the paging stream, the client, the resources) sends through one
:class:`Transport`; nothing below it does I/O.
"""

from __future__ import annotations

from .auth import AuthProvider, JWTAuth, StaticTokenAuth, resolve_auth
from .core import (
    RAW_BODY,
    BodyDecoder,
    ClientStats,
    Hooks,
    PageEvent,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    RetryPolicy,
    Transport,
)

__all__ = [
    "RAW_BODY",
    "AuthProvider",
    "BodyDecoder",
    "ClientStats",
    "Hooks",
    "JWTAuth",
    "PageEvent",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "RetryPolicy",
    "StaticTokenAuth",
    "Transport",
    "resolve_auth",
]

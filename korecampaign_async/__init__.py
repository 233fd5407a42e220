"""korecampaign-async: an asyncio SDK for the Kore.ai Campaign Management API v2.

>>> from korecampaign_async import KoreCampaignClient, JWTAuth
"""

from .auth import AuthProvider, JWTAuth, StaticTokenAuth
from .client import KoreCampaignClient
from .errors import (
    AuthenticationError,
    ConfigurationError,
    DecodeError,
    InvalidParameterError,
    KoreAPIError,
    KoreCampaignError,
    NotFoundError,
    OutcomeUnknownError,
    PaginationDriftError,
    RateLimitError,
    RateLimiterUnavailableError,
    SchemaVersionError,
    ServerError,
    StoreError,
    StoreLockedError,
    TransportError,
    ValidationError,
)
from .models import Campaign, CampaignContact, CampaignFilters, Contact, Page
from .ratelimit import RateLimit, RateLimiter
from .redis_ratelimit import RedisRateLimit  # imports redis-py only when used
from .stores import Store, open_store
from .streaming import RecordStream
from .sync import FINAL_STATUSES, SyncReport, sync
from .transport import ClientStats, Hooks, PageEvent, RequestEvent, ResponseEvent, RetryEvent, RetryPolicy

__version__ = "0.1.0"


__all__ = [
    "AuthProvider",
    "AuthenticationError",
    "Campaign",
    "CampaignContact",
    "CampaignFilters",
    "ClientStats",
    "ConfigurationError",
    "FINAL_STATUSES",
    "Contact",
    "DecodeError",
    "Hooks",
    "InvalidParameterError",
    "JWTAuth",
    "KoreAPIError",
    "KoreCampaignClient",
    "KoreCampaignError",
    "NotFoundError",
    "OutcomeUnknownError",
    "Page",
    "PageEvent",
    "PaginationDriftError",
    "RateLimit",
    "RateLimitError",
    "RateLimiter",
    "RateLimiterUnavailableError",
    "RecordStream",
    "RedisRateLimit",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "RetryPolicy",
    "SchemaVersionError",
    "ServerError",
    "StaticTokenAuth",
    "Store",
    "StoreError",
    "StoreLockedError",
    "SyncReport",
    "TransportError",
    "ValidationError",
    "__version__",
    "open_store",
    "sync",
]

"""The exception hierarchy of korecampaign-async, written out once.

Every exception the SDK raises on purpose derives from :class:`KoreCampaignError`, so a
caller can catch everything with one ``except``. The tree::

    KoreCampaignError
    ├── ConfigurationError          settings missing or contradictory (before any I/O)
    ├── InvalidParameterError       a request argument is out of range (before any I/O; also ValueError)
    ├── UnsupportedOperationError   the chosen API flavour documents no such call (before any I/O)
    ├── TransportError              the network failed and retries are exhausted
    ├── OutcomeUnknownError         a write may or may not have taken effect, and looking did not tell
    ├── PaginationDriftError        the result set changed under a running export
    ├── RateLimiterUnavailableError the shared (Redis) budget cannot be reached
    ├── OutputError                 a local file cannot be written (disk full, permission, read-only)
    ├── StoreError                  the sync database is unreachable, refused or unusable
    │   ├── StoreUnavailableError   it went away mid-sync and did not come back in time
    │   ├── StoreLockedError        another sync of the same bot holds the database
    │   └── SchemaVersionError      the database schema is newer than this version understands
    └── KoreAPIError                the server answered, and the answer is an error
        ├── ValidationError         400
        ├── AuthenticationError     401 / 403
        ├── NotFoundError           404
        ├── RateLimitError          429 (after retries)
        ├── ServerError             5xx (after retries)
        └── DecodeError             2xx with a body that is not the documented JSON

No exception carries a token or a client secret: messages are built from the path (never
the query string with credentials), the status and the server's own message only.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "DecodeError",
    "InvalidParameterError",
    "KoreAPIError",
    "KoreCampaignError",
    "NotFoundError",
    "OutcomeUnknownError",
    "OutputError",
    "PaginationDriftError",
    "RateLimitError",
    "RateLimiterUnavailableError",
    "SchemaVersionError",
    "ServerError",
    "StoreError",
    "StoreLockedError",
    "StoreUnavailableError",
    "TransportError",
    "UnsupportedOperationError",
    "ValidationError",
    "error_for_status",
]


class KoreCampaignError(Exception):
    """Root of every error raised by korecampaign-async."""


class ConfigurationError(KoreCampaignError):
    """Client settings are missing or invalid; raised before any request is sent.

    ``missing`` lists the names of the settings (environment variables or arguments) that
    were not provided.
    """

    def __init__(self, message: str, *, missing: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.missing: tuple[str, ...] = tuple(missing)


class InvalidParameterError(KoreCampaignError, ValueError):
    """A request argument violates the documented constraints; no request was sent.

    Attributes:
        field: the request field, as the API names it (``limit``, ``filters.status``...).
        value: the rejected value.
        allowed: a human-readable description of the allowed values.
    """

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"invalid {field}={value!r}: allowed {allowed}")


class UnsupportedOperationError(KoreCampaignError, NotImplementedError):
    """The client's API flavour documents no such operation; no request was sent.

    Attributes:
        operation: the SDK call, as ``client.campaigns.schedule``.
        api: the flavour (``"contact-center"``).
        advice: what to do instead.
    """

    def __init__(self, operation: str, *, api: str, advice: str) -> None:
        self.operation = operation
        self.api = api
        self.advice = advice
        super().__init__(f"{operation} is not available with api={api!r}: {advice}")


class TransportError(KoreCampaignError):
    """Connection errors or timeouts persisted through every retry attempt."""

    def __init__(self, message: str, *, method: str, path: str, attempts: int) -> None:
        super().__init__(f"{method} {path}: {message} (after {attempts} attempt(s))")
        self.method = method
        self.path = path
        self.attempts = attempts


class OutcomeUnknownError(KoreCampaignError):
    """A write (a create, a start, an import batch) failed after its request may have
    reached the server (a timeout, a dropped connection, a 5xx other than 503), and the
    SDK could not tell from the server's state whether it took effect. It was not sent
    again: a blind retry could create a second campaign or add contacts twice.

    Attributes:
        operation: what was attempted, in words (``create voice campaign 'Renewals'``).
        method: the HTTP method; path: the URL path.
        cause: why the outcome is unknown (``timeout``, ``connection``, ``HTTP 502``).
        unknown: what exactly is not known, and how to find out.
    """

    def __init__(self, operation: str, *, method: str, path: str, cause: str, unknown: str) -> None:
        super().__init__(f"{operation}: outcome unknown after {cause} ({method} {path}); {unknown}")
        self.operation = operation
        self.method = method
        self.path = path
        self.cause = cause
        self.unknown = unknown


class PaginationDriftError(KoreCampaignError):
    """The result set changed while it was being paged, so continuing could drop or
    duplicate records.

    ``resume_page`` is the first page whose records were *not* yielded yet: every record
    of the pages before it reached the caller exactly once.
    """

    def __init__(self, message: str, *, resume_page: int) -> None:
        super().__init__(f"{message} (records of pages < {resume_page} were delivered; resume at page {resume_page})")
        self.resume_page = resume_page


class RateLimiterUnavailableError(KoreCampaignError):
    """The shared rate-limit store (Redis) is unreachable and no fallback is allowed."""


class OutputError(KoreCampaignError, OSError):
    """A local file (an export's output or checkpoint, an import's checkpoint) could not be
    written: the disk is full, permission is denied, the file system is read-only. What was
    written before stays: the ``.part`` output and the checkpoint of the last complete page,
    for a resume once the cause is fixed. Also an :class:`OSError` (``errno``, ``filename``
    and ``strerror`` are set), so ``except OSError`` keeps catching a full disk.

    Attributes:
        path: the file that could not be written (also ``filename``).
        errno: the operating system's error number (``errno.ENOSPC`` for a full disk).
        reason: the system's words, lower case (``no space left on device``).
    """

    def __init__(self, path: str, *, errno: int | None, reason: str, advice: str = "") -> None:
        message = f"cannot write {path}: {reason}" + (f"; {advice}" if advice else "")
        super().__init__(message)
        self.path = path
        self.reason = reason
        self.errno = errno
        self.strerror = reason
        self.filename = path

    def __str__(self) -> str:
        return str(self.args[0])

    @classmethod
    def from_os_error(cls, exc: OSError, path: str, advice: str = "") -> OutputError:
        """The error for ``exc`` raised while writing ``path`` (``exc.filename`` wins when set)."""
        reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
        where = exc.filename if isinstance(exc.filename, str) else path
        return cls(where, errno=exc.errno, reason=reason, advice=advice)


class StoreError(KoreCampaignError):
    """The sync database cannot be used: unreachable, refused, or not a database. Raised
    before any API request; messages never carry a password (URLs are masked)."""


class StoreUnavailableError(StoreError):
    """The sync database went away during a sync (a restart, a failover, a network cut) and
    did not come back within the store's reconnect time. Every batch committed before stays;
    running the sync again continues from there."""


class StoreLockedError(StoreError):
    """Another sync of the same bot holds the database and did not finish within the lock
    timeout."""


class SchemaVersionError(StoreError):
    """The database was created by a newer version of korecampaign-async (its
    ``schema_version`` is higher than this version understands)."""


class KoreAPIError(KoreCampaignError):
    """The API answered with an error.

    Attributes:
        status: the HTTP status code.
        method: the HTTP method.
        path: the URL path (no query string, no host credentials).
        message: the server's own message when the body carried one, else the reason.
        body: at most the first 500 characters of the response body, for diagnosis.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str = "",
        path: str = "",
        body: str = "",
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.message = message
        self.body = body[:500]
        where = f"{method} {path}".strip()
        super().__init__(f"HTTP {status} {where}: {message}" if where else f"HTTP {status}: {message}")


class ValidationError(KoreAPIError):
    """HTTP 400: the server rejected the request parameters."""


class AuthenticationError(KoreAPIError):
    """HTTP 401 or 403: the token, ``iid`` or ``accountId`` was not accepted."""


class NotFoundError(KoreAPIError):
    """HTTP 404: the campaign, contact list or stream does not exist."""


class RateLimitError(KoreAPIError):
    """HTTP 429 that persisted through every retry (or past ``RetryPolicy.max_budget_wait``).
    ``retry_after`` is the server's hint in seconds, when it sent one; ``budget`` tells
    whether the client recognised it as its rate budget running out (rather than a stray
    429)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after
        self.budget = False


class ServerError(KoreAPIError):
    """HTTP 5xx that persisted through every retry (500 gets fewer attempts than 502-504;
    see ``RetryPolicy.status_attempts``), or one not in ``RetryPolicy.retry_statuses``."""


class DecodeError(KoreAPIError):
    """The server answered 2xx but the body is not the documented JSON (HTML error page,
    truncated JSON, a missing or mistyped field)."""


def error_for_status(
    status: int, message: str, *, method: str, path: str, body: str = "", retry_after: float | None = None
) -> KoreAPIError:
    """Build the typed :class:`KoreAPIError` subclass for an HTTP error status."""
    if status == 429:
        return RateLimitError(message, retry_after=retry_after, status=status, method=method, path=path, body=body)
    cls: type[KoreAPIError]
    if status == 400 or status == 422:
        cls = ValidationError
    elif status in (401, 403):
        cls = AuthenticationError
    elif status == 404:
        cls = NotFoundError
    elif status >= 500:
        cls = ServerError
    else:
        cls = KoreAPIError
    return cls(message, status=status, method=method, path=path, body=body)

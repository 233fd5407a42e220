"""The command line's exit codes, in one place: their table (``korecampaign --help`` prints
it), the mapping from an exception to its code, and what to tell after an interrupt."""

from __future__ import annotations

import argparse

from ..errors import (
    AuthenticationError,
    ConfigurationError,
    DecodeError,
    InvalidParameterError,
    KoreAPIError,
    NotFoundError,
    OutcomeUnknownError,
    OutputError,
    PaginationDriftError,
    RateLimitError,
    RateLimiterUnavailableError,
    ServerError,
    StoreError,
    StoreLockedError,
    StoreUnavailableError,
    TransportError,
    UnsupportedOperationError,
    ValidationError,
)
from ..export import is_stream_target

__all__ = ["EXIT_CODES", "after_interrupt", "exit_code"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CONFIG, EXIT_AUTH, EXIT_NOT_FOUND, EXIT_NETWORK, EXIT_DATA = range(8)
EXIT_LOCKED = 8
EXIT_UNKNOWN = 9
EXIT_LOCAL = 10
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer killed by a closed pipe
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_ERROR: "unexpected error",
    EXIT_USAGE: "usage: bad flag or argument value, or a call the chosen --api does not document",
    EXIT_CONFIG: "configuration: missing settings or a checkpoint of another export",
    EXIT_AUTH: "authentication refused (401/403)",
    EXIT_NOT_FOUND: "not found (404)",
    EXIT_NETWORK: "network or server failure after every retry",
    EXIT_DATA: "bad data from the API, or the result set changed mid-export",
    EXIT_LOCKED: "another sync of the same bot holds the database (after --lock-timeout)",
    EXIT_UNKNOWN: "a write's outcome is unknown (its answer was lost); nothing was sent twice",
    EXIT_LOCAL: "a local file or the database failed (disk full, permission, database down); work kept",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C / SIGTERM): exports and imports continue with --resume, a sync by "
    "running it again",
    EXIT_PIPE: "standard output closed early (e.g. piped into head); requests cancelled",
}


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, OutcomeUnknownError):
        return EXIT_UNKNOWN
    if isinstance(exc, OutputError):
        return EXIT_LOCAL
    if isinstance(exc, StoreLockedError):
        return EXIT_LOCKED
    if isinstance(exc, StoreUnavailableError):
        return EXIT_LOCAL
    if isinstance(exc, StoreError):
        return EXIT_CONFIG
    if isinstance(exc, UnsupportedOperationError):
        return EXIT_USAGE
    if isinstance(exc, (InvalidParameterError, ValidationError)):
        return EXIT_USAGE if isinstance(exc, InvalidParameterError) else EXIT_DATA
    if isinstance(exc, (ConfigurationError, RateLimiterUnavailableError)):
        return EXIT_CONFIG
    if isinstance(exc, AuthenticationError):
        return EXIT_AUTH
    if isinstance(exc, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, (TransportError, RateLimitError, ServerError)):
        return EXIT_NETWORK
    if isinstance(exc, (DecodeError, PaginationDriftError, KoreAPIError)):
        return EXIT_DATA
    return EXIT_ERROR


def after_interrupt(args: argparse.Namespace) -> str:
    """What is true after an interrupt, for the command that was running."""
    command = args.command
    if command == "export":
        if args.what != "all-campaign-contacts" and is_stream_target(args.out):
            return " (standard output keeps no checkpoint: run the export again)"
        return "; the checkpoint is kept: run the same command with --resume"
    if command == "contact-lists" and getattr(args, "action", None) == "import":
        return (
            "; the import's checkpoint is kept: run the same command with --resume (no contact skipped, none sent "
            "twice)"
        )
    if command == "sync":
        return (
            "; every batch written so far is committed: run the same sync again, it continues by itself "
            "(sync has no --resume)"
        )
    if command == "campaigns" and getattr(args, "action", None) not in ("status", "wait"):
        return "; a write may have been sent: check the campaign's state (korecampaign campaigns status ID)"
    return ""

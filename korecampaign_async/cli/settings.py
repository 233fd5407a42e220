"""Where the command line's settings come from: flags, then ``--env-file``, then ``KORE_*``
environment variables; the client built from them, and the database URL. Every secret met
here is remembered, so no line the command line prints can carry one."""

from __future__ import annotations

import argparse
import os
from typing import Any

from .._redact import mask_url, remember_secret
from ..client import KoreCampaignClient
from ..errors import ConfigurationError
from ..ratelimit import RateLimit, parse_windows
from ..transport import RetryPolicy

__all__ = ["build_client", "db_url", "read_env_file", "resolve_env"]


def read_env_file(path: str) -> dict[str, str]:
    """Parse a dotenv-style file: ``KEY=VALUE`` lines, ``#`` comments, optional ``export``
    prefix and quotes."""
    values: dict[str, str] = {}
    try:
        with open(path) as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise ConfigurationError(f"cannot read --env-file {path}: {exc.strerror}") from None
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


_FLAG_ENV = {
    "host": "KORE_HOST",
    "stream_id": "KORE_STREAM_ID",
    "account_id": "KORE_ACCOUNT_ID",
    "iid": "KORE_IID",
    "client_id": "KORE_CLIENT_ID",
    "client_secret": "KORE_CLIENT_SECRET",
    "token": "KORE_TOKEN",
    "rate_limit": "KORE_RATE_LIMIT",
    "redis_url": "KORE_REDIS_URL",
    "api": "KORE_API",
    "api_edition": "KORE_API_EDITION",
}


def resolve_env(args: argparse.Namespace, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Settings by precedence: flags, then ``--env-file``, then the environment. The secrets
    among them are remembered, so that no line the CLI prints can carry one."""
    env = dict(os.environ if environ is None else environ)
    if getattr(args, "env_file", None):
        env.update(read_env_file(args.env_file))
    for attr, var in _FLAG_ENV.items():
        value = getattr(args, attr, None)
        if value:
            env[var] = value
    if getattr(args, "token", None):  # an explicit token wins over id/secret from elsewhere
        env.pop("KORE_CLIENT_ID", None)
        env.pop("KORE_CLIENT_SECRET", None)
    for var in ("KORE_CLIENT_SECRET", "KORE_TOKEN"):
        remember_secret(env.get(var))
    for var in ("KORE_DB_URL", "KORE_REDIS_URL"):
        if env.get(var):
            mask_url(env[var])  # remembers the password it masks
    return env


def build_client(args: argparse.Namespace, environ: dict[str, str] | None = None) -> KoreCampaignClient:
    """A client from flags, ``--env-file`` and ``KORE_*`` variables."""
    env = resolve_env(args, environ)
    overrides: dict[str, Any] = {
        "max_concurrency": args.concurrency,
        "page_size": args.page_size,
        "timeout": args.timeout,
        # `check` promises a bounded number of requests: no retries, no budget waits
        "retry": RetryPolicy(max_attempts=1, max_budget_wait=0.0)
        if args.command == "check"
        else RetryPolicy(max_attempts=args.max_retries + 1),
        "on_change": getattr(args, "on_change", "raise"),
    }
    spec = env.get("KORE_RATE_LIMIT", "").strip()
    if env.get("KORE_REDIS_URL"):
        from ..ratelimit.shared import RedisRateLimit

        windows = parse_windows(spec) if spec else parse_windows("runtime")
        overrides["rate_limit"] = RedisRateLimit(env["KORE_REDIS_URL"], key=args.rate_limit_key, windows=windows)
    elif spec:
        overrides["rate_limit"] = RateLimit.parse(spec)
    env.pop("KORE_RATE_LIMIT", None)
    try:
        return KoreCampaignClient.from_env(env, **overrides)
    except ConfigurationError as exc:
        if exc.missing:
            flags = ", ".join("--" + k.replace("_", "-") for k, v in _FLAG_ENV.items() if v in exc.missing)
            raise ConfigurationError(
                f"{exc}. Set them in the environment or an --env-file, or pass {flags}.", missing=exc.missing
            ) from None
        raise


def db_url(args: argparse.Namespace) -> str:
    env = resolve_env(args)
    url: str = args.db or env.get("KORE_DB_URL") or "sqlite:///korecampaign.db"
    mask_url(url)  # remembers its password: no line printed can carry it
    return url

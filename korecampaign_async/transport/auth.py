"""Authentication: the ``auth`` header value sent with every request.

Kore.ai public APIs take a JWT signed with the app's client secret whose payload carries
``appId`` (the client id). :class:`JWTAuth` mints such a token with PyJWT, caches it and
mints a fresh one shortly before it expires. :class:`StaticTokenAuth` sends a ready-made
token as is. Neither ever shows a secret or a token in its ``repr``.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Literal, Protocol, runtime_checkable

import jwt
import jwt.warnings

from ..errors import ConfigurationError

__all__ = ["AuthProvider", "JWTAuth", "StaticTokenAuth", "resolve_auth"]

Algorithm = Literal["HS256", "HS512"]
ALGORITHMS: tuple[Algorithm, ...] = ("HS256", "HS512")
#: HMAC keys shorter than the hash are weak (RFC 7518 3.2); PyJWT warns below these.
_MIN_KEY_BYTES = {"HS256": 32, "HS512": 64}

logger = logging.getLogger("korecampaign_async")
_warned_short_secret = False
#: PyJWT 2.11 and later warn about short HMAC keys; older releases (the floor is 2.8) do not.
_KEY_LENGTH_WARNING: type[Warning] | None = getattr(jwt.warnings, "InsecureKeyLengthWarning", None)


@contextlib.contextmanager
def quiet_key_length_warning() -> Iterator[None]:
    """Silence PyJWT's short-key warning inside the block (said once, in our words, instead:
    PyJWT's names its own file); a no-op with a PyJWT that has none."""
    with warnings.catch_warnings():
        if _KEY_LENGTH_WARNING is not None:
            warnings.simplefilter("ignore", _KEY_LENGTH_WARNING)
        yield


def _check_secret_length(secret: str, algorithm: Algorithm) -> None:
    """Say once, in our words, that a secret is shorter than its algorithm wants. Kore issues
    client secrets of 44 characters, so a shorter one is usually a truncated copy."""
    global _warned_short_secret
    size = len(secret.encode())
    minimum = _MIN_KEY_BYTES[algorithm]
    if size < minimum and not _warned_short_secret:
        _warned_short_secret = True
        logger.warning(
            "the client secret is %d bytes, shorter than the %d that %s wants: check that it was copied "
            "whole (Kore's client secrets are 44 characters)",
            size,
            minimum,
            algorithm,
        )


@runtime_checkable
class AuthProvider(Protocol):
    """Anything that can produce the current ``auth`` header value."""

    def token(self) -> str:
        """Return a valid token, minting or refreshing it when needed."""
        ...


class JWTAuth:
    """Mint Kore.ai JWTs from a client id and secret.

    Args:
        client_id: the app's client id (``cs-...``), sent as the ``appId`` claim.
        client_secret: the app's client secret, used as the HMAC key. Never shown.
        algorithm: ``"HS256"`` (default) or ``"HS512"``.
        ttl: lifetime of each minted token, in seconds.
        refresh_margin: mint a new token this many seconds before the cached one expires,
            so a token never expires while a request is in flight.
        clock: returns the current Unix time; injectable for tests.
    """

    __slots__ = ("_cached", "_clock", "_expires_at", "_secret", "algorithm", "client_id", "refresh_margin", "ttl")

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        algorithm: Algorithm = "HS256",
        ttl: int = 3600,
        refresh_margin: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not client_id:
            raise ConfigurationError("JWTAuth needs a client_id", missing=["client_id"])
        if not client_secret:
            raise ConfigurationError("JWTAuth needs a client_secret", missing=["client_secret"])
        if algorithm not in ALGORITHMS:
            raise ConfigurationError(f"JWTAuth algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
        if ttl <= refresh_margin or refresh_margin < 0:
            raise ConfigurationError("JWTAuth needs ttl > refresh_margin >= 0")
        self.client_id = client_id
        self._secret = client_secret
        self.algorithm: Algorithm = algorithm
        self.ttl = ttl
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._cached: str | None = None
        self._expires_at = 0.0
        _check_secret_length(client_secret, algorithm)

    def token(self) -> str:
        """Return the cached token, minting a new one when it is missing or about to expire."""
        now = self._clock()
        if self._cached is None or now >= self._expires_at - self.refresh_margin:
            issued = int(now)
            self._expires_at = issued + self.ttl
            with quiet_key_length_warning():  # said once, in our words, at construction
                self._cached = jwt.encode(
                    {"appId": self.client_id, "iat": issued, "exp": issued + self.ttl},
                    self._secret,
                    algorithm=self.algorithm,
                )
        return self._cached

    def __repr__(self) -> str:
        return f"JWTAuth(client_id={self.client_id!r}, client_secret='***', algorithm={self.algorithm!r})"


class StaticTokenAuth:
    """Send a token obtained elsewhere, unchanged. The token is never shown."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        if not token:
            raise ConfigurationError("an empty token was given", missing=["token"])
        self._token = token

    def token(self) -> str:
        """Return the token given at construction."""
        return self._token

    def __repr__(self) -> str:
        return "StaticTokenAuth(token='***')"


def resolve_auth(auth: AuthProvider | str) -> AuthProvider:
    """Turn the ``auth=`` argument of the client into an :class:`AuthProvider`."""
    if isinstance(auth, str):
        return StaticTokenAuth(auth)
    if isinstance(auth, AuthProvider):
        return auth
    raise ConfigurationError(f"auth must be a token string or have a token() method, got {type(auth).__name__}")

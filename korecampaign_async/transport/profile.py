"""What a client learned about a server, remembered: the **server profile**.

Learning costs requests: the page/skip probe, a refused page size, the 429s that show the rate
windows. A :class:`ServerProfile` keeps what was learned for one ``(host, stream_id)`` (the page/skip
reading and page size of each endpoint, whether 429s carry ``Retry-After``, the rate windows
inferred from 429s), so that the next process spends none of it again.

Where it lives (:class:`ProfileStore`): one small JSON file per ``(host, stream_id)`` in the user's
cache directory (``platformdirs.user_cache_dir("korecampaign")``, or ``KORECAMPAIGN_CACHE_DIR``),
written atomically; and, when the client's budget is a
:class:`~korecampaign_async.ratelimit.RedisRateLimit`, in Redis beside it, so a fleet shares what
one worker learned. A profile file that cannot be read (corrupt, or written by another version) is
ignored with one WARNING; a cache directory that cannot be written is one WARNING and the profile
lives in memory only: remembering is never a reason to fail.

Every fact is evidence the server can contradict, and a contradiction wins: a reading a page
answers against, a page size refused, a 429 below the remembered windows; the fact is then learned
again (see the callers: :mod:`korecampaign_async.client`, :mod:`korecampaign_async.paging.stream`,
:mod:`korecampaign_async.ratelimit.concurrency`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from pathlib import Path
from typing import Any

import msgspec

from .._files import write_json_atomically

__all__ = ["CACHE_DIR_ENV", "PROFILE_VERSION", "ProfileStore", "ServerProfile"]

logger = logging.getLogger("korecampaign_async")

#: Bumped when the meaning of a field changes: a profile of another version is ignored.
PROFILE_VERSION = 1
#: Environment variable overriding the cache directory.
CACHE_DIR_ENV = "KORECAMPAIGN_CACHE_DIR"


class ServerProfile(msgspec.Struct, kw_only=True):
    """What one ``(host, stream_id)`` was seen to do.

    Attributes:
        version: :data:`PROFILE_VERSION` when written.
        host, stream_id: whose profile it is.
        updated_at: when it last changed (``time.time()``).
        readings: per endpoint taking ``page`` and ``skip``, which one the server reads.
        echoes: per such endpoint, whether its answers echo the offset (``"skip"``) or not (``"none"``).
        page_sizes: per endpoint without a documented maximum, the page size it honours.
        retry_after: whether its 429s carry ``Retry-After`` (``None``: no 429 seen).
        windows: the rolling windows its 429s showed, ``[[requests, seconds], ...]``.
        edition: for a Contact Center server, how it is addressed (``"iid"`` or ``"stream"``,
            see :mod:`korecampaign_async.transport.flavour`).
    """

    version: int = PROFILE_VERSION
    host: str = ""
    stream_id: str = ""
    updated_at: float = 0.0
    readings: dict[str, str] = {}
    echoes: dict[str, str] = {}
    page_sizes: dict[str, int] = {}
    retry_after: bool | None = None
    windows: list[tuple[int, float]] = []
    edition: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (``korecampaign check --json``)."""
        doc: dict[str, Any] = msgspec.to_builtins(self)
        return doc

    @property
    def empty(self) -> bool:
        """Nothing learned yet."""
        return not (self.readings or self.page_sizes or self.windows or self.edition) and self.retry_after is None


_decode = msgspec.json.Decoder(ServerProfile)


def default_cache_dir() -> str:
    """``KORECAMPAIGN_CACHE_DIR``, else the platform's user cache directory for korecampaign."""
    configured = os.environ.get(CACHE_DIR_ENV, "").strip()
    if configured:
        return configured
    import platformdirs

    return str(platformdirs.user_cache_dir("korecampaign", appauthor=False))


class ProfileStore:
    """Server profiles in a directory (and in Redis, through a shared budget that offers it).

    Args:
        directory: where the files go (default: :func:`default_cache_dir`, read when first
            needed, so ``KORECAMPAIGN_CACHE_DIR`` may be set after import). ``None`` with
            ``persist=False``: memory only.
        persist: write files at all.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, *, persist: bool = True) -> None:
        self._directory = os.fspath(directory) if directory is not None else None
        self.persist = persist
        self._warned: set[str] = set()  # one warning per cause and store

    @property
    def directory(self) -> str:
        """The directory of the profile files."""
        if self._directory is None:
            self._directory = os.path.join(default_cache_dir(), "profiles")
        return self._directory

    def path_for(self, host: str, stream_id: str) -> str:
        """The file of ``(host, stream_id)``'s profile."""
        digest = hashlib.sha256(f"{host}\n{stream_id}".encode()).hexdigest()[:24]
        return os.path.join(self.directory, f"{digest}.json")

    def _warn_once(self, cause: str, message: str, *args: Any) -> None:
        if cause not in self._warned:
            self._warned.add(cause)
            logger.warning(message, *args)

    def decode(self, data: bytes | str, where: str, host: str, stream_id: str) -> ServerProfile | None:
        """A profile from ``data``, or ``None`` (with one WARNING) when it is not one of ours:
        not JSON, another version, or another server's."""
        try:
            profile = _decode.decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._warn_once("corrupt", "server profile %s is not readable (%s): ignored, learned again", where, exc)
            return None
        if profile.version != PROFILE_VERSION:
            self._warn_once(
                "version",
                "server profile %s has version %s, this korecampaign-async writes %s: ignored, learned again",
                where,
                profile.version,
                PROFILE_VERSION,
            )
            return None
        if (profile.host, profile.stream_id) != (host, stream_id):
            self._warn_once("foreign", "server profile %s belongs to another server: ignored", where)
            return None
        return profile

    def load(self, host: str, stream_id: str) -> ServerProfile | None:
        """The saved profile of ``(host, stream_id)``, or ``None``."""
        if not self.persist:
            return None
        path = self.path_for(host, stream_id)
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._warn_once("read", "server profile %s cannot be read (%s): learned again", path, exc.strerror)
            return None
        return self.decode(data, path, host, stream_id)

    def save(self, profile: ServerProfile) -> None:
        """Write ``profile`` atomically; an unwritable directory is one WARNING (memory only)."""
        if not self.persist:
            return
        path = self.path_for(profile.host, profile.stream_id)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_json_atomically(path, msgspec.to_builtins(profile))
        except OSError as exc:
            self._warn_once(
                "write",
                "the server profile cannot be saved in %s (%s): what this client learns is kept in memory only",
                os.path.dirname(path),
                exc.strerror or exc,
            )

    def forget(self, host: str, stream_id: str) -> bool:
        """Delete the saved profile of ``(host, stream_id)``; whether there was one."""
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path_for(host, stream_id))
            return True
        return False

    def __repr__(self) -> str:
        return f"ProfileStore({self._directory!r}, persist={self.persist})"


def touched(profile: ServerProfile) -> ServerProfile:
    """``profile`` with ``updated_at`` now."""
    profile.updated_at = round(time.time(), 3)
    return profile

"""The embedded default destination: one SQLite file, zero setup.

stdlib ``sqlite3`` runs on one dedicated thread (a connection belongs to one thread, and
SQLite serialises writers anyway), so the event loop keeps fetching pages while a page is
written: fetching and writing overlap. WAL mode lets readers (a dashboard, ``sqlite3``
in a shell) read while a sync writes. Each method is one ``BEGIN IMMEDIATE`` transaction
committing the batch's rows *and* the run's progress, so ``kill -9`` at any moment leaves
the file as before or after that batch. Two syncs of one bot are kept apart by an
exclusive ``flock`` on a lock file beside the database (released by the kernel when a
process dies, so a killed sync never leaves a stale lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from ..errors import SchemaVersionError, StoreError, StoreLockedError
from ..models.records import Campaign, CampaignContact, Contact
from . import CampaignSyncState, ListSyncState, RunCounts, WriteCounts
from .ordinals import KeyedRows
from .schema import CONTACT_COLUMNS, CONTACT_FIELDS, SCHEMA_VERSION, SQLITE_DDL, contact_values

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["SQLiteStore"]

T = TypeVar("T")
_encode = msgspec.json.Encoder().encode
_RUN_FIELDS = tuple(RunCounts.__dataclass_fields__)


def ts(value: datetime | None) -> str | None:
    """ISO-8601 UTC text with milliseconds (sorts as time does)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _time(text: str | None) -> datetime | None:
    """A stored :func:`ts` text back as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


#: ``campaign_contacts`` columns a new row's parameters fill, in :func:`_insert_contacts` order.
_ROW_COLUMNS = ("ordinal", *(f.name for f in msgspec.structs.fields(CampaignContact)))
_CODES = _ROW_COLUMNS.index("agent_disposition_codes")
#: Rows per multi-row ``INSERT`` at most (fewer when the library allows fewer parameters;
#: before 3.8.8 a VALUES list counted as a compound SELECT, limited to 500 terms).
_VALUES_ROWS = 1024 if sqlite3.sqlite_version_info >= (3, 8, 8) else 256
_INSERT_CONTACTS = (
    f"INSERT INTO campaign_contacts ({', '.join(CONTACT_COLUMNS)})",
    "(?1,?2," + ",".join(f"{{{_ROW_COLUMNS.index(c)}}}" for c in CONTACT_COLUMNS[2:-3]) + ",?3,?3,?3)",
    "",
)
_INSERT_DIGESTS = (
    "INSERT INTO page_digests (stream_id, campaign_id, page, digest)",
    "(?1,?2,{0},{1})",
    " ON CONFLICT (stream_id, campaign_id, page) DO UPDATE SET digest = excluded.digest",
)


@functools.lru_cache(maxsize=64)
def _values_sql(statement: tuple[str, str, str], fixed: int, width: int, rows: int) -> str:
    """``INSERT ... VALUES (...), (...)`` of ``rows`` rows: ``?1``-``?fixed`` are shared by every
    row (the stream, the campaign, the time), then ``width`` numbered parameters per row that
    the row template places (``{k}`` is the row's k-th), so flat parameters need no reordering."""
    insert, row, suffix = statement
    values = ",".join(row.format(*(f"?{fixed + 1 + width * j + k}" for k in range(width))) for j in range(rows))
    return f"{insert} VALUES {values}{suffix}"


def _max_parameters(conn: sqlite3.Connection) -> int:
    """Parameters one statement may bind: 999 before SQLite 3.32, 32,766 since (builds differ)."""
    return conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


def _insert_values(
    conn: sqlite3.Connection,
    statement: tuple[str, str, str],
    head: list[Any],
    flat: list[Any],
    width: int,
    max_parameters: int,
) -> None:
    """Insert the rows of ``flat`` (``width`` values each) with multi-row ``INSERT ... VALUES``
    statements. The parameters are bound in C and SQLite inserts the whole statement with the
    GIL released, where ``executemany`` takes the GIL back for every row, each time beside an
    event loop decoding pages (docs/api-notes.md has the measurements). Rows go in
    statements of a power of two rows (the largest the parameter limit allows, at most
    :data:`_VALUES_ROWS`), so a handful of prepared statements serve every batch size (the
    connection's statement cache keeps them)."""
    chunk = _VALUES_ROWS
    while chunk > 1 and len(head) + width * chunk > max_parameters:
        chunk //= 2
    start, left = 0, len(flat) // width
    while left:
        size = chunk
        while size > left:
            size //= 2
        sql = _values_sql(statement, len(head), width, size)
        conn.execute(sql, head + flat[start * width : (start + size) * width])
        start += size
        left -= size


def _insert_contacts(
    conn: sqlite3.Connection,
    stream_id: str,
    campaign_id: str,
    now: str | None,
    rows: Sequence[tuple[int, CampaignContact]],
    max_parameters: int,
) -> None:
    """New ``campaign_contacts`` rows: ``[ordinal, *fields]`` of each (the disposition codes as
    JSON text), inserted by :func:`_insert_values`."""
    # One tuple per row (the struct's), not four (its slices and their join): at 1M rows the
    # cyclic GC runs for every 700 tuples created, and each pass shares the GIL with the loop.
    astuple = msgspec.structs.astuple
    width = len(_ROW_COLUMNS)
    flat: list[Any] = [None] * (width * len(rows))
    if isinstance(rows, KeyedRows):  # the sync's batches: no pairs to take apart
        flat[0::width], structs = rows.ordinals, rows.rows
    else:
        flat[0::width] = [ordinal for ordinal, _ in rows]
        structs = [row for _, row in rows]
    for j, row in enumerate(structs):
        start = j * width + 1
        flat[start : start + width - 1] = astuple(row)
    flat[_CODES::width] = [_encode(codes).decode() for codes in flat[_CODES::width]]
    _insert_values(conn, _INSERT_CONTACTS, [stream_id, campaign_id, now], flat, width, max_parameters)


def _store_digests(
    conn: sqlite3.Connection,
    stream_id: str,
    campaign_id: str,
    digests: Sequence[tuple[int, bytes]],
    max_parameters: int,
) -> None:
    """Record the digest of each page written (in the transaction that wrote its rows)."""
    flat = [value for pair in digests for value in pair]
    _insert_values(conn, _INSERT_DIGESTS, [stream_id, campaign_id], flat, 2, max_parameters)


def _unfinished(conn: sqlite3.Connection, stream_id: str, campaign_id: str) -> None:
    """A write starts a pass that is not complete until ``finish_campaign_contacts``: a pass
    killed after it must not look complete to the next one."""
    conn.execute(
        "UPDATE campaign_sync_state SET complete = 0 WHERE stream_id = ? AND campaign_id = ?",
        (stream_id, campaign_id),
    )


class SQLiteStore:
    """Sync into the SQLite file at ``path`` (created with its schema on first use).

    Args:
        path: the database file.
        busy_timeout: seconds a statement waits for another writer (another bot's sync)."""

    def __init__(self, path: str, *, busy_timeout: float = 30.0) -> None:
        if not path or path == ":memory:":
            raise StoreError("SQLiteStore needs a file path (a sync must survive its process)")
        self.path = path
        self.url = f"sqlite:///{path}"
        self.busy_timeout = busy_timeout
        self._conn: sqlite3.Connection | None = None
        self._max_parameters = 999
        self._executor: ThreadPoolExecutor | None = None

    @classmethod
    def from_url(cls, url: str) -> SQLiteStore:
        """``sqlite:///relative.db`` or ``sqlite:////absolute/path.db``."""
        match = re.fullmatch(r"sqlite:///(.+)", url)
        if not match:
            raise StoreError(f"a SQLite URL looks like sqlite:///FILE.db, got {url!r}")
        return cls(match.group(1))

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    # -- plumbing ---------------------------------------------------------------------------
    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise StoreError(f"{self.url} is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.url} is not open")
        return self._conn

    @contextlib.contextmanager
    def _transaction(self) -> Any:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- lifecycle ----------------------------------------------------------------------------
    async def open(self) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="korecampaign-sqlite")
        await self._run(self._open)

    def _open(self) -> None:
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise StoreError(f"{self.url}: the directory {directory} does not exist")
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=self.busy_timeout)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-32768")  # 32 MiB of pages: inserts into a big key index stay in memory
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.Error as exc:
            raise StoreError(f"{self.url}: cannot open the database: {exc}") from None
        self._conn = conn
        self._max_parameters = _max_parameters(conn)
        if "schema_version" in tables and self._check_version(conn) == SCHEMA_VERSION:
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            # another process may have created it meanwhile: look again inside the transaction
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "schema_version" not in tables or self._check_version(conn) < SCHEMA_VERSION:
                for statement in SQLITE_DDL.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (SCHEMA_VERSION, ts(datetime.now(UTC))),
                )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise StoreError(f"{self.url}: cannot create the schema: {exc}") from None

    def _check_version(self, conn: sqlite3.Connection) -> int:
        found = int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.url} has schema version {found}, newer than this korecampaign-async understands "
                f"({SCHEMA_VERSION}): upgrade korecampaign-async, or sync into another database"
            )
        return found

    async def close(self) -> None:
        if self._executor is None:
            return
        conn, self._conn = self._conn, None
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)
        self._executor = None

    @contextlib.asynccontextmanager
    async def lock(self, stream_id: str, timeout: float) -> AsyncIterator[None]:  # noqa: ASYNC109 - bounds the wait for the lock, not the block
        """Hold the bot's lock file for the block; wait at most ``timeout`` seconds for it."""
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", stream_id)
        path = f"{self.path}.{safe}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + timeout
            while fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise StoreLockedError(
                            f"another sync of {stream_id} is running on {self.url} "
                            f"(waited {timeout:g}s; raise --lock-timeout to wait longer)"
                        ) from None
                    await asyncio.sleep(0.1)
            yield
        finally:
            os.close(fd)  # releases the flock

    # -- runs ---------------------------------------------------------------------------------
    async def begin_run(self, stream_id: str, started_at: datetime) -> int:
        def run() -> int:
            with self._transaction() as conn:
                # we hold the bot's lock: a run still marked running was killed
                conn.execute(
                    "UPDATE sync_runs SET status = 'interrupted' WHERE stream_id = ? AND status = 'running'",
                    (stream_id,),
                )
                cur = conn.execute(
                    "INSERT INTO sync_runs (stream_id, started_at, status) VALUES (?, ?, 'running')",
                    (stream_id, ts(started_at)),
                )
                return int(cur.lastrowid or 0)

        return await self._run(run)

    def _save_counts(self, conn: sqlite3.Connection, run_id: int, counts: RunCounts) -> None:
        assignments = ", ".join(f"{name} = ?" for name in _RUN_FIELDS)
        values = [getattr(counts, name) for name in _RUN_FIELDS]
        conn.execute(f"UPDATE sync_runs SET {assignments} WHERE run_id = ?", (*values, run_id))

    async def finish_run(
        self, run_id: int, counts: RunCounts, status: str, finished_at: datetime, error: str | None
    ) -> None:
        def run() -> None:
            with self._transaction() as conn:
                self._save_counts(conn, run_id, counts)
                conn.execute(
                    "UPDATE sync_runs SET status = ?, finished_at = ?, error = ? WHERE run_id = ?",
                    (status, ts(finished_at), error, run_id),
                )

        await self._run(run)

    async def sync_states(self, stream_id: str) -> dict[str, CampaignSyncState]:
        def run() -> dict[str, CampaignSyncState]:
            rows = self.conn.execute(
                "SELECT s.campaign_id, s.status, s.complete, s.rows, s.synced_at, f.fingerprint "
                "FROM campaign_sync_state s LEFT JOIN pass_fingerprints f ON f.stream_id = s.stream_id "
                "AND f.kind = 'campaign' AND f.object_id = s.campaign_id WHERE s.stream_id = ?",
                (stream_id,),
            ).fetchall()
            return {
                cid: CampaignSyncState(cid, status, bool(complete), n, _time(at), fingerprint)
                for cid, status, complete, n, at, fingerprint in rows
            }

        return await self._run(run)

    async def list_states(self, stream_id: str) -> dict[str, ListSyncState]:
        def run() -> dict[str, ListSyncState]:
            rows = self.conn.execute(
                "SELECT object_id, fingerprint, passed_at FROM pass_fingerprints WHERE stream_id = ? AND kind = 'list'",
                (stream_id,),
            ).fetchall()
            return {lid: ListSyncState(lid, fingerprint, _time(at)) for lid, fingerprint, at in rows}

        return await self._run(run)

    @staticmethod
    def _store_fingerprint(
        conn: sqlite3.Connection, stream_id: str, kind: str, object_id: str, fingerprint: str | None, now: str | None
    ) -> None:
        if fingerprint is None:
            return
        conn.execute(
            "INSERT INTO pass_fingerprints (stream_id, kind, object_id, fingerprint, passed_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (stream_id, kind, object_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
            "passed_at = excluded.passed_at",
            (stream_id, kind, object_id, fingerprint, now),
        )

    # -- campaigns ----------------------------------------------------------------------------
    async def write_campaigns(
        self, stream_id: str, run_id: int, campaigns: Sequence[tuple[str, Campaign]], at: datetime, counts: RunCounts
    ) -> WriteCounts:
        def run() -> WriteCounts:
            now = ts(at)
            result = WriteCounts()
            with self._transaction() as conn:
                ids = [c.id for _, c in campaigns if c.id]
                stored = dict(
                    conn.execute(
                        f"SELECT campaign_id, raw FROM campaigns WHERE stream_id = ? AND campaign_id IN "
                        f"({','.join('?' * len(ids))})",
                        (stream_id, *ids),
                    ).fetchall()
                )
                for kind, c in campaigns:
                    if not c.id:
                        continue
                    raw = _encode(c).decode()
                    values = (
                        kind,
                        c.name,
                        c.description,
                        c.status,
                        None if c.priority is None else str(c.priority),
                        c.dialing_mode,
                        c.format,
                        c.experience_flow,
                        ts(c.created_at),
                        ts(c.updated_at),
                        ts(c.campaign_instance_updated_at),
                        json.dumps(c.contact_lists),
                        raw,
                    )
                    old = stored.get(c.id)
                    if old is None:
                        conn.execute(
                            "INSERT INTO campaigns (stream_id, campaign_id, type, name, description, status, priority, "
                            "dialing_mode, format, experience_flow, created_at, updated_at, "
                            "campaign_instance_updated_at, contact_lists, raw, first_seen_at, last_changed_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (stream_id, c.id, *values, now, now),
                        )
                        result.inserted += 1
                    elif old != raw:
                        conn.execute(
                            "UPDATE campaigns SET type = ?, name = ?, description = ?, status = ?, priority = ?, "
                            "dialing_mode = ?, format = ?, experience_flow = ?, created_at = ?, updated_at = ?, "
                            "campaign_instance_updated_at = ?, contact_lists = ?, raw = ?, last_changed_at = ? "
                            "WHERE stream_id = ? AND campaign_id = ?",
                            (*values, now, stream_id, c.id),
                        )
                        result.updated += 1
                    else:
                        result.unchanged += 1
                counts.campaigns_seen += len(campaigns)
                counts.campaigns_changed += result.inserted + result.updated
                self._save_counts(conn, run_id, counts)
            return result

        return await self._run(run)

    # -- campaign contacts --------------------------------------------------------------------
    async def write_campaign_contacts(
        self,
        stream_id: str,
        run_id: int,
        campaign_id: str,
        rows: Sequence[tuple[int, CampaignContact]],
        at: datetime,
        counts: RunCounts,
        digests: Sequence[tuple[int, bytes]] = (),
        fresh: bool = False,
    ) -> WriteCounts:
        if fresh:
            return await self._insert_new_contacts(stream_id, run_id, campaign_id, rows, at, counts, digests)

        def run() -> WriteCounts:
            now = ts(at)
            result = WriteCounts()
            phones = list({r.phone_number for _, r in rows})
            fields = ", ".join(CONTACT_FIELDS)
            with self._transaction() as conn:
                _unfinished(conn, stream_id, campaign_id)
                known = conn.execute(
                    "SELECT 1 FROM campaign_contacts WHERE stream_id = ? AND campaign_id = ? LIMIT 1",
                    (stream_id, campaign_id),
                ).fetchone()
                # a campaign without stored rows (its first sync) has nothing to compare with
                stored = (
                    {
                        (row[0], row[1]): (row[2:-1], row[-1])
                        for row in conn.execute(
                            f"SELECT phone_number, ordinal, {fields}, gone_at FROM campaign_contacts "
                            f"WHERE stream_id = ? AND campaign_id = ? "
                            f"AND phone_number IN ({','.join('?' * len(phones))})",
                            (stream_id, campaign_id, *phones),
                        )
                    }
                    if known
                    else {}
                )
                inserts: list[tuple[int, CampaignContact]] = []
                updates, changes = [], []
                for ordinal, row in rows:
                    old = stored.get((row.phone_number, ordinal))
                    if old is None:
                        inserts.append((ordinal, row))
                        continue
                    values = contact_values(row)
                    before, gone_at = old
                    if tuple(before) == values and gone_at is None:
                        result.unchanged += 1
                        continue
                    updates.append((*values, now, now, stream_id, campaign_id, row.phone_number, ordinal))
                    result.updated += 1
                    changed = [f for f, a, b in zip(CONTACT_FIELDS, before, values, strict=True) if a != b]
                    if changed:
                        changes.append(
                            (
                                stream_id,
                                campaign_id,
                                row.phone_number,
                                ordinal,
                                ",".join(changed),
                                json.dumps(dict(zip(CONTACT_FIELDS, before, strict=True))),
                                json.dumps(dict(zip(CONTACT_FIELDS, values, strict=True))),
                                before[1],
                                values[1],
                                now,
                                run_id,
                            )
                        )
                _insert_contacts(conn, stream_id, campaign_id, now, inserts, self._max_parameters)
                result.inserted = len(inserts)
                sets = ", ".join(f"{f} = ?" for f in CONTACT_FIELDS)
                conn.executemany(
                    f"UPDATE campaign_contacts SET {sets}, last_seen_at = ?, last_changed_at = ?, gone_at = NULL "
                    "WHERE stream_id = ? AND campaign_id = ? AND phone_number = ? AND ordinal = ?",
                    updates,
                )
                conn.executemany(
                    "INSERT INTO contact_status_changes (stream_id, campaign_id, phone_number, ordinal, "
                    "changed_fields, before, after, dialer_outcome_before, dialer_outcome_after, observed_at, run_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    changes,
                )
                _store_digests(conn, stream_id, campaign_id, digests, self._max_parameters)
                counts.contacts_inserted += result.inserted
                counts.contacts_updated += result.updated
                counts.contacts_unchanged += result.unchanged
                self._save_counts(conn, run_id, counts)
            return result

        return await self._run(run)

    async def _insert_new_contacts(
        self,
        stream_id: str,
        run_id: int,
        campaign_id: str,
        rows: Sequence[tuple[int, CampaignContact]],
        at: datetime,
        counts: RunCounts,
        digests: Sequence[tuple[int, bytes]],
    ) -> WriteCounts:
        """A fresh campaign's rows, inserted without comparing (see :func:`_insert_contacts`)."""

        def run() -> WriteCounts:
            with self._transaction() as conn:
                _unfinished(conn, stream_id, campaign_id)
                _insert_contacts(conn, stream_id, campaign_id, ts(at), rows, self._max_parameters)
                _store_digests(conn, stream_id, campaign_id, digests, self._max_parameters)
                counts.contacts_inserted += len(rows)
                self._save_counts(conn, run_id, counts)
            return WriteCounts(inserted=len(rows))

        return await self._run(run)

    async def finish_campaign_contacts(
        self,
        stream_id: str,
        run_id: int,
        campaign_id: str,
        seen: AbstractSet[tuple[str, int]] | None,
        status: str | None,
        at: datetime,
        counts: RunCounts,
        pages: int | None = None,
        rows: int | None = None,
        fingerprint: str | None = None,
    ) -> int:
        total = len(seen) if seen is not None else (rows or 0)

        def run() -> int:
            now = ts(at)
            with self._transaction() as conn:
                if pages is not None:  # pages past the end no longer exist
                    conn.execute(
                        "DELETE FROM page_digests WHERE stream_id = ? AND campaign_id = ? AND page > ?",
                        (stream_id, campaign_id, pages),
                    )
                gone: list[tuple[str, int]] = []
                if seen is not None:  # a fresh pass inserted every row it saw: nothing is gone
                    present = conn.execute(
                        "SELECT phone_number, ordinal FROM campaign_contacts "
                        "WHERE stream_id = ? AND campaign_id = ? AND gone_at IS NULL",
                        (stream_id, campaign_id),
                    ).fetchall()
                    gone = [key for key in present if key not in seen]
                conn.executemany(
                    "UPDATE campaign_contacts SET gone_at = ? "
                    "WHERE stream_id = ? AND campaign_id = ? AND phone_number = ? AND ordinal = ?",
                    [(now, stream_id, campaign_id, phone, ordinal) for phone, ordinal in gone],
                )
                conn.execute(
                    "INSERT INTO campaign_sync_state "
                    "(stream_id, campaign_id, status, complete, rows, synced_at, run_id) "
                    "VALUES (?, ?, ?, 1, ?, ?, ?) ON CONFLICT (stream_id, campaign_id) DO UPDATE SET "
                    "status = excluded.status, complete = 1, rows = excluded.rows, synced_at = excluded.synced_at, "
                    "run_id = excluded.run_id",
                    (stream_id, campaign_id, status, total, now, run_id),
                )
                self._store_fingerprint(conn, stream_id, "campaign", campaign_id, fingerprint, now)
                counts.contacts_gone += len(gone)
                self._save_counts(conn, run_id, counts)
            return len(gone)

        return await self._run(run)

    async def page_digests(self, stream_id: str, campaign_id: str) -> dict[int, bytes]:
        def run() -> dict[int, bytes]:
            return {
                page: bytes(digest)
                for page, digest in self.conn.execute(
                    "SELECT page, digest FROM page_digests WHERE stream_id = ? AND campaign_id = ?",
                    (stream_id, campaign_id),
                )
            }

        return await self._run(run)

    # -- contact lists ------------------------------------------------------------------------
    async def write_list_contacts(
        self, stream_id: str, run_id: int, list_id: str, rows: Sequence[Contact], at: datetime, counts: RunCounts
    ) -> WriteCounts:
        def run() -> WriteCounts:
            now = ts(at)
            result = WriteCounts()
            ids = [r.id for r in rows if r.id]
            with self._transaction() as conn:
                stored = {
                    row[0]: (row[1:4], row[4])
                    for row in conn.execute(
                        "SELECT contact_id, phone_number, created_at, updated_at, gone_at FROM contact_list_contacts "
                        f"WHERE stream_id = ? AND list_id = ? AND contact_id IN ({','.join('?' * len(ids))})",
                        (stream_id, list_id, *ids),
                    )
                }
                for row in rows:
                    if not row.id:
                        continue
                    values = (row.phone_number, ts(row.created_at), ts(row.updated_at))
                    old = stored.get(row.id)
                    if old is None:
                        conn.execute(
                            "INSERT INTO contact_list_contacts (stream_id, list_id, contact_id, phone_number, "
                            "created_at, updated_at, first_seen_at, last_seen_at, last_changed_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (stream_id, list_id, row.id, *values, now, now, now),
                        )
                        result.inserted += 1
                    elif tuple(old[0]) != values or old[1] is not None:
                        conn.execute(
                            "UPDATE contact_list_contacts SET phone_number = ?, created_at = ?, updated_at = ?, "
                            "last_seen_at = ?, last_changed_at = ?, gone_at = NULL "
                            "WHERE stream_id = ? AND list_id = ? AND contact_id = ?",
                            (*values, now, now, stream_id, list_id, row.id),
                        )
                        result.updated += 1
                    else:
                        result.unchanged += 1
                counts.list_contacts_inserted += result.inserted
                counts.list_contacts_updated += result.updated
                counts.list_contacts_unchanged += result.unchanged
                self._save_counts(conn, run_id, counts)
            return result

        return await self._run(run)

    async def finish_list_contacts(
        self,
        stream_id: str,
        run_id: int,
        list_id: str,
        seen: set[str],
        at: datetime,
        counts: RunCounts,
        fingerprint: str | None = None,
    ) -> int:
        def run() -> int:
            now = ts(at)
            with self._transaction() as conn:
                present = conn.execute(
                    "SELECT contact_id FROM contact_list_contacts WHERE stream_id = ? AND list_id = ? "
                    "AND gone_at IS NULL",
                    (stream_id, list_id),
                ).fetchall()
                gone = [cid for (cid,) in present if cid not in seen]
                conn.executemany(
                    "UPDATE contact_list_contacts SET gone_at = ? WHERE stream_id = ? AND list_id = ? "
                    "AND contact_id = ?",
                    [(now, stream_id, list_id, cid) for cid in gone],
                )
                self._store_fingerprint(conn, stream_id, "list", list_id, fingerprint, now)
                counts.list_contacts_gone += len(gone)
                self._save_counts(conn, run_id, counts)
            return len(gone)

        return await self._run(run)

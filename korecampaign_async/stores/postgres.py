"""PostgreSQL for teams: asyncpg (extra ``postgres``).

A batch of changed pages goes in with binary ``COPY`` into a temporary staging table, then
set-based SQL does the rest in the same transaction: one ``INSERT … SELECT`` records the
history of the rows whose outcome changed, one ``INSERT … ON CONFLICT … DO UPDATE … WHERE …
IS DISTINCT FROM`` upserts only what changed (``RETURNING (xmax = 0)`` tells inserts from
updates), and the run's progress is updated: no row-by-row ``executemany``. A campaign's
first pass has nothing to compare: each batch is one statement (:data:`_INSERT_NEW`), one
round trip. Syncs of one bot are kept apart by a session-level advisory lock on a connection
of its own (released by the server when a killed process's connection drops); syncs of
different bots run concurrently in one database.

**The server going away mid-sync** (a restart, a failover, a cut connection): each method is
one transaction, so the one that failed either committed or left nothing. The store
reconnects with exponential backoff (0.1 s doubling to 5 s) for up to ``reconnect_timeout``
seconds, takes the bot's lock again (another sync that took it meanwhile: ``StoreLockedError``),
and runs the method again: the upserts compare with what is stored, so a transaction that did
commit before the connection dropped changes nothing the second time (a fresh batch, a plain
insert, is first looked up by its page digests, written in the same transaction). The sync
goes on from the last committed batch; past the timeout, :class:`StoreUnavailableError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from ..errors import SchemaVersionError, StoreError, StoreLockedError, StoreUnavailableError
from ..models.records import Campaign, CampaignContact, Contact
from . import CampaignSyncState, ListSyncState, RunCounts, WriteCounts, mask_url
from .schema import (
    CONTACT_COLUMNS,
    CONTACT_FIELDS,
    PAYLOAD_FIELDS,
    POSTGRES_DDL,
    SCHEMA_VERSION,
    contact_values,
    contacts_payload,
)

__all__ = ["PostgresStore"]

logger = logging.getLogger("korecampaign_async")
T = TypeVar("T")

_encode = msgspec.json.Encoder().encode
_RUN_FIELDS = tuple(RunCounts.__dataclass_fields__)
_SCHEMA_LOCK = 0x6B6F72656361  # "koreca": serialises schema creation between processes

_FIELDS = ", ".join(CONTACT_FIELDS)
_DIFFERS = (
    "("
    + ", ".join(f"c.{f}" for f in CONTACT_FIELDS)
    + ") IS DISTINCT FROM ("
    + ", ".join(f"s.{f}" for f in CONTACT_FIELDS)
    + ")"
)
_CHANGED_FIELDS = (
    "concat_ws(',', "
    + ", ".join(f"CASE WHEN c.{f} IS DISTINCT FROM s.{f} THEN '{f}' END" for f in CONTACT_FIELDS)
    + ")"
)


def _json_object(alias: str) -> str:
    return "jsonb_build_object(" + ", ".join(f"'{f}', {alias}.{f}" for f in CONTACT_FIELDS) + ")"


def _lock_key(stream_id: str) -> int:
    """A stable signed 64-bit advisory-lock key for a bot."""
    digest = hashlib.sha256(f"korecampaign-sync:{stream_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_TYPES = {"ordinal": "::integer", "number_of_attempts_so_far": "::integer"}
#: phone_number, ordinal and the contact fields of one payload row ``e`` (schema.PAYLOAD_FIELDS)
_FROM_JSON = ", ".join(
    f"(e->{PAYLOAD_FIELDS.index(c)})"
    if c == "agent_disposition_codes"
    else f"(e->>{PAYLOAD_FIELDS.index(c)}){_TYPES.get(c, '')}"
    for c in ("phone_number", "ordinal", *CONTACT_FIELDS)
)


#: :meth:`PostgresStore._insert_new_contacts`: $1 stream, $2 campaign, $3 time, $4 the rows
#: (:func:`~korecampaign_async.stores.schema.contacts_payload`, parsed by the server), $5/$6 the
#: pages and their digests, $7 the run, then its counts (``RunCounts`` order).
_INSERT_NEW = (
    "WITH unfinished AS (UPDATE campaign_sync_state SET complete = false "
    "WHERE stream_id = $1 AND campaign_id = $2), "
    f"contacts AS (INSERT INTO campaign_contacts ({', '.join(CONTACT_COLUMNS)}) "
    f"SELECT $1, $2, {_FROM_JSON}, $3, $3, $3 FROM jsonb_array_elements($4::jsonb) e), "
    "digests AS (INSERT INTO page_digests (stream_id, campaign_id, page, digest) "
    "SELECT $1, $2, page, digest FROM unnest($5::integer[], $6::bytea[]) AS d (page, digest) "
    "ON CONFLICT (stream_id, campaign_id, page) DO UPDATE SET digest = EXCLUDED.digest) "
    "UPDATE sync_runs SET "
    + ", ".join(f"{name} = ${i}" for i, name in enumerate(_RUN_FIELDS, 8))
    + " WHERE run_id = $7"
)


class PostgresStore:
    """Sync into the PostgreSQL database at ``dsn`` (``postgresql://user:password@host/db``).

    Args:
        dsn: the connection URL; its password never appears in errors, logs or ``sync_runs``.
        connect_timeout: seconds to wait for the server.
        reconnect_timeout: how long a sync waits for a server that went away mid-sync (see
            the module docstring) before :class:`StoreUnavailableError`; 0 = not at all."""

    def __init__(self, dsn: str, *, connect_timeout: float = 10.0, reconnect_timeout: float = 60.0) -> None:
        self.dsn = dsn
        self.url = mask_url(dsn)
        self.connect_timeout = connect_timeout
        self.reconnect_timeout = reconnect_timeout
        self._conn: Any = None
        self._lock_conn: Any = None
        self._lock_key: int | None = None
        self._lock_stream: str | None = None
        self._gave_up = False  # past reconnect_timeout: the run's end is recorded with one try

    def __repr__(self) -> str:
        return f"PostgresStore({self.url!r})"

    async def _connect(self) -> Any:
        try:
            import asyncpg
        except ImportError:
            raise StoreError("the PostgreSQL store needs asyncpg: pip install 'korecampaign-async[postgres]'") from None
        try:
            return await asyncpg.connect(self.dsn, timeout=self.connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise StoreError(f"{self.url}: cannot connect: {exc}") from None
        except asyncpg.PostgresError as exc:
            raise StoreError(f"{self.url}: refused: {exc}") from None
        except (ValueError, asyncpg.InterfaceError) as exc:
            raise StoreError(f"{self.url}: not a usable PostgreSQL URL: {type(exc).__name__}") from None

    @property
    def conn(self) -> Any:
        if self._conn is None:
            raise StoreError(f"{self.url} is not open")
        return self._conn

    # -- lifecycle ----------------------------------------------------------------------------
    async def open(self) -> None:
        if self._conn is not None:
            return
        conn = await self._connect()
        try:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
                exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
                found = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version") if exists else 0
                if found > SCHEMA_VERSION:
                    raise SchemaVersionError(
                        f"{self.url} has schema version {found}, newer than this korecampaign-async understands "
                        f"({SCHEMA_VERSION}): upgrade korecampaign-async, or sync into another database"
                    )
                if found < SCHEMA_VERSION:
                    await conn.execute(POSTGRES_DDL)
                    await conn.execute(
                        "INSERT INTO schema_version (version, applied_at) VALUES ($1, now())", SCHEMA_VERSION
                    )
        except StoreError:
            await conn.close()
            raise
        except Exception as exc:
            await conn.close()
            raise StoreError(f"{self.url}: cannot create the schema: {exc}") from None
        self._conn = conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    @contextlib.asynccontextmanager
    async def lock(self, stream_id: str, timeout: float) -> AsyncIterator[None]:  # noqa: ASYNC109 - bounds the wait
        """A session advisory lock per bot, on a connection of its own (taken again after a
        reconnect)."""
        conn = await self._connect()
        key = _lock_key(stream_id)
        try:
            deadline = time.monotonic() + timeout
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"another sync of {stream_id} is running on {self.url} "
                        f"(waited {timeout:g}s; raise --lock-timeout to wait longer)"
                    )
                await asyncio.sleep(0.1)
            self._lock_conn, self._lock_key, self._lock_stream = conn, key, stream_id
            yield
        finally:
            self._lock_key = self._lock_stream = None
            lock_conn, self._lock_conn = self._lock_conn, None
            for c in {id(conn): conn, id(lock_conn): lock_conn}.values():
                if c is not None:
                    with contextlib.suppress(Exception):  # a connection the server already closed
                        await c.close(timeout=2)  # ends the session: the advisory lock goes with it

    # -- the server going away -------------------------------------------------------------------
    @staticmethod
    def _lost(exc: BaseException) -> bool:
        """Whether ``exc`` says the connection (not the statement) failed."""
        import asyncpg

        if isinstance(exc, OSError | TimeoutError | asyncpg.PostgresConnectionError):
            return True
        if isinstance(
            exc,
            asyncpg.exceptions.AdminShutdownError
            | asyncpg.exceptions.CrashShutdownError
            | asyncpg.exceptions.CannotConnectNowError
            | asyncpg.exceptions.ConnectionDoesNotExistError,
        ):
            return True
        return isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc)

    async def _retrying(
        self,
        operation: Callable[[], Awaitable[T]],
        counts: Any = None,
        committed: Callable[[], Awaitable[T | None]] | None = None,
    ) -> T:
        """Run ``operation`` (one transaction); when the connection is lost, reconnect and run
        it again. ``counts`` (the run's) is restored to what it was before a failed attempt;
        ``committed``, when given, is asked after a reconnect whether the lost attempt did
        commit (its result then, else ``None``)."""
        deadline: float | None = None
        while True:
            before = copy.copy(counts) if counts is not None else None
            try:
                return await operation()
            except Exception as exc:
                if not self._lost(exc) or self._gave_up:
                    raise
                if before is not None:
                    counts.__dict__.update(before.__dict__)
                if deadline is None:
                    deadline = time.monotonic() + self.reconnect_timeout
                await self._reconnect(deadline, exc)
                if committed is not None:
                    done = await committed()
                    if done is not None:
                        return done

    async def _reconnect(self, deadline: float, cause: BaseException) -> None:
        """A new connection (and the bot's lock again), with exponential backoff until ``deadline``."""
        import asyncpg

        started = time.monotonic()
        reason = f"{type(cause).__name__}: {cause}".strip().rstrip(":")
        logger.warning(
            "%s: the connection was lost (%s); reconnecting for up to %.0fs",
            self.url,
            reason,
            max(0.0, deadline - started),
        )
        if self._conn is not None:
            self._conn.terminate()
        self._conn = None
        pause = 0.1
        while True:
            try:
                conn = await asyncpg.connect(
                    self.dsn, timeout=max(0.5, min(self.connect_timeout, deadline - time.monotonic()))
                )
                if self._lock_key is not None and not await self._lock_alive():
                    lock_conn = await asyncpg.connect(self.dsn, timeout=self.connect_timeout)
                    if not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
                        await lock_conn.close()
                        await conn.close()
                        raise StoreLockedError(
                            f"another sync of {self._lock_stream} took the database {self.url} while it was "
                            "unreachable; this sync stops (its committed batches stay)"
                        )
                    self._lock_conn = lock_conn
            except StoreLockedError:
                raise
            except Exception as exc:
                if not self._lost(exc) and not isinstance(exc, asyncpg.PostgresError):
                    raise
                if time.monotonic() + pause >= deadline:
                    self._gave_up = True
                    raise StoreUnavailableError(
                        f"{self.url}: the database went away mid-sync ({reason}) and did not come back within "
                        f"{self.reconnect_timeout:g}s (last: {type(exc).__name__}); every batch committed before "
                        "stays: run the sync again once it is back (--db-retry-timeout to wait longer)"
                    ) from None
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            self._conn = conn
            logger.warning(
                "%s: reconnected after %.1fs; continuing from the last committed batch",
                self.url,
                time.monotonic() - started,
            )
            return

    # -- the Store protocol: each method one transaction, run again after a reconnect -----------
    async def begin_run(self, stream_id: str, started_at: datetime) -> int:
        return await self._retrying(lambda: self._begin_run(stream_id, started_at))

    async def finish_run(
        self, run_id: int, counts: RunCounts, status: str, finished_at: datetime, error: str | None
    ) -> None:
        if self._gave_up:  # the server did not come back in time: one more try, then leave it
            with contextlib.suppress(Exception):
                self._conn = await self._connect_quickly()
            if self._conn is None:
                raise StoreUnavailableError(
                    f"{self.url}: still unreachable; run {run_id} stays 'running' "
                    "until the next sync marks it interrupted"
                )
            self._gave_up = False
        await self._retrying(lambda: self._finish_run(run_id, counts, status, finished_at, error), counts)

    async def sync_states(self, stream_id: str) -> dict[str, CampaignSyncState]:
        return await self._retrying(lambda: self._sync_states(stream_id))

    async def list_states(self, stream_id: str) -> dict[str, ListSyncState]:
        return await self._retrying(lambda: self._list_states(stream_id))

    async def write_campaigns(
        self, stream_id: str, run_id: int, campaigns: Sequence[tuple[str, Campaign]], at: datetime, counts: RunCounts
    ) -> WriteCounts:
        return await self._retrying(lambda: self._write_campaigns(stream_id, run_id, campaigns, at, counts), counts)

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
        async def committed() -> WriteCounts | None:
            """A fresh batch is a plain insert: written already (its digests are there, they
            commit together), it must not be sent again."""
            if not fresh or not digests:
                return None  # the compare path's upserts are safe to run again
            stored = await self._page_digests(stream_id, campaign_id)
            if all(stored.get(page) == digest for page, digest in digests):
                counts.contacts_inserted += len(rows)
                return WriteCounts(inserted=len(rows))
            return None

        return await self._retrying(
            lambda: self._write_campaign_contacts(stream_id, run_id, campaign_id, rows, at, counts, digests, fresh),
            counts,
            committed,
        )

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
        return await self._retrying(
            lambda: self._finish_campaign_contacts(
                stream_id, run_id, campaign_id, seen, status, at, counts, pages, rows, fingerprint
            ),
            counts,
        )

    async def page_digests(self, stream_id: str, campaign_id: str) -> dict[int, bytes]:
        return await self._retrying(lambda: self._page_digests(stream_id, campaign_id))

    async def write_list_contacts(
        self, stream_id: str, run_id: int, list_id: str, rows: Sequence[Contact], at: datetime, counts: RunCounts
    ) -> WriteCounts:
        return await self._retrying(
            lambda: self._write_list_contacts(stream_id, run_id, list_id, rows, at, counts), counts
        )

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
        return await self._retrying(
            lambda: self._finish_list_contacts(stream_id, run_id, list_id, seen, at, counts, fingerprint), counts
        )

    async def _lock_alive(self) -> bool:
        """Whether the lock's own connection (and so the lock) survived."""
        conn = self._lock_conn
        if conn is None or conn.is_closed():
            return False
        try:
            await conn.fetchval("SELECT 1", timeout=2)
        except Exception:
            conn.terminate()
            self._lock_conn = None
            return False
        return True

    async def _connect_quickly(self) -> Any:
        import asyncpg

        return await asyncpg.connect(self.dsn, timeout=min(self.connect_timeout, 5.0))

    # -- runs ---------------------------------------------------------------------------------
    async def _begin_run(self, stream_id: str, started_at: datetime) -> int:
        async with self.conn.transaction():
            await self.conn.execute(
                "UPDATE sync_runs SET status = 'interrupted' WHERE stream_id = $1 AND status = 'running'", stream_id
            )
            return int(
                await self.conn.fetchval(
                    "INSERT INTO sync_runs (stream_id, started_at, status) VALUES ($1, $2, 'running') RETURNING run_id",
                    stream_id,
                    started_at,
                )
            )

    async def _save_counts(self, run_id: int, counts: RunCounts) -> None:
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(_RUN_FIELDS, 2))
        await self.conn.execute(
            f"UPDATE sync_runs SET {assignments} WHERE run_id = $1",
            run_id,
            *(getattr(counts, name) for name in _RUN_FIELDS),
        )

    async def _finish_run(
        self, run_id: int, counts: RunCounts, status: str, finished_at: datetime, error: str | None
    ) -> None:
        async with self.conn.transaction():
            await self._save_counts(run_id, counts)
            await self.conn.execute(
                "UPDATE sync_runs SET status = $2, finished_at = $3, error = $4 WHERE run_id = $1",
                run_id,
                status,
                finished_at,
                error,
            )

    async def _sync_states(self, stream_id: str) -> dict[str, CampaignSyncState]:
        records = await self.conn.fetch(
            "SELECT s.campaign_id, s.status, s.complete, s.rows, s.synced_at, f.fingerprint "
            "FROM campaign_sync_state s LEFT JOIN pass_fingerprints f ON f.stream_id = s.stream_id "
            "AND f.kind = 'campaign' AND f.object_id = s.campaign_id WHERE s.stream_id = $1",
            stream_id,
        )
        return {
            r["campaign_id"]: CampaignSyncState(
                r["campaign_id"], r["status"], r["complete"], r["rows"], r["synced_at"], r["fingerprint"]
            )
            for r in records
        }

    async def _list_states(self, stream_id: str) -> dict[str, ListSyncState]:
        records = await self.conn.fetch(
            "SELECT object_id, fingerprint, passed_at FROM pass_fingerprints WHERE stream_id = $1 AND kind = 'list'",
            stream_id,
        )
        return {r["object_id"]: ListSyncState(r["object_id"], r["fingerprint"], r["passed_at"]) for r in records}

    async def _store_fingerprint(
        self, stream_id: str, kind: str, object_id: str, fingerprint: str | None, at: datetime
    ) -> None:
        if fingerprint is not None:
            await self.conn.execute(
                "INSERT INTO pass_fingerprints (stream_id, kind, object_id, fingerprint, passed_at) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stream_id, kind, object_id) DO UPDATE SET "
                "fingerprint = EXCLUDED.fingerprint, passed_at = EXCLUDED.passed_at",
                stream_id,
                kind,
                object_id,
                fingerprint,
                at,
            )

    # -- campaigns ----------------------------------------------------------------------------
    async def _write_campaigns(
        self, stream_id: str, run_id: int, campaigns: Sequence[tuple[str, Campaign]], at: datetime, counts: RunCounts
    ) -> WriteCounts:
        conn = self.conn
        records = [
            (
                c.id,
                kind,
                c.name,
                c.description,
                c.status,
                None if c.priority is None else str(c.priority),
                c.dialing_mode,
                c.format,
                c.experience_flow,
                c.created_at,
                c.updated_at,
                c.campaign_instance_updated_at,
                json.dumps(c.contact_lists),
                _encode(c).decode(),
            )
            for kind, c in campaigns
            if c.id
        ]
        columns = (
            "campaign_id, type, name, description, status, priority, dialing_mode, format, experience_flow, "
            "created_at, updated_at, campaign_instance_updated_at, contact_lists, raw"
        )
        names = [c.strip() for c in columns.split(",")]
        async with conn.transaction():
            await conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS kc_stage_campaigns (campaign_id text, type text, name text, "
                "description text, status text, priority text, dialing_mode text, format text, experience_flow text, "
                "created_at timestamptz, updated_at timestamptz, campaign_instance_updated_at timestamptz, "
                "contact_lists jsonb, raw jsonb) ON COMMIT DELETE ROWS"
            )
            await conn.copy_records_to_table("kc_stage_campaigns", records=records, columns=names)
            updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names[1:])
            returned = await conn.fetch(
                f"INSERT INTO campaigns (stream_id, {columns}, first_seen_at, last_changed_at) "
                f"SELECT $1, {columns}, $2, $2 FROM kc_stage_campaigns "
                f"ON CONFLICT (stream_id, campaign_id) DO UPDATE SET {updates}, "
                "last_changed_at = EXCLUDED.last_changed_at "
                "WHERE campaigns.raw IS DISTINCT FROM EXCLUDED.raw RETURNING (xmax = 0) AS inserted",
                stream_id,
                at,
            )
            result = _counts(returned, len(records))
            counts.campaigns_seen += len(campaigns)
            counts.campaigns_changed += result.inserted + result.updated
            await self._save_counts(run_id, counts)
        return result

    # -- campaign contacts --------------------------------------------------------------------
    async def _write_campaign_contacts(
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
        conn = self.conn
        if fresh:  # nothing stored to compare with: straight into the table
            return await self._insert_new_contacts(stream_id, run_id, campaign_id, rows, at, counts, digests)
        async with conn.transaction():
            await self._unfinished(stream_id, campaign_id)
            await conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS kc_stage_contacts (phone_number text, ordinal integer, "
                "unique_id text, dialer_outcome text, number_of_attempts_so_far integer, bot_session_id text, "
                "agent_disposition_codes jsonb, bot_outbound_status text, bot_outbound_status_detail text) "
                "ON COMMIT DELETE ROWS"
            )
            records = [(r.phone_number, ordinal, *contact_values(r)) for ordinal, r in rows]
            await conn.copy_records_to_table(
                "kc_stage_contacts", records=records, columns=["phone_number", "ordinal", *CONTACT_FIELDS]
            )
            known = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM campaign_contacts WHERE stream_id = $1 AND campaign_id = $2)",
                stream_id,
                campaign_id,
            )
            if known:  # a campaign seen before: record the outcomes that changed
                await conn.execute(
                    "INSERT INTO contact_status_changes (stream_id, campaign_id, phone_number, ordinal, "
                    "changed_fields, before, after, dialer_outcome_before, dialer_outcome_after, observed_at, run_id) "
                    f"SELECT $1, $2, s.phone_number, s.ordinal, {_CHANGED_FIELDS}, {_json_object('c')}, "
                    f"{_json_object('s')}, c.dialer_outcome, s.dialer_outcome, $3, $4 "
                    # one primary-key probe per staged row (LATERAL ... OFFSET 0 keeps the planner from
                    # hashing the whole campaign when campaign_contacts has no statistics yet)
                    "FROM kc_stage_contacts s CROSS JOIN LATERAL (SELECT * FROM campaign_contacts x "
                    "WHERE x.stream_id = $1 AND x.campaign_id = $2 AND x.phone_number = s.phone_number "
                    f"AND x.ordinal = s.ordinal OFFSET 0) c WHERE {_DIFFERS}",
                    stream_id,
                    campaign_id,
                    at,
                    run_id,
                )
            updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in CONTACT_FIELDS)
            current = ", ".join(f"campaign_contacts.{f}" for f in CONTACT_FIELDS)
            incoming = ", ".join(f"EXCLUDED.{f}" for f in CONTACT_FIELDS)
            returned = await conn.fetch(
                f"INSERT INTO campaign_contacts (stream_id, campaign_id, phone_number, ordinal, {_FIELDS}, "
                f"first_seen_at, last_seen_at, last_changed_at) "
                f"SELECT $1, $2, phone_number, ordinal, {_FIELDS}, $3, $3, $3 FROM kc_stage_contacts "
                "ON CONFLICT (stream_id, campaign_id, phone_number, ordinal) DO UPDATE SET "
                f"{updates}, last_seen_at = EXCLUDED.last_seen_at, last_changed_at = EXCLUDED.last_changed_at, "
                f"gone_at = NULL WHERE ({current}, campaign_contacts.gone_at) IS DISTINCT FROM "
                f"({incoming}, NULL::timestamptz) RETURNING (xmax = 0) AS inserted",
                stream_id,
                campaign_id,
                at,
            )
            result = _counts(returned, len(rows))
            await self._store_digests(stream_id, campaign_id, digests)
            counts.contacts_inserted += result.inserted
            counts.contacts_updated += result.updated
            counts.contacts_unchanged += result.unchanged
            await self._save_counts(run_id, counts)
        return result

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
        """A fresh campaign's rows, with their page digests, the pass marked unfinished and the
        run's progress, in one statement (:data:`_INSERT_NEW`): atomic on its own, and one round
        trip, so the server works through the batch while the event loop decodes the next pages
        (a transaction of six statements waited for the loop between each two)."""
        inserted = counts.contacts_inserted + len(rows)
        progress = [inserted if name == "contacts_inserted" else getattr(counts, name) for name in _RUN_FIELDS]
        await self.conn.execute(
            _INSERT_NEW,
            stream_id,
            campaign_id,
            at,
            contacts_payload(rows).decode(),
            [page for page, _ in digests],
            [digest for _, digest in digests],
            run_id,
            *progress,
        )
        counts.contacts_inserted = inserted
        return WriteCounts(inserted=len(rows))

    async def _unfinished(self, stream_id: str, campaign_id: str) -> None:
        """A write starts a pass that is not complete until ``finish_campaign_contacts``."""
        await self.conn.execute(
            "UPDATE campaign_sync_state SET complete = false WHERE stream_id = $1 AND campaign_id = $2",
            stream_id,
            campaign_id,
        )

    async def _store_digests(self, stream_id: str, campaign_id: str, digests: Sequence[tuple[int, bytes]]) -> None:
        if digests:
            await self.conn.executemany(
                "INSERT INTO page_digests (stream_id, campaign_id, page, digest) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (stream_id, campaign_id, page) DO UPDATE SET digest = EXCLUDED.digest",
                [(stream_id, campaign_id, page, digest) for page, digest in digests],
            )

    async def _finish_campaign_contacts(
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
        conn = self.conn
        async with conn.transaction():
            if pages is not None:  # pages past the end no longer exist
                await conn.execute(
                    "DELETE FROM page_digests WHERE stream_id = $1 AND campaign_id = $2 AND page > $3",
                    stream_id,
                    campaign_id,
                    pages,
                )
            gone = 0
            if seen is not None:  # a fresh pass inserted every row it saw: nothing is gone
                await conn.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS kc_seen_contacts (phone_number text, ordinal integer, "
                    "PRIMARY KEY (phone_number, ordinal)) ON COMMIT DELETE ROWS"
                )
                await conn.copy_records_to_table("kc_seen_contacts", records=list(seen))
                # statistics for the anti-join below (without them: a nested loop over every pair)
                await conn.execute("ANALYZE kc_seen_contacts")
                done = await conn.execute(
                    "UPDATE campaign_contacts c SET gone_at = $3 WHERE c.stream_id = $1 AND c.campaign_id = $2 "
                    "AND c.gone_at IS NULL AND NOT EXISTS (SELECT 1 FROM kc_seen_contacts s "
                    "WHERE s.phone_number = c.phone_number AND s.ordinal = c.ordinal)",
                    stream_id,
                    campaign_id,
                    at,
                )
                gone = int(done.split()[-1])
            await conn.execute(
                "INSERT INTO campaign_sync_state (stream_id, campaign_id, status, complete, rows, synced_at, run_id) "
                "VALUES ($1, $2, $3, true, $4, $5, $6) ON CONFLICT (stream_id, campaign_id) DO UPDATE SET "
                "status = EXCLUDED.status, complete = true, rows = EXCLUDED.rows, synced_at = EXCLUDED.synced_at, "
                "run_id = EXCLUDED.run_id",
                stream_id,
                campaign_id,
                status,
                len(seen) if seen is not None else (rows or 0),
                at,
                run_id,
            )
            await self._store_fingerprint(stream_id, "campaign", campaign_id, fingerprint, at)
            counts.contacts_gone += gone
            await self._save_counts(run_id, counts)
        return gone

    async def _page_digests(self, stream_id: str, campaign_id: str) -> dict[int, bytes]:
        records = await self.conn.fetch(
            "SELECT page, digest FROM page_digests WHERE stream_id = $1 AND campaign_id = $2", stream_id, campaign_id
        )
        return {r["page"]: bytes(r["digest"]) for r in records}

    # -- contact lists ------------------------------------------------------------------------
    async def _write_list_contacts(
        self, stream_id: str, run_id: int, list_id: str, rows: Sequence[Contact], at: datetime, counts: RunCounts
    ) -> WriteCounts:
        conn = self.conn
        records = [(r.id, r.phone_number, r.created_at, r.updated_at) for r in rows if r.id]
        async with conn.transaction():
            await conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS kc_stage_list (contact_id text, phone_number text, "
                "created_at timestamptz, updated_at timestamptz) ON COMMIT DELETE ROWS"
            )
            await conn.copy_records_to_table("kc_stage_list", records=records)
            returned = await conn.fetch(
                "INSERT INTO contact_list_contacts (stream_id, list_id, contact_id, phone_number, created_at, "
                "updated_at, first_seen_at, last_seen_at, last_changed_at) "
                "SELECT $1, $2, contact_id, phone_number, created_at, updated_at, $3, $3, $3 FROM kc_stage_list "
                "ON CONFLICT (stream_id, list_id, contact_id) DO UPDATE SET phone_number = EXCLUDED.phone_number, "
                "created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, "
                "last_seen_at = EXCLUDED.last_seen_at, last_changed_at = EXCLUDED.last_changed_at, gone_at = NULL "
                "WHERE (contact_list_contacts.phone_number, contact_list_contacts.created_at, "
                "contact_list_contacts.updated_at, contact_list_contacts.gone_at) IS DISTINCT FROM "
                "(EXCLUDED.phone_number, EXCLUDED.created_at, EXCLUDED.updated_at, NULL::timestamptz) "
                "RETURNING (xmax = 0) AS inserted",
                stream_id,
                list_id,
                at,
            )
            result = _counts(returned, len(rows))
            counts.list_contacts_inserted += result.inserted
            counts.list_contacts_updated += result.updated
            counts.list_contacts_unchanged += result.unchanged
            await self._save_counts(run_id, counts)
        return result

    async def _finish_list_contacts(
        self,
        stream_id: str,
        run_id: int,
        list_id: str,
        seen: set[str],
        at: datetime,
        counts: RunCounts,
        fingerprint: str | None = None,
    ) -> int:
        conn = self.conn
        async with conn.transaction():
            await conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS kc_seen_list (contact_id text PRIMARY KEY) ON COMMIT DELETE ROWS"
            )
            await conn.copy_records_to_table("kc_seen_list", records=[(cid,) for cid in seen])
            await conn.execute("ANALYZE kc_seen_list")
            done = await conn.execute(
                "UPDATE contact_list_contacts c SET gone_at = $3 WHERE c.stream_id = $1 AND c.list_id = $2 "
                "AND c.gone_at IS NULL AND NOT EXISTS (SELECT 1 FROM kc_seen_list s WHERE s.contact_id = c.contact_id)",
                stream_id,
                list_id,
                at,
            )
            gone = int(done.split()[-1])
            await self._store_fingerprint(stream_id, "list", list_id, fingerprint, at)
            counts.list_contacts_gone += gone
            await self._save_counts(run_id, counts)
        return gone


def _counts(returned: Sequence[Any], total: int) -> WriteCounts:
    inserted = sum(1 for r in returned if r["inserted"])
    updated = len(returned) - inserted
    return WriteCounts(inserted=inserted, updated=updated, unchanged=total - inserted - updated)

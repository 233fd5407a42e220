"""Destinations of ``korecampaign sync``: one small protocol, one module per database.

A :class:`Store` keeps campaigns, their contacts' outcomes (with a history of changes),
contact-list contacts and a log of sync runs (the schema is in
:mod:`korecampaign_async.stores.schema`). :func:`korecampaign_async.sync.sync` decides
*what* to write; a store only knows *how*: each method is one transaction, so a crash at
any moment leaves the database as it was before the method, or after it.

A new destination (DuckDB, a warehouse) is one new module implementing :class:`Store`
and one line in :func:`open_store`. The contract each method keeps:

* ``open()`` connects, creates the schema on first use, and raises
  :class:`~korecampaign_async.errors.StoreError` (unreachable, refused) or
  :class:`~korecampaign_async.errors.SchemaVersionError` (newer schema) before the sync
  sends any request. ``close()`` releases everything.
* ``lock(stream_id, timeout)`` is held for a whole sync: two syncs of one bot never
  interleave, syncs of different bots may run together. It raises
  :class:`~korecampaign_async.errors.StoreLockedError` after ``timeout`` seconds.
* ``write_*`` methods upsert one page of records *and* the run's progress in one
  transaction, comparing with what is stored: unchanged rows are not written, changed
  campaign-contact rows also get one ``contact_status_changes`` row. They return the
  :class:`WriteCounts`.
* ``page_digests`` returns the digest of every page of a campaign as last written;
  ``write_campaign_contacts`` stores the digests of the pages it writes in the same
  transaction (a page whose digest is unchanged is then skipped by the next sync).
  ``fresh=True`` promises that the campaign had no stored rows when this pass began (it has
  no page digests), so the rows can be bulk-inserted without comparing. Its ``rows`` are
  ``(ordinal, row)`` pairs; the sync passes a :class:`~korecampaign_async.stores.ordinals.KeyedRows`,
  whose ``ordinals`` and ``rows`` lists a store may read directly instead of taking pairs apart.
* Stores choose how rows reach the engine, and should keep the engine's work off the event
  loop's thread and its GIL: SQLite binds a batch to multi-row ``INSERT ... VALUES``
  statements run on its own thread (the GIL released while SQLite inserts), PostgreSQL parses
  and inserts in its own process.
* ``finish_*`` methods close a complete pass over one campaign or list: rows the pass did
  not see get ``gone_at`` (never deleted; ``seen=None`` for a *fresh* pass, one that began
  with no stored rows, where nothing can be gone and ``rows`` gives the count). A campaign's
  ``seen`` is a read-only set of ``(phone_number, ordinal)`` keys (``in``, iteration,
  ``len``; the sync passes its :class:`~korecampaign_async.stores.ordinals.Ordinals`), and the
  campaign's sync state records whether
  its contacts are complete (what lets the next sync skip a final campaign). Both take the
  ``fingerprint`` the object had when the pass began and store it (``pass_fingerprints``) in
  the same transaction: ``sync_states`` and ``list_states`` return them, and the next sync
  skips an object whose fingerprint did not move (see :mod:`korecampaign_async.sync`).

Files are destinations too, through :mod:`korecampaign_async.export`'s ``Sink``: they
rewrite whole outputs and need none of this, so the two protocols stay apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from .._redact import mask_url
from ..errors import StoreError
from ..models.records import Campaign, CampaignContact, Contact

__all__ = [
    "CampaignSyncState",
    "ListSyncState",
    "RunCounts",
    "Store",
    "WriteCounts",
    "mask_url",
    "open_store",
    "query",
]


@dataclass
class WriteCounts:
    """What one write did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: WriteCounts) -> WriteCounts:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


@dataclass
class RunCounts:
    """The progress of one sync run, committed with every page (the ``sync_runs`` row)."""

    campaigns_seen: int = 0
    campaigns_changed: int = 0
    campaigns_skipped: int = 0
    contacts_inserted: int = 0
    contacts_updated: int = 0
    contacts_unchanged: int = 0
    contacts_gone: int = 0
    list_contacts_inserted: int = 0
    list_contacts_updated: int = 0
    list_contacts_unchanged: int = 0
    list_contacts_gone: int = 0
    requests: int = 0
    requests_saved: int = 0
    throttled: int = 0


@dataclass(frozen=True)
class CampaignSyncState:
    """What the last complete pass over a campaign's contacts found. ``fingerprint``: the
    campaign's fingerprint (status, times, instance, lists; :func:`korecampaign_async.sync.fingerprint`)
    when that pass began, ``None`` before schema 2."""

    campaign_id: str
    status: str | None
    complete: bool
    rows: int
    synced_at: datetime | None
    fingerprint: str | None = None


@dataclass(frozen=True)
class ListSyncState:
    """The last complete pass over a contact list: its fingerprint (``totalRecordCount`` and
    ``updatedAt`` from the list of lists) and when it ended."""

    list_id: str
    fingerprint: str
    passed_at: datetime | None


@runtime_checkable
class Store(Protocol):
    """A sync destination; see the module docstring for the contract."""

    #: the database URL with any password masked
    url: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def lock(self, stream_id: str, timeout: float) -> AbstractAsyncContextManager[None]: ...

    async def begin_run(self, stream_id: str, started_at: datetime) -> int: ...

    async def finish_run(
        self, run_id: int, counts: RunCounts, status: str, finished_at: datetime, error: str | None
    ) -> None: ...

    async def sync_states(self, stream_id: str) -> dict[str, CampaignSyncState]: ...

    async def list_states(self, stream_id: str) -> dict[str, ListSyncState]: ...

    async def write_campaigns(
        self, stream_id: str, run_id: int, campaigns: Sequence[tuple[str, Campaign]], at: datetime, counts: RunCounts
    ) -> WriteCounts: ...

    async def page_digests(self, stream_id: str, campaign_id: str) -> dict[int, bytes]: ...

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
    ) -> WriteCounts: ...

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
    ) -> int: ...

    async def write_list_contacts(
        self, stream_id: str, run_id: int, list_id: str, rows: Sequence[Contact], at: datetime, counts: RunCounts
    ) -> WriteCounts: ...

    async def finish_list_contacts(
        self,
        stream_id: str,
        run_id: int,
        list_id: str,
        seen: set[str],
        at: datetime,
        counts: RunCounts,
        fingerprint: str | None = None,
    ) -> int: ...


async def query(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of a read-only query (``?`` placeholders) against the database at ``url``, either
    kind: for reports and tools reading what a sync wrote."""
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql, args).fetchall()
    import asyncpg

    parts = sql.split("?")
    numbered = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch(numbered, *args)]
    finally:
        await conn.close()


def open_store(url: str, *, reconnect_timeout: float = 60.0) -> Store:
    """The store for a database URL: ``sqlite:///path.db`` (the default destination, zero
    setup) or ``postgresql://user:password@host/db``. Raises :class:`StoreError` for any other
    scheme, before anything is opened. ``reconnect_timeout``: how long a PostgreSQL sync waits
    for a server that went away mid-sync (a SQLite file has no server to wait for)."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore.from_url(url)
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresStore

        return PostgresStore(url, reconnect_timeout=reconnect_timeout)
    raise StoreError(
        f"unsupported database URL {mask_url(url)!r}: use sqlite:///FILE.db or postgresql://USER:PASSWORD@HOST/DB"
    )

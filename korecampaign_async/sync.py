"""``sync``: keep a database current with campaigns, contact outcomes and contact lists,
exactly once, spending the rate budget only where something can change.

What a run does (a :class:`~korecampaign_async.stores.Store` decides *how* rows are written):

1. Opens the store and takes the bot's lock *before any API request*: an unreachable
   database, a newer schema or a running sync of the same bot fail first.
2. Lists the campaigns of each type (filtered by ``statuses`` and ``since``) and upserts
   them; a campaign whose document did not change is not rewritten.
3. Reads the contacts of a voice campaign only when they can have changed since its last
   complete pass (:func:`why_read`): its status is one in which dialling happens
   (:data:`DIALLING_STATUSES`), or its :func:`fingerprint` (status, ``updatedAt``,
   ``campaignInstanceUpdatedAt``, ``campaignInstanceId``, contact lists, totals) moved, or the
   last complete pass is older than ``full_every`` (the safety net, default 24 h).
   ``full=True`` reads everything. A contact list is read only when its ``totalRecordCount``
   or ``updatedAt`` in the list of lists moved (or its pass is older than ``full_every``). A
   re-sync of an account where nothing changed costs the list requests only; the report
   says what was skipped and why (``skip_reasons``).
4. Writes the contacts in batches of consecutive pages (:data:`WRITE_ROWS` rows), each
   batch in one transaction with the run's progress. Unchanged rows
   are not written; a changed row gets one history row. A pass that completes marks the
   rows it did not see as gone.

**Crash safety.** A run killed at any moment leaves every page it wrote committed with its
counts. The next run marks it ``interrupted`` and reads the campaign it was in from page
1 again: pages already written compare equal and cost no write, and a campaign's gone rows
are only marked by a pass that saw all of its pages, so the tables end exactly as a clean
run leaves them. The price is re-reading that one campaign's pages.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from ._redact import mask_url, redact
from .client import KoreCampaignClient
from .errors import InvalidParameterError
from .models.checks import check_campaign_type, check_id, check_iso_datetime
from .models.records import Campaign, CampaignContact, CampaignType, Contact
from .models.writes import ContactList
from .stores import CampaignSyncState, ListSyncState, RunCounts, Store
from .stores.ordinals import KeyedRows, Ordinals, keyed

__all__ = ["DIALLING_STATUSES", "FINAL_STATUSES", "SyncReport", "fingerprint", "sync", "why_read"]

logger = logging.getLogger("korecampaign_async")

#: Campaign statuses after which a campaign's contacts no longer change. Only ``Completed``:
#: the docs' lifecycle pages start a ``Stopped`` campaign again (trigger=play), and
#: ``Ready``, ``Paused``, ``Scheduled`` and the rest are before or during dialling.
FINAL_STATUSES = frozenset({"Completed"})
#: Statuses in which a campaign dials, so its contacts' outcomes change without anything else
#: about the campaign moving: read on every sync. The lifecycle pages name ``Active`` as the
#: status ``trigger=play`` leads to; every other status is before, between or after dialling,
#: and leaving one for ``Active`` (a start, a schedule firing) moves the fingerprint.
DIALLING_STATUSES = frozenset({"Active"})
#: Default ``full_every``: a complete pass of every campaign and list at least once a day,
#: whatever the evidence says.
FULL_EVERY = 24 * 3600.0

_STATUSES = ("Active", "Completed", "Ready", "Paused", "Preparing", "Stopped", "Scheduled", "Rescheduled")
_WRITE_BATCH = 500
#: Rows of consecutive pages written (with the run's progress) in one transaction: per
#: transaction costs (round trips, a commit) divided by 50 against one page of 100 each.
#: A crash loses at most the batch being written, which the re-run reads again.
WRITE_ROWS = 5_000


@dataclass
class SyncReport(RunCounts):
    """What one sync did. The counts are those of :class:`~korecampaign_async.stores.RunCounts`:
    ``requests`` spent, ``requests_saved`` by skipping final campaigns, 429s as ``throttled``."""

    run_id: int = 0
    stream_id: str = ""
    database: str = ""
    status: str = "running"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float = 0.0
    error: str | None = None
    skipped_campaigns: list[str] = field(default_factory=list)
    #: why campaigns and lists were skipped, and how many each reason covers
    skip_reasons: dict[str, int] = field(default_factory=dict)
    #: why campaigns and lists were read, and how many each reason covers
    read_reasons: dict[str, int] = field(default_factory=dict)
    lists_skipped: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot."""
        doc = asdict(self)
        for key in ("started_at", "finished_at"):
            value = doc[key]
            doc[key] = value.isoformat() if value is not None else None
        doc["seconds"] = round(self.seconds, 3)
        return doc


def _check_statuses(statuses: Iterable[str] | None) -> list[str] | None:
    if statuses is None:
        return None
    if isinstance(statuses, str):
        statuses = [statuses]
    values = list(statuses)
    bad = [s for s in values if s not in _STATUSES]
    if bad:
        raise InvalidParameterError("statuses", bad, "a list of " + ", ".join(_STATUSES))
    return values or None


async def sync(
    client: KoreCampaignClient,
    store: Store,
    *,
    types: Sequence[CampaignType] = ("voice", "sms"),
    statuses: Iterable[str] | None = None,
    since: datetime | str | None = None,
    contact_lists: Iterable[str] = (),
    full: bool = False,
    full_every: float | None = FULL_EVERY,
    lock_timeout: float = 60.0,
) -> SyncReport:
    """Bring ``store`` up to date with the account of ``client``; see the module docstring.

    Args:
        client: the API client (its concurrency, budget and hooks apply; ``on_page`` hooks
            report progress).
        store: the destination, opened here if it is not (and left open).
        types: campaign types to list; contacts are read for voice campaigns (the status
            endpoint serves voice campaigns only).
        statuses: only campaigns with these statuses (``filters.status``).
        since: only campaigns created at or after this time (``startDate``).
        contact_lists: contact list ids whose contacts are synced too.
        full: read every campaign's contacts and every list, whatever changed.
        full_every: seconds after which a campaign's or list's contacts are read again even
            when no evidence says they changed (``None`` or 0: never; default 24 h).
        lock_timeout: seconds to wait for another sync of the same bot.

    Raises:
        InvalidParameterError: before anything is opened or sent.
        StoreError: the database cannot be used (before any API request).
        StoreLockedError: another sync of the bot held the lock past ``lock_timeout``.
    """
    kinds = [check_campaign_type(t) for t in types]
    if not kinds:
        raise InvalidParameterError("types", list(types), "one or more of voice, sms")
    status_filter = _check_statuses(statuses)
    start_date = check_iso_datetime(since, "since")
    lists = list(dict.fromkeys(check_id(lid, "contact_lists[]") for lid in contact_lists))
    if lock_timeout < 0:
        raise InvalidParameterError("lock_timeout", lock_timeout, "a number of seconds >= 0")
    if full_every is not None and not full_every >= 0:
        raise InvalidParameterError("full_every", full_every, "seconds >= 0, or None (never)")

    await store.open()
    stream_id = client.stream_id
    report = SyncReport(stream_id=stream_id, database=mask_url(store.url))
    async with store.lock(stream_id, lock_timeout):
        started = time.perf_counter()
        report.started_at = datetime.now(UTC)
        requests_before, throttled_before = client.stats.requests, client.stats.throttled
        report.run_id = await store.begin_run(stream_id, report.started_at)

        def spent() -> None:
            report.requests = client.stats.requests - requests_before
            report.throttled = client.stats.throttled - throttled_before

        status, error = "failed", None
        try:
            states = await store.sync_states(stream_id)
            voice: list[Campaign] = []
            filters = {"status": status_filter} if status_filter else None
            for kind in kinds:
                batch: list[tuple[str, Campaign]] = []
                async with client.iter_campaigns(kind, filters=filters, start_date=start_date) as campaigns:
                    async for campaign in campaigns:
                        batch.append((kind, campaign))
                        if kind == "voice" and campaign.id:
                            voice.append(campaign)
                        if len(batch) >= _WRITE_BATCH:
                            spent()
                            await store.write_campaigns(stream_id, report.run_id, batch, _now(), report)
                            batch = []
                spent()
                if batch:
                    await store.write_campaigns(stream_id, report.run_id, batch, _now(), report)
            now = _now()
            for campaign in voice:
                campaign_id = campaign.id or ""
                state = states.get(campaign_id)
                reason = why_read(campaign, state, now, full=full, full_every=full_every)
                if reason is None:
                    skipped = _skip_reason(campaign, state)
                    report.skip_reasons[skipped] = report.skip_reasons.get(skipped, 0) + 1
                    report.campaigns_skipped += 1
                    report.requests_saved += (
                        max(1, math.ceil(state.rows / client.page_size_for("status"))) if state else 1
                    )
                    report.skipped_campaigns.append(campaign_id)
                    continue
                report.read_reasons[reason] = report.read_reasons.get(reason, 0) + 1
                await _sync_campaign(
                    client, store, report, campaign_id, campaign.status, spent, state, fingerprint(campaign)
                )
            if lists:
                list_states = await store.list_states(stream_id)
                listed = await _listed(client, lists)
                for list_id in lists:
                    info = listed.get(list_id)
                    known = list_states.get(list_id)
                    mark = list_fingerprint(info) if info is not None else None
                    reason = _why_read_list(mark, known, now, full=full, full_every=full_every)
                    if reason is None:
                        report.lists_skipped += 1
                        key = "list unchanged (totalRecordCount, updatedAt)"
                        report.skip_reasons[key] = report.skip_reasons.get(key, 0) + 1
                        rows = (info.total_record_count if info is not None else None) or 0
                        report.requests_saved += max(1, math.ceil(rows / client.page_size_for("contacts")))
                        continue
                    report.read_reasons[reason] = report.read_reasons.get(reason, 0) + 1
                    await _sync_list(client, store, report, list_id, spent, mark)
            status = "ok"
        except BaseException as exc:
            status = "interrupted" if not isinstance(exc, Exception) else "failed"
            error = redact(f"{type(exc).__name__}: {exc}")
            raise
        finally:
            spent()
            report.status, report.error = status, error
            report.finished_at = datetime.now(UTC)
            report.seconds = time.perf_counter() - started
            try:
                await store.finish_run(report.run_id, report, status, report.finished_at, error)
            except Exception as exc:
                if status == "ok":
                    raise
                # the run failed already (its error propagates): its end cannot be recorded too
                # (the database is away); the next sync marks the run interrupted
                logger.warning("could not record the end of sync run %d: %s", report.run_id, redact(str(exc)))
    return report


def _now() -> datetime:
    return datetime.now(UTC)


# -- what can have changed ------------------------------------------------------------------
def _digest(parts: list[Any]) -> str:
    return hashlib.sha256(msgspec.json.encode(parts)).hexdigest()[:32]


def fingerprint(campaign: Campaign) -> str:
    """What of a campaign's listing moves when its contacts' outcomes can move: its status,
    ``updatedAt``, ``campaignInstanceUpdatedAt`` (a run's progress), ``campaignInstanceId``
    (a new run), its contact lists and message totals. A digest, stored with each complete
    pass; see ``docs/api-notes.md`` ("Which evidence a re-sync trusts")."""
    return _digest(
        [
            campaign.status,
            campaign.updated_at,
            campaign.campaign_instance_updated_at,
            campaign.campaign_instance_id,
            sorted(campaign.contact_lists),
            campaign.total_messages_sent,
        ]
    )


def list_fingerprint(info: ContactList) -> str:
    """A contact list's ``totalRecordCount`` and ``updatedAt`` from the list of lists."""
    return _digest([info.total_record_count, info.updated_at])


def _due(synced_at: datetime | None, now: datetime, full_every: float | None) -> bool:
    """The safety net: a complete pass older than ``full_every`` seconds (or of unknown age)."""
    if not full_every:
        return False
    return synced_at is None or (now - synced_at).total_seconds() >= full_every


def why_read(
    campaign: Campaign,
    state: CampaignSyncState | None,
    now: datetime,
    *,
    full: bool = False,
    full_every: float | None = FULL_EVERY,
) -> str | None:
    """Why a campaign's contacts must be read on this sync, or ``None`` when nothing can have
    changed since its last complete pass (the evidence, in order: ``full``, no complete pass,
    dialling, the fingerprint, the age of the pass)."""
    if full:
        return "--full"
    if state is None or not state.complete:
        return "no complete pass yet"
    if campaign.status in DIALLING_STATUSES:
        return "dialling (Active)"
    if state.fingerprint is None:
        if (
            state.status in FINAL_STATUSES
            and campaign.status == state.status
            and not _due(state.synced_at, now, full_every)
        ):
            return None  # final before fingerprints were kept (schema 1): the old rule holds
        return "no fingerprint yet"
    if state.fingerprint != fingerprint(campaign):
        return "changed (status, updatedAt, instance or lists)"
    if _due(state.synced_at, now, full_every):
        return "full pass due (--full-every)"
    return None


def _skip_reason(campaign: Campaign, state: CampaignSyncState | None) -> str:
    if state is not None and state.status in FINAL_STATUSES and campaign.status == state.status:
        return "final and complete"
    return "unchanged and not dialling"


def _why_read_list(
    mark: str | None, known: ListSyncState | None, now: datetime, *, full: bool, full_every: float | None
) -> str | None:
    if full:
        return "--full"
    if mark is None:
        return "list not in the list of lists"
    if known is None:
        return "no complete pass yet"
    if known.fingerprint != mark:
        return "list changed (totalRecordCount, updatedAt)"
    if _due(known.passed_at, now, full_every):
        return "full pass due (--full-every)"
    return None


async def _listed(client: KoreCampaignClient, wanted: list[str]) -> dict[str, ContactList]:
    """The lists of ``wanted`` as the list of lists shows them (``getAllListDetails``)."""
    found = {item.id: item for item in await client.contact_lists.list() if item.id}
    return {lid: found[lid] for lid in wanted if lid in found}


async def _sync_campaign(
    client: KoreCampaignClient,
    store: Store,
    report: SyncReport,
    campaign_id: str,
    campaign_status: str | None,
    spent: Any,
    state: CampaignSyncState | None = None,
    mark: str | None = None,
) -> None:
    """One complete pass over a campaign's contacts (from page 1: see the module docstring);
    ``mark`` is the campaign's fingerprint as listed before the pass, stored with its end."""
    stream_id = store_stream(client)
    keys = Ordinals()  # also the keys met, which tell the store what is gone at the end
    rows = KeyedRows()
    digests: list[tuple[int, bytes]] = []
    stored = await store.page_digests(stream_id, campaign_id)
    # No digest: this campaign's rows were never written (rows are written with their digests),
    # so this pass can bulk-insert them without comparing, and nothing can be gone at its end
    # (every stored row is one it inserted).
    fresh = not stored
    total = 0
    number = 0
    # One write in flight while the next pages are fetched and decoded: the store's work (SQLite
    # in its thread, in C; PostgreSQL in its own process) overlaps the client's. Batches are
    # still written one after another, each in its own transaction, in page order.
    pending: asyncio.Future[Any] | None = None

    async def write(batch: KeyedRows, batch_digests: list[tuple[int, bytes]]) -> None:
        nonlocal pending
        if pending is not None:
            await pending  # the previous batch is committed (or its error raised) before the next starts
        spent()
        job = store.write_campaign_contacts(
            stream_id, report.run_id, campaign_id, batch, _now(), report, batch_digests, fresh
        )
        pending = asyncio.ensure_future(job)
        # Let the write start now: the next pages are often buffered already, and reading them
        # never suspends, so a task merely scheduled would not begin (its thread job not
        # submitted, its first query not sent) until this loop next waits: at the next write.
        # Measured: the loop then waited ~7.7 s of a 10.9 s sync for writes it had just queued.
        await asyncio.sleep(0)

    try:
        async with client.iter_campaign_contacts(campaign_id) as stream:
            async for page in stream.pages():
                number += 1
                results = page.results
                ordinals = keys.of(results)
                total += len(results)
                digest = page_digest(results, ordinals)
                if stored.get(number) == digest:
                    # written exactly so before (rows and ordinals): nothing to compare, nothing to write
                    report.contacts_unchanged += len(results)
                    continue
                rows.add(results, ordinals)
                digests.append((number, digest))
                if len(rows) >= WRITE_ROWS:
                    await write(rows, digests)
                    rows, digests = KeyedRows(), []
        if rows:
            await write(rows, digests)
        if pending is not None:
            await pending
        spent()
    finally:
        if pending is not None and not pending.done():
            # leaving early (an error, a cancel): the batch being written completes as one
            # transaction or not at all; wait for it rather than abandon it mid-statement
            await asyncio.wait({pending})
    written = pending is not None  # every write leaves its future here
    seen: Ordinals | None = None if fresh else keys
    if not written and state is not None and state.complete and number == len(stored) and state.rows == total:
        # Every page equals the last complete pass's (and nothing was written since: a write
        # clears `complete`), page for page: the stored rows are exactly these, none is gone.
        seen = None
    await store.finish_campaign_contacts(
        stream_id, report.run_id, campaign_id, seen, campaign_status, _now(), report, number, total, mark
    )


_page_encoder = msgspec.json.Encoder()


def page_digest(rows: list[CampaignContact], ordinals: list[int] | None) -> bytes:
    """16 bytes that change when a page's rows or their ordinals do (``page_digests``): of the
    rows' JSON when every ordinal is 0 (``None``, :meth:`Ordinals.of`), else of
    ``[[ordinal, row], ...]``. SHA-256, truncated: CPUs hash it in hardware (SHA-NI, ARMv8 crypto) at twice BLAKE2b's
    speed, and an unchanged re-sync hashes every row it reads (0.24 s against 0.57 per 1M rows
    here). Digests written with BLAKE2b by earlier versions just differ once: those pages
    are compared row by row on the next sync, and their digests rewritten."""
    encoded = _page_encoder.encode(rows if ordinals is None else keyed(rows, ordinals))
    return hashlib.sha256(encoded).digest()[:16]


async def _sync_list(
    client: KoreCampaignClient, store: Store, report: SyncReport, list_id: str, spent: Any, mark: str | None = None
) -> None:
    seen: set[str] = set()
    rows: list[Contact] = []
    async with client.iter_contact_list(list_id) as stream:
        async for page in stream.pages():
            seen.update(c.id for c in page.results if c.id)
            rows += page.results
            if len(rows) >= WRITE_ROWS:
                spent()
                await store.write_list_contacts(store_stream(client), report.run_id, list_id, rows, _now(), report)
                rows = []
    spent()
    if rows:
        await store.write_list_contacts(store_stream(client), report.run_id, list_id, rows, _now(), report)
    await store.finish_list_contacts(store_stream(client), report.run_id, list_id, seen, _now(), report, mark)


def store_stream(client: KoreCampaignClient) -> str:
    """The ``stream_id`` rows are stored under: the bot the client talks to."""
    return client.stream_id

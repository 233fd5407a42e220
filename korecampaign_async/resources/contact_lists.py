"""``client.contact_lists``: create, read, update, delete, list, and bulk import.

Import (:meth:`ContactLists.import_contacts`) is the one documented way to add contacts:
API 1.1's ``POST .../campaign/contactList/addContacts``, which addresses the list by
**name** and answers only "Contacts queued for addition". So:

* every row is checked before it joins a batch (:func:`~korecampaign_async.models.write_checks.check_contact_row`);
  a bad row is reported with its line number and never sent;
* batches go out concurrently through the client's transport: the same rate budget,
  adaptive concurrency and 429 handling as the reads;
* with a ``checkpoint`` path, each batch is recorded (atomically) as *in flight* before it
  is sent and as *done* when acknowledged. A resume skips the done batches and sends the
  others. A batch a crash left in flight on a list that keeps duplicates is settled by the
  list's contents, read once the list is *quiet*: Kore queues additions ("queued for
  addition"), so a batch that is not visible yet may still land, and "not visible yet" is
  not "not applied". Quiet means the list's count (``totalResults`` of one small page) stayed
  the same for ``settle`` seconds, waited for at most ``settle_timeout`` seconds (past it:
  :class:`~korecampaign_async.errors.OutcomeUnknownError`, nothing sent). Then: all of a
  batch's contacts there, it was applied (skipped); some or none, it is *unknown*: reported
  with its line range and not sent unless ``resend_unknown=True`` (a batch still queued past
  the settle time would otherwise be added twice). A list without duplicates simply gets
  the batch again, harmlessly, without waiting;
* a batch whose outcome is unknown (a timeout after sending) is sent again only when the
  list does not keep duplicates (the second copy is then harmless). A list that keeps
  duplicates has the checkpoint as its only guard: the batch is recorded as *unknown*,
  reported with its line range, and not re-sent by a resume unless ``resend_unknown=True``;
* ``verify=True`` reads the list back (``getAllContacts``) until every accepted phone
  number is there or ``verify_timeout`` passes, and reports what is missing.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from .._files import write_json_atomically
from ..errors import (
    ConfigurationError,
    InvalidParameterError,
    NotFoundError,
    OutcomeUnknownError,
    PaginationDriftError,
)
from ..models.checks import check_id
from ..models.records import Envelope
from ..models.write_checks import check_contact_list_spec, check_contact_list_update, check_contact_row, check_name
from ..models.writes import ContactList, ContactListSpec, ContactListUpdate, ContactListUpdateResult
from ._outcome import found_or_unknown

if TYPE_CHECKING:
    from ..client import KoreCampaignClient

__all__ = ["CHECKPOINT_VERSION", "ContactLists", "ImportProgress", "ImportReport", "RowProblem", "UnreadableRow"]

logger = logging.getLogger("korecampaign_async")

_ONE = msgspec.json.Decoder(Envelope[ContactList])
_MANY = msgspec.json.Decoder(Envelope[list[ContactList]])
_UPDATED = msgspec.json.Decoder(Envelope[ContactListUpdateResult])


class _DeletedList(msgspec.Struct, kw_only=True):
    """A delete's answer: the deleted list in ``data``, or (the older Contact Center
    page) only ``{status, message}``."""

    status: str | None = None
    message: str | None = None
    data: ContactList | None = None


_DELETED = msgspec.json.Decoder(_DeletedList)


class _Queued(msgspec.Struct):
    status: str | None = None
    message: str | None = None


_QUEUED = msgspec.json.Decoder(_Queued)
_encode = msgspec.json.Encoder().encode
CHECKPOINT_VERSION = 1
MAX_BATCH = 10_000


@dataclass(frozen=True)
class UnreadableRow:
    """A row the reader could not turn into a mapping (a line that is not JSON): passed to
    :meth:`ContactLists.import_contacts` in its place, reported with its line, never sent."""

    reason: str


@dataclass(frozen=True)
class RowProblem:
    """A row that was not sent: its line (``start_line`` + index) and what is wrong."""

    line: int
    reason: str


@dataclass(frozen=True)
class ImportProgress:
    """Passed to ``on_progress`` after each acknowledged batch."""

    accepted: int
    rejected: int
    skipped: int
    batches: int
    elapsed: float


@dataclass
class ImportReport:
    """What an import did.

    Attributes:
        accepted: contacts in batches the server acknowledged in this run.
        rejected: rows not sent because they failed validation (see ``problems``).
        skipped: contacts of batches acknowledged by an earlier run (from the checkpoint).
        batches: batches acknowledged in this run.
        unknown: line ranges of batches whose outcome is unknown (not acknowledged, maybe applied).
        problems: the rejected rows with their line numbers (the first 1,000).
        missing: with ``verify=True``, accepted phone numbers not (yet) in the list.
        verified: ``True`` when every accepted number was read back, ``None`` without ``verify``.
        requests: requests spent, reads for verification included.
        elapsed: seconds.
    """

    list_name: str
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0
    batches: int = 0
    unknown: list[tuple[int, int]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    missing: list[str] | None = None
    verified: bool | None = None
    requests: int = 0
    elapsed: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-able data (the CLI's ``--json``)."""
        return {
            "list_name": self.list_name,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "batches": self.batches,
            "unknown": [list(r) for r in self.unknown],
            "problems": [{"line": p.line, "reason": p.reason} for p in self.problems],
            "missing": self.missing,
            "verified": self.verified,
            "requests": self.requests,
            "elapsed": round(self.elapsed, 3),
        }


class _ImportCheckpoint:
    """Acknowledged (and unknown) batch numbers of one import, saved atomically."""

    def __init__(self, path: str, identity: dict[str, Any]) -> None:
        self.path = path
        self.identity = identity
        self.done: set[int] = set()
        self.unknown: set[int] = set()
        self.inflight: set[int] = set()  # sent, not answered (yet): what a crash leaves ambiguous

    def load(self) -> bool:
        try:
            data = json.loads(Path(self.path).read_text())
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read the import checkpoint {self.path}: {exc}") from None
        if data.get("version") != CHECKPOINT_VERSION or data.get("identity") != self.identity:
            raise ConfigurationError(
                f"{self.path} belongs to another import ({data.get('identity')}); remove it or choose another path"
            )
        self.done = set(data.get("done", []))
        self.unknown = set(data.get("unknown", []))
        self.inflight = set(data.get("inflight", []))
        return True

    def save(self) -> None:
        payload = {
            "version": CHECKPOINT_VERSION,
            "identity": self.identity,
            "done": sorted(self.done),
            "unknown": sorted(self.unknown),
            "inflight": sorted(self.inflight - self.done),
        }
        write_json_atomically(self.path, payload, durable=True)

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)


class ContactLists:
    """Contact-list endpoints (``client.contact_lists``)."""

    def __init__(self, client: KoreCampaignClient) -> None:
        self._client = client
        self._transport = client.transport
        self._call = client._call
        self._list_method: str | None = None  # the method getAllListDetails answered to

    async def create(self, spec: ContactListSpec) -> ContactList:
        """Create a contact list fed by the API (``POST contactList/createContactList``).
        Never created twice: after an unknown outcome the list is looked up by name."""
        body = check_contact_list_spec(spec, api=self._client.api)
        try:
            envelope = await self._call(
                "api", "POST", "/campaign/contactList/createContactList", _ONE, body=_encode(body), idempotent=False
            )
        except OutcomeUnknownError as exc:
            return await found_or_unknown(
                exc,
                f"create contact list {spec.name!r}",
                lambda: self.find(spec.name),
                f"no list of that name is listed; call contact_lists.find({spec.name!r}) before retrying",
            )
        return envelope.data

    async def get(self, contact_list_id: str) -> ContactList:
        """One contact list's details (``GET contactList/{id}``)."""
        lid = check_id(contact_list_id, "contact_list_id")
        envelope = await self._call("api", "GET", f"/campaign/contactList/{lid}", _ONE)
        return envelope.data

    async def update(self, contact_list_id: str, update: ContactListUpdate) -> ContactListUpdateResult:
        """Change a list's name or description (``PUT contactList/{id}``; safe to repeat)."""
        lid = check_id(contact_list_id, "contact_list_id")
        body = check_contact_list_update(update, api=self._client.api)
        envelope = await self._call("api", "PUT", f"/campaign/contactList/{lid}", _UPDATED, body=_encode(body))
        return envelope.data

    async def delete(self, contact_list_id: str, *, confirm: bool = False) -> ContactList | None:
        """Delete a contact list (``DELETE contactList/{id}``); asks for ``confirm=True``.
        Returns the deleted list (``None`` when an unknown outcome was confirmed by a 404,
        or when the server answers only a status, as the older Contact Center page shows)."""
        lid = check_id(contact_list_id, "contact_list_id")
        if confirm is not True:
            raise InvalidParameterError("confirm", confirm, "True (deleting a contact list cannot be undone)")
        path = f"/campaign/contactList/{lid}"
        try:
            envelope = await self._call("api", "DELETE", path, _DELETED, idempotent=False)
        except OutcomeUnknownError as exc:
            try:
                await self.get(lid)
            except NotFoundError:
                logger.warning("delete contact list %s: %s; it is gone, so the delete took effect", lid, exc.cause)
                return None
            envelope = await self._call("api", "DELETE", path, _DELETED, idempotent=False)
        return envelope.data

    # -- import ------------------------------------------------------------------------------
    async def add_contacts(self, list_name: str, contacts: Iterable[Mapping[str, Any]]) -> str:
        """One batch to ``addContacts`` (API 1.1), as documented: the answer only says the
        contacts were queued. Rows are checked first; a bad row raises before sending.
        Returns the server's message. For many rows use :meth:`import_contacts`."""
        name = check_name(list_name, "contact_list_name")
        rows = [dict(row) for row in contacts]
        if not rows or len(rows) > MAX_BATCH:
            raise InvalidParameterError("data", len(rows), f"1 to {MAX_BATCH} contacts")
        for i, row in enumerate(rows):
            problem = check_contact_row(row)
            if problem:
                raise InvalidParameterError(f"data[{i}]", row, problem)
        result = await self._send_batch(name, rows)
        return result.message or ""

    async def _send_batch(self, name: str, rows: list[dict[str, Any]]) -> _Queued:
        return await self._call(
            "import",
            "POST",
            "/campaign/contactList/addContacts",
            _QUEUED,
            body=_encode({"contact_list_name": name, "data": rows}),
            idempotent=False,
        )

    async def import_contacts(
        self,
        contact_list: str | ContactList,
        rows: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        batch_size: int = 1_000,
        concurrency: int | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        resume: bool = False,
        resend_unknown: bool = False,
        verify: bool = False,
        verify_timeout: float = 60.0,
        settle: float = 10.0,
        settle_timeout: float = 300.0,
        start_line: int = 1,
        on_progress: Callable[[ImportProgress], Any] | None = None,
    ) -> ImportReport:
        """Import contacts into a list, in concurrent batches, exactly once (module docstring).

        Args:
            contact_list: the list's name, or a :class:`ContactList` (from ``create``/``get``;
                then no lookup is needed to learn its id and whether it keeps duplicates).
            rows: mappings with at least ``phoneNumber`` (any other keys are sent as given),
                from a list, a generator or an async iterator; read once, in order.
            batch_size: contacts per request (1..10,000).
            concurrency: batches in flight (default: the client's ``max_concurrency``).
            checkpoint: a file recording acknowledged batches; ``resume=True`` continues
                from it (the same rows in the same order must be given again).
            resend_unknown: on resume, send again the batches whose outcome was unknown (and
                the in-flight batches the list does not show in full after settling).
            verify: read the list back until every accepted number is there.
            settle: on resume with batches in flight on a list that keeps duplicates, the
                seconds the list's count must stay unchanged before its contents are read
                (queued additions landing; see the module docstring).
            settle_timeout: the longest wait for the list to be quiet (then
                :class:`OutcomeUnknownError`, nothing sent).
            start_line: the line number of the first row (2 for a CSV with a header).
            on_progress: called after each acknowledged batch.
        """
        if not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH:
            raise InvalidParameterError("batch_size", batch_size, f"an integer from 1 to {MAX_BATCH}")
        width = concurrency if concurrency is not None else self._client.max_concurrency
        if not isinstance(width, int) or width < 1:
            raise InvalidParameterError("concurrency", concurrency, "an integer >= 1")
        for arg, value in (("verify_timeout", verify_timeout), ("settle", settle), ("settle_timeout", settle_timeout)):
            if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0:
                raise InvalidParameterError(arg, value, "seconds >= 0")
        if resume and checkpoint is None:
            raise InvalidParameterError("resume", resume, "False, or True with a checkpoint path")
        info = contact_list if isinstance(contact_list, ContactList) else None
        name = check_name(info.name if info else contact_list, "contact_list_name")
        started = time.monotonic()
        requests_before = self._transport.stats.requests
        report = ImportReport(list_name=name)
        state: _ImportCheckpoint | None = None
        if checkpoint is not None:
            state = _ImportCheckpoint(os.fspath(checkpoint), {"list": name, "batch_size": batch_size})
            if state.load() and not resume:
                raise ConfigurationError(
                    f"{state.path} holds an earlier import of {name!r}: pass resume=True (--resume) to continue it"
                )
        needs_lookup = info is None or info.allows_duplicates is None or (info.id is None and (verify or state))
        if needs_lookup:
            found = await self.find(name)
            if found is None:
                raise NotFoundError(f"no contact list named {name!r}", status=404, path="getAllListDetails")
            info = found
        assert info is not None
        duplicates = info.allows_duplicates is not False  # unknown counts as "keeps duplicates"
        # Batches a crashed run had sent without an answer: applied or not, the list's contents
        # tell, once the queued additions have landed (the list is quiet).
        present: Counter[str] | None = None
        if state is not None and state.inflight - state.done and duplicates and info.id is not None:
            present = await self._settled_contents(info.id, name, settle, settle_timeout)
        accepted_numbers: list[str] = []
        gate = asyncio.Semaphore(width)
        tasks: set[asyncio.Task[None]] = set()
        failure: list[BaseException] = []

        def record(number: int, batch: list[dict[str, Any]]) -> None:
            report.accepted += len(batch)
            report.batches += 1
            if verify:
                accepted_numbers.extend(str(r["phoneNumber"]) for r in batch)
            if state is not None:
                state.inflight.discard(number)
                state.unknown.discard(number)
                state.done.add(number)
                state.save()
            if on_progress is not None:
                elapsed = time.monotonic() - started
                on_progress(ImportProgress(report.accepted, report.rejected, report.skipped, report.batches, elapsed))

        def unknown(number: int, first_line: int, batch: list[dict[str, Any]]) -> None:
            report.unknown.append((first_line, first_line + len(batch) - 1))
            if state is not None:
                state.inflight.discard(number)
                state.unknown.add(number)
                state.save()

        async def send(number: int, first_line: int, batch: list[dict[str, Any]]) -> None:
            try:
                if state is not None:  # recorded before sending: a crash now leaves it "in flight"
                    state.inflight.add(number)
                    state.save()
                try:
                    await self._send_batch(name, batch)
                except OutcomeUnknownError:
                    if duplicates:  # a second copy would be kept: the checkpoint is the only guard
                        unknown(number, first_line, batch)
                        return
                    await self._send_batch(name, batch)  # no duplicates kept: a second copy is harmless
                record(number, batch)
            except asyncio.CancelledError:
                raise  # stays "in flight" in the checkpoint; a resume looks at the list
            except Exception as exc:  # the first failure stops the import (below)
                failure.append(exc)
            finally:
                gate.release()

        async def dispatch(number: int, first_line: int, batch: list[dict[str, Any]]) -> None:
            if state is not None:
                if number in state.done:
                    report.skipped += len(batch)
                    return
                if number in state.inflight and present is not None:
                    wanted = Counter(str(r["phoneNumber"]) for r in batch)
                    found = sum(min(present[n], c) for n, c in wanted.items())
                    if found == len(batch):  # every contact is there: it was applied
                        report.skipped += len(batch)
                        state.inflight.discard(number)
                        state.done.add(number)
                        state.save()
                        return
                    if not resend_unknown:
                        # some there: neither sending nor skipping is exact; none there: not
                        # applied, or still queued past the settle time: sending could add it twice
                        unknown(number, first_line, batch)
                        return
                    logger.warning(
                        "import into %r: lines %d-%d were in flight and %d of their %d contacts are in the list; "
                        "sent again as asked (resend_unknown)",
                        name,
                        first_line,
                        first_line + len(batch) - 1,
                        found,
                        len(batch),
                    )
                elif number in state.unknown and not resend_unknown:
                    report.unknown.append((first_line, first_line + len(batch) - 1))
                    return
            await gate.acquire()
            if failure:
                gate.release()
                return
            task = asyncio.create_task(send(number, first_line, batch))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        batch: list[dict[str, Any]] = []
        batch_first = start_line
        number = 0

        def take(index: int, row: Any) -> bool:
            """Check one row and add it to the batch; True when the batch is full."""
            nonlocal batch_first
            line = start_line + index
            if type(row) is dict or isinstance(row, Mapping):  # the ABC check costs 0.5 us: dicts skip it
                problem = check_contact_row(row)
            else:
                problem = row.reason if isinstance(row, UnreadableRow) else "not a mapping of column -> value"
            if problem:
                report.rejected += 1
                if len(report.problems) < 1_000:
                    report.problems.append(RowProblem(line, problem))
                return False
            if not batch:
                batch_first = line
            contact = dict(row)
            if type(contact["phoneNumber"]) is not str:  # 9122333445566 -> "9122333445566", as the sample
                contact["phoneNumber"] = str(contact["phoneNumber"])
            batch.append(contact)
            return len(batch) >= batch_size

        try:
            # a plain loop for plain iterables: an async generator per row costs more than the check
            if isinstance(rows, AsyncIterable):
                index = 0
                async for row in rows:
                    if take(index, row):
                        number += 1
                        await dispatch(number, batch_first, batch)
                        batch = []
                    index += 1
                    if failure:
                        break
            else:
                for index, row in enumerate(rows):
                    if take(index, row):
                        number += 1
                        await dispatch(number, batch_first, batch)
                        batch = []
                        if failure:
                            break
            if batch and not failure:
                number += 1
                await dispatch(number, batch_first, batch)
        except asyncio.CancelledError:
            for task in list(tasks):
                task.cancel()
            raise
        finally:
            # a failing row source or batch: the batches already sent finish (and are recorded)
            while tasks:
                await asyncio.gather(*list(tasks), return_exceptions=True)
        if failure:
            raise failure[0]
        if verify and info.id is not None:
            report.missing = await self._verify(info.id, accepted_numbers, duplicates, verify_timeout)
            report.verified = not report.missing
        report.requests = self._transport.stats.requests - requests_before
        report.elapsed = time.monotonic() - started
        if state is not None and not report.unknown:
            state.remove()
        return report

    async def _contents(self, list_id: str) -> Counter[str]:
        """How often each phone number is in the list now (one pass of ``getAllContacts``;
        :class:`PaginationDriftError` when the list changes during the pass)."""
        have: Counter[str] = Counter()
        async with self._client.iter_contact_list(list_id) as stream:
            async for contact in stream:
                have[contact.phone_number] += 1
        return have

    async def _count(self, list_id: str) -> int | None:
        """The list's size now, from one small page (``totalResults``), or ``None`` when the
        server does not say."""
        page = await self._client.get_contact_list(list_id, page=1, limit=1)
        return page.total_results

    async def _settled_contents(self, list_id: str, name: str, settle: float, limit: float) -> Counter[str]:
        """The list's contents once it is quiet: its count unchanged for ``settle`` seconds,
        then a full pass that saw no change. Raises :class:`OutcomeUnknownError` (nothing
        sent) when it is not quiet within ``limit`` seconds."""
        started = time.monotonic()
        deadline = started + limit
        poll = min(max(settle / 4, 0.1), 5.0)
        last: int | None = None
        quiet_since: float | None = None  # None: not known quiet (not read yet, or it moved)
        while True:
            now = time.monotonic()
            if settle > 0:
                count = await self._count(list_id)
                now = time.monotonic()
                if quiet_since is None or count != last:
                    last, quiet_since = count, now
            else:
                quiet_since = now
            if now - quiet_since >= settle:
                try:
                    contents = await self._contents(list_id)
                except PaginationDriftError:
                    quiet_since = None  # it moved while read: wait for quiet again
                else:
                    if now - started >= 1:
                        logger.info("import into %r: the list was quiet after %.1fs", name, now - started)
                    return contents
            if now >= deadline:
                raise OutcomeUnknownError(
                    f"resume the import into {name!r}",
                    method="GET",
                    path=f"contactList/{list_id}/getAllContacts",
                    cause=f"the list kept changing for {limit:g}s",
                    unknown="the batches the interrupted run had in flight cannot be told applied or not while "
                    "queued additions are still landing; nothing was sent: run the import again with --resume "
                    "later, or allow more time (settle_timeout, --settle-timeout)",
                )
            await asyncio.sleep(min(poll, max(0.0, deadline - now)))

    async def _verify(self, list_id: str, numbers: list[str], duplicates: bool, seconds: float) -> list[str]:
        """Accepted numbers not found in the list after ``seconds`` of reading back
        (every number once; for a list that keeps duplicates, as many times as sent)."""
        wanted = Counter(numbers) if duplicates else Counter(set(numbers))
        deadline = time.monotonic() + seconds
        pause = 0.5
        while True:
            try:
                missing = wanted - await self._contents(list_id)
            except PaginationDriftError:  # additions still landing while read: look again
                missing = wanted
            if not missing or time.monotonic() >= deadline:
                return sorted(missing.elements())
            await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 10.0)

    # -- listing (last: the method named `list` shadows the builtin in the class body) -------
    async def list(self) -> builtins.list[ContactList]:
        """Every contact list (``getAllListDetails?type=call``).

        The page documents POST and shows a curl without a body (a GET); POST is sent, and
        a 404 or 405 is answered by trying GET once (remembered). The sample answers every
        list at once; when an answer carries ``totalPages`` (or ``hasMore``) the other pages
        are fetched concurrently, and a server that ignores paging (the same lists again)
        ends the listing."""
        first = await self._list_page(1)
        lists = list(first.data)
        total_pages = first.total_pages
        if total_pages is None and first.total_results is not None and first.limit:
            total_pages = -(-first.total_results // first.limit)
        seen = {c.id for c in lists}
        if total_pages and total_pages > 1:
            pages = await asyncio.gather(*(self._list_page(n) for n in range(2, total_pages + 1)))
            for page in pages:
                lists.extend(c for c in page.data if c.id not in seen)
                seen.update(c.id for c in page.data)
        elif first.has_more:
            number = 1
            page = first
            while page.has_more:
                number += 1
                page = await self._list_page(number)
                fresh = [c for c in page.data if c.id not in seen]
                if not fresh:
                    self._transport.stats.discrepancies += 1
                    logger.warning(
                        "getAllListDetails said hasMore but page %d repeated the lists already seen: the server "
                        "does not page this call; listing what it served (%d lists)",
                        number,
                        len(lists),
                    )
                    break
                lists.extend(fresh)
                seen.update(c.id for c in fresh)
        return lists

    async def _list_page(self, number: int) -> Envelope[builtins.list[ContactList]]:
        limit = 100
        params = {"type": "call"}
        body = _encode({"page": number, "limit": limit, "skip": (number - 1) * limit})
        methods = ["POST", "GET"] if self._list_method != "GET" else ["GET", "POST"]
        for n, method in enumerate(methods):
            try:
                result = await self._call(
                    "api",
                    method,
                    "/campaign/contactList/getAllListDetails",
                    _MANY,
                    params=params
                    if method == "POST"
                    else {**params, "page": str(number), "limit": str(limit), "skip": str((number - 1) * limit)},
                    body=body if method == "POST" else None,
                )
            except NotFoundError as exc:
                if n or exc.status not in (404, 405):
                    raise
                continue
            except Exception as exc:  # 405 arrives as a generic KoreAPIError
                if n or getattr(exc, "status", None) != 405:
                    raise
                continue
            if method != self._list_method:
                if method == "GET":
                    self._transport.stats.discrepancies += 1
                    logger.info("getAllListDetails answered GET, not the documented POST")
                self._list_method = method
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def find(self, name: str) -> ContactList | None:
        """The contact list named ``name`` (exactly, else ignoring case), or ``None``."""
        check_name(name)
        lists = await self.list()
        for item in lists:
            if item.name == name:
                return item
        folded = name.casefold()
        return next((item for item in lists if (item.name or "").casefold() == folded), None)

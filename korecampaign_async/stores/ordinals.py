"""Ordinals: what tells two rows with one phone number apart in a campaign's contacts.

The contact-status rows have no id, and a number can be dialled more than once in one
campaign, so a stored row is keyed by ``(phone_number, ordinal)``: the ordinal counts the
number's earlier appearances in the campaign, in API order (0 for the first). A sync reads a
campaign page by page and needs, for each page, the ordinals of its rows, and at the end the
set of keys it met (what is not in it is gone).

:class:`Ordinals` keeps both in one structure sized by the campaign's *distinct* numbers: the
set of numbers met, plus a count for the few met more than once. The keys met are derived
from it (``(phone, k)`` for ``k`` below the number's count) instead of being collected in a
second set of ``(phone, ordinal)`` tuples: an unchanged re-sync, which reads every row and
writes none, spent more on that set (a tuple and a hash per row) than on hashing its pages.
A page whose numbers are all new (the common case) is handled with set operations in C and
reports "every ordinal is 0" as ``None``, so no per-row list is built for it.

A write batch of ``(ordinal, row)`` pairs is a :class:`KeyedRows`: the ordinals and the rows
in two parallel lists, read as pairs. Built as a list of tuples, a 1M-row first sync made 1M
tuples in the event loop that the store only took apart again, and every 700 of them brought
on a pass of the cyclic GC (which holds the GIL the store's thread needs).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Set
from itertools import repeat
from operator import attrgetter
from typing import Any, overload

from ..models.records import CampaignContact

__all__ = ["KeyedRows", "Ordinals", "keyed"]

_phone = attrgetter("phone_number")


class Ordinals(Set[tuple[str, int]]):
    """The ordinals of one campaign's rows, page after page in API order; also the (read-only)
    set of ``(phone_number, ordinal)`` keys met so far."""

    __slots__ = ("_met", "_repeats")

    def __init__(self) -> None:
        self._met: set[str] = set()
        self._repeats: dict[str, int] = {}  # numbers met more than once: how often

    def of(self, rows: Sequence[CampaignContact]) -> list[int] | None:
        """The ordinals of the next page's rows (and count them as met), or ``None`` when
        every one is 0 (no number of the page met before, none twice on it)."""
        phones = list(map(_phone, rows))
        new = set(phones)
        met = self._met
        if len(new) == len(phones) and met.isdisjoint(new):
            met |= new
            return None
        repeats = self._repeats
        ordinals = []
        for phone in phones:
            if phone in met:
                ordinal = repeats.get(phone, 1)
                repeats[phone] = ordinal + 1
            else:
                met.add(phone)
                ordinal = 0
            ordinals.append(ordinal)
        return ordinals

    def count(self, phone: str) -> int:
        """How many rows with ``phone`` were met."""
        return self._repeats.get(phone, 1) if phone in self._met else 0

    def __contains__(self, key: Any) -> bool:
        phone, ordinal = key
        return bool(0 <= ordinal < self.count(phone))

    def __iter__(self) -> Iterator[tuple[str, int]]:
        repeats = self._repeats
        for phone in self._met:
            for ordinal in range(repeats.get(phone, 1)):
                yield phone, ordinal

    def __len__(self) -> int:
        return len(self._met) + sum(self._repeats.values()) - len(self._repeats)

    def __repr__(self) -> str:
        return f"<Ordinals: {len(self)} keys, {len(self._met)} numbers>"


def keyed(rows: Sequence[CampaignContact], ordinals: list[int] | None) -> list[tuple[int, CampaignContact]]:
    """``(ordinal, row)`` pairs of a page, from :meth:`Ordinals.of`'s answer for it."""
    if ordinals is None:
        return list(zip(repeat(0), rows))
    return list(zip(ordinals, rows, strict=True))


class KeyedRows(Sequence[tuple[int, CampaignContact]]):
    """``(ordinal, row)`` pairs kept as two parallel lists (:attr:`ordinals`, :attr:`rows`),
    so a batch is built page by page without a tuple per row; it reads as the pairs, and a
    store may take the two lists directly."""

    __slots__ = ("ordinals", "rows")

    def __init__(self) -> None:
        self.ordinals: list[int] = []
        self.rows: list[CampaignContact] = []

    def add(self, rows: Sequence[CampaignContact], ordinals: Sequence[int] | None) -> None:
        """Append a page's rows with :meth:`Ordinals.of`'s answer for it (``None``: all 0)."""
        if ordinals is not None and len(ordinals) != len(rows):
            raise ValueError(f"{len(ordinals)} ordinals for {len(rows)} rows")
        self.rows += rows
        self.ordinals += repeat(0, len(rows)) if ordinals is None else ordinals

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> tuple[int, CampaignContact]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[int, CampaignContact]]: ...

    def __getitem__(self, index: int | slice) -> tuple[int, CampaignContact] | list[tuple[int, CampaignContact]]:
        if isinstance(index, slice):
            return list(zip(self.ordinals[index], self.rows[index], strict=True))
        return self.ordinals[index], self.rows[index]

    def __iter__(self) -> Iterator[tuple[int, CampaignContact]]:
        return zip(self.ordinals, self.rows, strict=True)

    def __repr__(self) -> str:
        return f"<KeyedRows: {len(self)} rows>"

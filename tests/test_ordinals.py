"""Ordinals of a campaign's rows and the keys met: the fast path against the plain definition."""

from __future__ import annotations

import random

import msgspec
import pytest

from korecampaign_async.models.records import CampaignContact
from korecampaign_async.stores.ordinals import KeyedRows, Ordinals, keyed


def _row(phone: str) -> CampaignContact:
    return msgspec.convert({"phoneNumber": phone}, CampaignContact)


def test_ordinals_match_the_plain_loop_on_every_page_shape() -> None:
    """The all-new fast path (``None``) and the loop give the ordinals of the plain definition,
    and the keys met are exactly the plain set, for pages with repeats inside them, across
    them, and none (including empty pages)."""
    rng = random.Random(5)
    fast_pages = 0
    for trial in range(300):
        pool = [f"+1{n:09d}" for n in range(rng.randint(1, 60))]
        pages = [
            [_row(rng.choice(pool) if trial % 3 else f"+2{trial}{i}:{p}") for i in range(rng.randint(0, 25))]
            for p in range(rng.randint(1, 6))
        ]
        counts: dict[str, int] = {}
        expected_keys: set[tuple[str, int]] = set()
        keys = Ordinals()
        for page in pages:
            expected = []
            for row in page:
                ordinal = counts.get(row.phone_number, 0)
                counts[row.phone_number] = ordinal + 1
                expected.append((ordinal, row))
                expected_keys.add((row.phone_number, ordinal))
            ordinals = keys.of(page)
            fast_pages += ordinals is None
            assert keyed(page, ordinals) == expected
        assert set(keys) == expected_keys and len(keys) == len(expected_keys) and keys == expected_keys  # type: ignore[comparison-overlap]
        assert all(key in keys for key in expected_keys)
        for phone, count in counts.items():
            assert keys.count(phone) == count
            assert (phone, count) not in keys and (phone, -1) not in keys
        assert ("+9 never", 0) not in keys
    assert fast_pages > 100  # the fast path was taken, not only the loop


def test_a_repeat_inside_one_page_takes_the_loop() -> None:
    keys = Ordinals()
    assert keys.of([_row("a"), _row("b")]) is None
    assert keys.of([_row("c"), _row("c"), _row("a")]) == [0, 1, 1]
    assert keys.of([_row("d")]) is None
    assert sorted(keys) == [("a", 0), ("a", 1), ("b", 0), ("c", 0), ("c", 1), ("d", 0)]
    assert keyed([_row("x")], None) == [(0, _row("x"))]


def test_keyed_rows_read_as_the_pairs_keyed_builds() -> None:
    """A batch built page by page as two lists reads exactly as the list of pairs it replaces
    (iteration, length, indexing, slices), with all-zero pages given as ``None``."""
    rng = random.Random(11)
    for _ in range(50):
        keys, batch, pairs = Ordinals(), KeyedRows(), []
        for _page in range(rng.randint(0, 5)):
            page = [_row(f"+1{rng.randint(0, 30):09d}") for _ in range(rng.randint(0, 12))]
            ordinals = keys.of(page)
            batch.add(page, ordinals)
            pairs += keyed(page, ordinals)
        assert list(batch) == pairs
        assert len(batch) == len(pairs) and bool(batch) == bool(pairs)
        assert [batch[i] for i in range(-len(pairs), len(pairs))] == pairs + pairs
        assert batch[1:-1:2] == pairs[1:-1:2]
        assert batch.ordinals == [o for o, _ in pairs] and batch.rows == [r for _, r in pairs]


def test_keyed_rows_refuse_ordinals_that_do_not_match_the_rows() -> None:
    batch = KeyedRows()
    with pytest.raises(ValueError, match="2 ordinals for 1 rows"):
        batch.add([_row("+1")], [0, 1])
    assert len(batch) == 0

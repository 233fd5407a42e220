"""Ordinals of a campaign's rows and the keys met: the fast path against the plain definition."""

from __future__ import annotations

import random

import msgspec

from korecampaign_async.models import CampaignContact
from korecampaign_async.ordinals import Ordinals, keyed


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
        assert set(keys) == expected_keys and len(keys) == len(expected_keys) and keys == expected_keys
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

"""Rolling windows checked together, with an injectable clock (no sleeps)."""

import asyncio

import pytest

from korecampaign_async import InvalidParameterError, RateLimit
from korecampaign_async.ratelimit.windows import PRESETS, SlidingWindowLog, parse_windows

from .test_concurrency import FakeTime


def test_parse_specs() -> None:
    assert parse_windows("600/60s,18000/1h") == ((600, 60.0), (18000, 3600.0))
    assert parse_windows("10/s") == ((10, 1.0),)
    assert parse_windows("20/500ms") == ((20, 0.5),)
    assert parse_windows("runtime") == PRESETS["runtime"]
    for bad in ("", "600", "600/60x", "0/1s", "abc/1s"):
        with pytest.raises(InvalidParameterError, match="rate_limit"):
            parse_windows(bad)


def test_log_is_a_rolling_window() -> None:
    log = SlidingWindowLog([(3, 10.0)])
    for t in (0.0, 1.0, 2.0):
        assert log.delay(t) == 0
        log.record(t)
    assert log.delay(5.0) == pytest.approx(5.0)  # the request at t=0 leaves at t=10
    assert log.delay(10.0) == 0  # rolling: exactly one slot frees
    log.record(10.0)
    assert log.delay(10.5) == pytest.approx(0.5)


def test_log_checks_all_windows_together() -> None:
    log = SlidingWindowLog([(2, 1.0), (3, 10.0)])
    log.record(0.0)
    log.record(0.1)
    assert log.delay(0.5) == pytest.approx(0.5)  # the 1 s window is full
    log.record(1.0)
    assert log.delay(1.5) == pytest.approx(8.5)  # now the 10 s window is the binding one


def test_never_more_than_n_in_any_window() -> None:
    log = SlidingWindowLog([(5, 1.0), (12, 4.0)])
    t, admitted = 0.0, []
    while t < 20:
        wait = log.delay(t)
        if wait <= 0:
            log.record(t)
            admitted.append(t)
            t += 0.013
        else:
            t += wait
    for start in admitted:
        assert sum(1 for a in admitted if start <= a < start + 1.0) <= 5
        assert sum(1 for a in admitted if start <= a < start + 4.0) <= 12
    assert len(admitted) >= 12 * 5 - 1  # and the budget is used


async def test_rate_limit_paces_with_fake_clock() -> None:
    t = FakeTime()
    limit = RateLimit(windows=[(10, 1.0)], margin=0.0, clock=t.clock, sleep=t.sleep)
    stamps = []
    for _ in range(35):
        await limit.acquire()
        stamps.append(t.now)
    assert stamps[9] == 0.0 and stamps[10] == pytest.approx(1.0) and stamps[34] == pytest.approx(3.0)
    assert limit.requests_per_second() == 10


async def test_waiters_are_served_in_order() -> None:
    t = FakeTime()
    limit = RateLimit(windows=[(1, 1.0)], margin=0.0, clock=t.clock, sleep=t.sleep)
    order: list[int] = []

    async def go(i: int) -> None:
        await limit.acquire()
        order.append(i)

    await asyncio.gather(*(go(i) for i in range(5)))
    assert order == [0, 1, 2, 3, 4]


def test_constructors() -> None:
    assert RateLimit(requests=600, per=60).limits == ((600, 60.0),)
    assert RateLimit.windows((600, 60), (18_000, 3_600)).limits == ((600, 60.0), (18_000, 3600.0))
    assert RateLimit.preset("designtime").limits == ((60, 60.0), (1_800, 3600.0))
    assert RateLimit.parse("5/1s").limits == ((5, 1.0),)
    with pytest.raises(InvalidParameterError, match="preset"):
        RateLimit.preset("turbo")
    with pytest.raises(InvalidParameterError):
        RateLimit()
    assert "600/60s" in repr(RateLimit(requests=600, per=60))

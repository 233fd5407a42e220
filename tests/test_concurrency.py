"""AIMD in-flight limit and the client-wide pause, with an injectable clock (no sleeps)."""

import asyncio

import pytest

from korecampaign_async.ratelimit.concurrency import AdaptiveConcurrency


class FakeTime:
    """A clock whose sleep advances it instantly."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_limit_bounds_in_flight() -> None:
    limiter = AdaptiveConcurrency(2)
    await limiter.acquire()
    await limiter.acquire()
    third = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    assert not third.done() and limiter.in_flight == 2
    limiter.release()
    await asyncio.sleep(0)
    assert third.done() and limiter.in_flight == 2


async def test_multiplicative_decrease_once_per_window_and_floor() -> None:
    limiter = AdaptiveConcurrency(16)
    seqs = [await limiter.acquire() for _ in range(8)]
    for _ in seqs:
        limiter.release()
    for s in seqs:  # eight 429s from the same window count once
        limiter.on_throttled(s, retry_after=0.0)
    assert limiter.limit == 8 and limiter.decreases == 1
    for _ in range(10):
        seq = await limiter.acquire()
        limiter.release()
        assert limiter.on_throttled(seq, retry_after=0.0)  # the recent 429 share says: congestion
    assert limiter.limit == 1  # floor


async def test_additive_increase_up_to_ceiling() -> None:
    limiter = AdaptiveConcurrency(4)
    seq = await limiter.acquire()
    limiter.release()
    limiter.on_throttled(seq, retry_after=5.0)  # a long Retry-After is congestion by itself
    assert limiter.limit == 2
    for _ in range(2):
        limiter.on_success()
    assert limiter.limit == 3
    for _ in range(3):
        limiter.on_success()
    assert limiter.limit == 4
    for _ in range(100):
        limiter.on_success()
    assert limiter.limit == 4


async def test_not_adaptive_keeps_the_limit() -> None:
    limiter = AdaptiveConcurrency(4, adaptive=False)
    seq = await limiter.acquire()
    limiter.on_throttled(seq, retry_after=5.0)
    assert limiter.limit == 4


async def test_a_stray_429_is_not_congestion() -> None:
    t = FakeTime()
    limiter = AdaptiveConcurrency(8, clock=t.clock, sleep=t.sleep)
    for _ in range(20):
        limiter.on_success()
    seq = await limiter.acquire()
    limiter.release()
    assert not limiter.on_throttled(seq, retry_after=0.05)  # isolated, short hint
    assert limiter.limit == 8
    await limiter.acquire()
    assert t.now == 0.0  # nobody paused
    for _ in range(3):
        assert not limiter.on_throttled(seq, retry_after=0.05)
    assert limiter.on_throttled(seq, retry_after=0.05)
    assert limiter.limit == 4  # the fifth in a short span is congestion


async def test_pause_holds_every_new_request() -> None:
    t = FakeTime()
    limiter = AdaptiveConcurrency(8, clock=t.clock, sleep=t.sleep)
    limiter.pause(2.5)
    await asyncio.gather(*(limiter.acquire() for _ in range(3)))
    assert t.now == pytest.approx(2.5)
    assert limiter.paused_seconds >= 2.5
    assert all(s <= 2.5 for s in t.sleeps)


async def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    limiter = AdaptiveConcurrency(1)
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    limiter.release()
    assert limiter.in_flight == 0
    await asyncio.wait_for(limiter.acquire(), 1)
    assert limiter.in_flight == 1


async def test_try_acquire_takes_a_free_slot_and_refuses_otherwise() -> None:
    t = FakeTime()
    limiter = AdaptiveConcurrency(2, clock=t.clock, sleep=t.sleep)
    assert limiter.try_acquire() == 1 and limiter.try_acquire() == 2
    assert limiter.try_acquire() is None and limiter.in_flight == 2  # full
    limiter.release()
    limiter.pause(1.0)
    assert limiter.try_acquire() is None  # paused: the caller must wait in acquire()
    t.now += 1.0
    assert limiter.try_acquire() == 3


async def test_rest_is_counted_and_wakes_whoever_waits_for_one() -> None:
    t = FakeTime()
    limiter = AdaptiveConcurrency(2, clock=t.clock, sleep=t.sleep)
    waiting = asyncio.create_task(limiter.wait_for_rest())
    await asyncio.sleep(0)
    assert not waiting.done()
    seen: list[int] = []

    async def resting() -> None:
        seen.append(limiter.resting)
        await limiter.rest(0.5)

    rest = asyncio.create_task(resting())
    await asyncio.sleep(0)
    assert limiter.resting == 1 and t.sleeps == [0.5]
    await waiting  # woken by the rest starting
    await rest
    assert limiter.resting == 0 and seen == [0]


async def test_cancelled_rest_waiter_is_forgotten() -> None:
    limiter = AdaptiveConcurrency(2)
    waiting = asyncio.create_task(limiter.wait_for_rest())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert limiter._rest_waiters == []


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_a_hold_without_retry_after_probes_one_at_a_time_and_grows() -> None:
    """Budget-shaped 429s without Retry-After: everyone waits, one probe at a time, each
    refusal makes the wait longer, an admitted probe ends it with a measured pace (the
    fallback when the windows themselves are not inferred: see the tests below)."""
    clock = FakeClock()
    holds: list[tuple[float, float]] = []
    limiter = AdaptiveConcurrency(
        8, clock=clock, sleep=clock.sleep, on_hold=lambda w, s: holds.append((w, s)), infer_windows=False
    )
    for _ in range(20):  # 20 admitted in the first second: the window's budget
        seq = await limiter.acquire()
        limiter.release()
        limiter.on_success(seq)
        clock.now += 0.05
    burst = [await limiter.acquire() for _ in range(5)]
    for _seq in burst:
        limiter.release()
    for seq in burst:  # 5 of the last 20 answers are 429s: the budget ran out
        limiter.on_throttled(seq)
    assert limiter.holding and limiter.limit == 1 and holds == [(1.0, 0.0)]
    assert limiter.paused_until == pytest.approx(clock.now + 1.0)
    late = burst[0]
    assert limiter.on_throttled(late)  # from the same burst: part of the hold, no growth
    assert len(holds) == 1
    probe = await limiter.acquire()  # waits the hold out
    assert clock.now == pytest.approx(1000.0 + 20 * 0.05 + 1.0)
    limiter.release()
    limiter.on_throttled(probe)  # refused: wait 1.5 s more
    assert holds[-1][0] == pytest.approx(1.5) and limiter.holding
    probe = await limiter.acquire()
    limiter.release()
    limiter.on_success(probe)  # admitted: the window freed
    assert not limiter.holding and limiter.limit == 4
    rate = 21 / (clock.now - 1000.0)
    assert limiter.pace == pytest.approx(0.95 * rate)
    clock.now += 3600  # however long it stays quiet, never probed above the rate it measured
    assert limiter.current_pace() == pytest.approx(rate)


async def test_two_requests_never_probe_together() -> None:
    clock = FakeClock()
    limiter = AdaptiveConcurrency(4, clock=clock, sleep=clock.sleep)
    seqs = [await limiter.acquire() for _ in range(4)]
    for _seq in seqs:
        limiter.release()
    limiter.on_success(seqs[0])
    for seq in seqs:
        limiter.on_throttled(seq)
    limiter.on_throttled(seqs[-1])
    assert limiter.holding
    first = asyncio.create_task(limiter.acquire())
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.01)
    assert first.done() != second.done() and limiter.in_flight == 1  # one probe
    first.cancel()
    second.cancel()
    await asyncio.gather(first, second, return_exceptions=True)


def test_measured_rate_restarts_after_idle() -> None:
    clock = FakeClock()
    limiter = AdaptiveConcurrency(4, clock=clock, idle_reset=60)
    for _ in range(10):
        limiter.on_success()
        clock.now += 1.0
    assert limiter.measured_rate() == pytest.approx(10 / 10)
    clock.now += 600  # idle
    limiter.on_success()
    clock.now += 0.5
    limiter.on_success()
    clock.now += 0.5
    assert limiter.measured_rate() == pytest.approx(2 / 1.0)


async def test_a_new_pace_from_retry_after_is_not_capped_by_an_older_hold() -> None:
    """A hold caps the pace it measured; a later pace learned from Retry-After is its own."""
    clock = FakeClock()
    limiter = AdaptiveConcurrency(8, clock=clock, sleep=clock.sleep)
    limiter.pace, limiter._pace_cap, limiter._pace_set_at = 5.0, 5.26, clock.now  # as a hold leaves it
    for _ in range(10):  # a Retry-After episode measures 10 admitted over a short cycle
        seq = await limiter.acquire()
        limiter.release()
        limiter.on_success(seq)
        clock.now += 0.01
    seq = await limiter.acquire()
    limiter.release()
    assert limiter.on_throttled(seq, retry_after=2.0)
    learned = limiter.pace
    assert learned is not None and learned != 5.0
    clock.now += 5.0 + 20  # quiet: probing growth applies to the new pace, not capped at 5.26
    grown = limiter.current_pace()
    assert grown is None or grown > 5.26

"""Inferring a server's rolling windows from a send log (issue 22.3): pure code, fed times.

The logs below are what a client sees against windows it does not know: a burst until the
first refusal, probes one at a time while the window is full (refused, then admitted), then
requests paced by what was inferred until a longer window refuses again."""

from __future__ import annotations

import pytest

from korecampaign_async.ratelimit.inference import ROUND_LENGTHS, WindowInference, roundest
from korecampaign_async.ratelimit.windows import SlidingWindowLog


def simulate(windows: list[tuple[int, float]], until: float, step: float = 0.01) -> WindowInference:
    """A client against a server enforcing ``windows``: it sends every ``step`` seconds when
    nothing holds it; after a refusal it probes at the times ``next_admission`` proposes
    (else after a growing wait) and infers at each admitted probe, then paces by what it
    inferred. Returns the inference at ``until``."""
    server = SlidingWindowLog(windows)
    inference = WindowInference()
    learned: list[tuple[int, float]] = []
    mine: SlidingWindowLog | None = None
    now, holding, wait = 0.0, False, 1.0
    at: float | None
    while now < until:
        if mine is not None and not holding and mine.delay(now) > 0:
            now += max(mine.delay(now), 1e-3)
            continue
        admitted = server.delay(now) <= 0
        if admitted:
            server.record(now)
            inference.admitted(now)
            if mine is not None:
                mine.record(now)
            if holding:
                holding, wait = False, 1.0
                learned = inference.infer(learned)
                mine = SlidingWindowLog(learned, margin=0.005)  # as the client: a margin for jitter
                for at in inference.recent_admissions(now - max(w for _, w in learned) - 1e-9):
                    mine.record(at)
            now += step
        else:
            inference.refused(now)
            holding = True
            at = inference.next_admission(now)
            delay = min(wait, max(0.01, at - now + 0.01)) if at is not None else wait
            wait *= 1.5
            now += delay
    inference.learned = learned  # type: ignore[attr-defined]
    return inference


@pytest.mark.parametrize(
    "windows",
    [
        [(10, 1.0)],
        [(20, 2.0), (60, 20.0)],
        [(10, 0.5), (30, 3.0)],
        [(20, 1.0), (100, 10.0)],
        [(600, 60.0)],
    ],
)
def test_the_windows_are_found_exactly(windows: list[tuple[int, float]]) -> None:
    span = 3 * max(w for _, w in windows) + 1
    found = simulate(windows, until=span)
    assert found.learned == windows  # type: ignore[attr-defined]


def test_a_published_tier_wins_when_it_fits() -> None:
    inference = WindowInference()
    for i in range(600):
        inference.admitted(i * 0.001)
    inference.refused(0.61)
    inference.refused(40.0)
    inference.admitted(60.05)
    assert inference.infer() == [(600, 60.0)]


def test_nothing_is_inferred_before_an_admission_bounds_the_window() -> None:
    inference = WindowInference()
    for i in range(20):
        inference.admitted(i * 0.01)
    inference.refused(0.25)
    assert inference.infer() == []  # the window could be any length above 0.06 s
    # 0.1 and 0.25 s would have freed a slot by then (the refusal rules them out): 0.5 s is next
    assert inference.next_admission(0.25) == pytest.approx(0.0 + 0.5)


def test_known_windows_that_explain_a_refusal_add_nothing_and_exceeded_ones_go() -> None:
    inference = WindowInference()
    for i in range(20):
        inference.admitted(i * 0.01)
    inference.refused(0.3)
    inference.admitted(1.05)
    assert inference.infer([(20, 1.0)]) == [(20, 1.0)]
    assert inference.infer([(5, 1.0)]) == [(20, 1.0)]  # 20 were admitted within a second: not 5


def test_requests_bunched_by_a_stall_are_not_a_window() -> None:
    """Seen under load (CI, three workers sharing a Redis log): requests reach the server
    bunched by a stall, and a 429 arrives that only lengths within the jitter (under 0.1 s)
    explain. That is noise, not a window of 19 in 52 ms; a refusal that a longer length
    explains still makes a short window."""
    bunched = WindowInference()
    for i in range(19):
        bunched.admitted(i * 0.0028)  # 19 within 50 ms
    bunched.refused(0.051)
    bunched.admitted(0.06)  # a 20th 9 ms later: any length over 57 ms held 20
    assert bunched.infer() == []
    longer = WindowInference()
    for i in range(19):
        longer.admitted(i * 0.0028)
    longer.refused(0.09)
    longer.admitted(0.2)  # freed between 0.09 and 0.2 s: a window of 0.1 s
    assert longer.infer() == [(19, 0.1)]


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(1.44, 2.05, 2.0), (15.05, 20.05, 20.0), (0.95, 1.43, 1.0), (55.0, 61.0, 60.0), (0.3, 0.34, 0.34)],
)
def test_roundest(low: float, high: float, expected: float) -> None:
    assert roundest(low, high) == pytest.approx(expected)


def test_round_lengths_include_kores() -> None:
    assert 60 in ROUND_LENGTHS and 3600 in ROUND_LENGTHS


def test_slow_round_trips_widen_what_a_known_window_explains() -> None:
    """A loaded client sees its answers late, and the server saw its requests later than the
    client logged them: a refusal 0.3 s past a known 20/1 s window's reach is that window's when
    requests have been taking 0.4 s, and a new window when they take 10 ms."""

    def log(round_trip: float) -> WindowInference:
        inference = WindowInference()
        for i in range(20):
            inference.admitted(i * 0.01)  # 20 in the first 0.2 s
            inference.round_trip(round_trip)
        inference.refused(1.35)  # the server still counted them: they reached it late
        inference.admitted(2.5)
        return inference

    assert log(0.4).infer([(20, 1.0)]) == [(20, 1.0)]
    assert log(0.01).infer([(20, 1.0)]) != [(20, 1.0)]  # without the evidence of slowness: another window
    assert log(0.4).jitter == 0.4 and log(0.01).jitter == 0.05

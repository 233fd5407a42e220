"""The paging plan, without sockets: scheduling, tolerant and strict checks, the page/skip reading."""

from collections.abc import Callable
from typing import Any

import pytest

from korecampaign_async import PaginationDriftError
from korecampaign_async.models.records import Page
from korecampaign_async.paging.plan import PaginationPlan, infer_reading, probe_params, request_params


def page(
    number: int, count: int, total_results: int | None, limit: int = 10, *, offset: int | None = None, **kw: Any
) -> Page[int]:
    """Page ``number`` holding ``count`` distinct rows (row values are their offsets)."""
    total_pages = kw.pop("total_pages", None)
    if total_pages is None and total_results is not None:
        total_pages = -(-total_results // limit)
    start = (number - 1) * limit if offset is None else offset
    return Page(
        results=list(range(start, start + count)),
        page=kw.pop("echo_page", number),
        limit=limit,
        total_pages=total_pages,
        total_results=total_results,
        **kw,
    )


def drain_schedule(plan: PaginationPlan) -> list[int]:
    out = []
    while (n := plan.take_next()) is not None:
        out.append(n)
    return out


def run(plan: PaginationPlan, rows: int, total_results: int | None, limit: int = 10, **kw: Any) -> list[int]:
    """Serve ``rows`` real rows (reporting ``total_results``) to ``plan``; return the pages fetched."""
    fetched: list[int] = []
    while not plan.done:
        numbers = drain_schedule(plan)
        assert numbers, "the plan stalled"
        fetched += numbers
        for n in numbers:
            if plan.done:
                break
            count = max(0, min(limit, rows - (n - 1) * limit))
            plan.accept(n, page(n, count, total_results, limit, **kw))
    return fetched


def test_first_page_then_everything_concurrently() -> None:
    plan = PaginationPlan(limit=10)
    assert drain_schedule(plan) == [1]  # nothing else until page 1 tells the totals
    plan.accept(1, page(1, 10, 35))
    assert drain_schedule(plan) == [2, 3, 4]
    for n, count in ((2, 10), (3, 10), (4, 5)):
        assert not plan.done
        plan.accept(n, page(n, count, 35))
    assert plan.done and plan.records_accepted == 35
    assert plan.shortfall == 0 and plan.notes == []


def test_empty_result_set() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 0, 0, total_pages=0))
    assert plan.done and drain_schedule(plan) == []


# -- tolerant (default): follow the rows, report the counts ------------------------------------


def test_doc_sample_three_rows_where_four_are_counted() -> None:
    """The contact-status sample: totalPages 1, totalResults 4, three rows."""
    plan = PaginationPlan(limit=100)
    drain_schedule(plan)
    plan.accept(1, page(1, 3, 4, limit=100))
    assert plan.done and plan.records_accepted == 3
    assert plan.shortfall == 1


def test_short_middle_page_is_tolerated_and_noted() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 30))
    drain_schedule(plan)
    plan.accept(2, page(2, 9, 30))  # a row the server counts but does not serve
    assert not plan.done and plan.short_pages == 1 and "page 2 holds 9 of 10" in plan.notes[0]
    plan.accept(3, page(3, 10, 30))
    assert plan.done and plan.records_accepted == 29 and plan.shortfall == 1


@pytest.mark.parametrize(
    ("total_pages", "total_results", "rows", "pages_needed"),
    [
        (10, 1007, 1007, 11),  # totalPages one short of totalResults: page 11 holds the rest
        (10, 1007, 1000, 10),  # totalResults overcounts
        (11, 1000, 1000, 10),  # totalPages overcounts
        (11, 1000, 1050, 11),
        (100, 1000, 1000, 10),  # wildly different readings
        (3, 1000, 300, 3),
    ],
)
def test_totals_that_disagree_cost_at_most_one_extra_request(
    total_pages: int, total_results: int, rows: int, pages_needed: int
) -> None:
    plan = PaginationPlan(limit=100)
    fetched = run(plan, rows, total_results, limit=100, total_pages=total_pages)
    assert plan.records_accepted == rows  # every row the server has
    assert len(fetched) <= pages_needed + 1
    assert fetched == sorted(set(fetched))
    assert plan.shortfall == max(0, total_results - rows)
    assert "needs" in plan.notes[0]


@pytest.mark.parametrize("rows", [995, 1000, 1003, 1100])
def test_full_last_page_beyond_totalresults_is_followed(rows: int) -> None:
    """The server undercounts: a full last page where totalResults says short means more."""
    plan = PaginationPlan(limit=100)
    fetched = run(plan, rows, 995, limit=100)
    assert plan.records_accepted == rows
    assert len(fetched) <= -(-rows // 100) + 1
    assert plan.surplus == rows - 995


def test_consistent_totals_with_a_full_last_page_cost_nothing_extra() -> None:
    plan = PaginationPlan(limit=100)
    assert run(plan, 1000, 1000, limit=100) == list(range(1, 11))


def test_overcount_by_half_stops_asking_after_an_empty_page() -> None:
    """totalResults twice the real rows: the pages already asked for are read, no more."""
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 1000))
    asked = drain_schedule(plan)[:20]  # pages 2..21 in flight (a 20-page window)
    plan.next_to_fetch = 22
    for n in asked:
        if plan.done:
            break
        plan.accept(n, page(n, 10 if n <= 5 else 0, 1000))
    assert plan.done and plan.next_to_accept == 22 and plan.records_accepted == 50
    assert plan.shortfall == 950
    assert drain_schedule(plan) == []


def test_rows_after_an_empty_page_are_not_lost() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 50))
    assert drain_schedule(plan) == [2, 3, 4, 5]
    plan.accept(2, page(2, 0, 50))  # a fully filtered page
    plan.accept(3, page(3, 10, 50))
    plan.accept(4, page(4, 10, 50))
    plan.accept(5, page(5, 10, 50))
    assert plan.done and plan.records_accepted == 40


def test_totals_change_raises_by_default() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 30))
    with pytest.raises(PaginationDriftError, match="from 3/30 to 4/31") as err:
        plan.accept(2, page(2, 10, 31))
    assert err.value.resume_page == 2


def test_extend_follows_growth_at_the_end() -> None:
    plan = PaginationPlan(limit=10, on_change="extend")
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 25))
    assert drain_schedule(plan) == [2, 3]
    plan.accept(2, page(2, 10, 41))  # grew to 5 pages
    assert drain_schedule(plan) == [4, 5]
    plan.accept(3, page(3, 10, 41))
    plan.accept(4, page(4, 10, 41))
    plan.accept(5, page(5, 1, 41))
    assert plan.done and plan.records_accepted == 41


def test_extend_still_raises_on_shrink() -> None:
    plan = PaginationPlan(limit=10, on_change="extend")
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 30))
    with pytest.raises(PaginationDriftError):
        plan.accept(2, page(2, 10, 20))


def test_server_answering_another_page_is_drift() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 30))
    with pytest.raises(PaginationDriftError, match="asked for page 2 but the server answered page 3"):
        plan.accept(2, page(2, 10, 30, echo_page=3))


def test_server_answering_another_offset_is_drift() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 30, skip=0))
    with pytest.raises(PaginationDriftError, match=r"offset 10\) but the server answered offset 20"):
        plan.accept(2, page(2, 10, 30, skip=20), sent=(2, 10))


def test_echo_of_what_was_sent_is_accepted() -> None:
    """Under the skip reading page 3 goes out as page=1&skip=20: an echo of either is fine."""
    plan = PaginationPlan(limit=10, uses_skip=True, reading="skip")
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 30, skip=0), sent=plan.params(1))
    plan.accept(2, page(2, 10, 30, skip=10, echo_page=1), sent=plan.params(2))
    plan.accept(3, page(3, 10, 30, skip=20, echo_page=3), sent=plan.params(3))
    assert plan.done


def test_same_page_served_twice_is_drift() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 30))
    with pytest.raises(PaginationDriftError, match="repeats the rows of page 1"):
        plan.accept(2, page(2, 10, 30, offset=0))


def test_rows_repeated_across_a_boundary_are_drift() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 30))
    with pytest.raises(PaginationDriftError, match="starts with the last row of page 1"):
        plan.accept(2, page(2, 10, 30, offset=9))  # a row inserted before them shifted the rest


def test_more_rows_than_the_page_size_is_drift() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    with pytest.raises(PaginationDriftError, match="more than the page size"):
        plan.accept(1, page(1, 11, 30))


# -- strict: today's exact checks ---------------------------------------------------------------


def test_strict_short_middle_page_is_drift() -> None:
    plan = PaginationPlan(limit=10, strict=True)
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 30))
    drain_schedule(plan)
    with pytest.raises(PaginationDriftError, match="holds 9 records where 10") as err:
        plan.accept(2, page(2, 9, 30))
    assert err.value.resume_page == 2


def test_strict_inconsistent_totals_on_first_page() -> None:
    plan = PaginationPlan(limit=10, strict=True)
    drain_schedule(plan)
    with pytest.raises(PaginationDriftError, match="needs 3 pages"):
        plan.accept(1, page(1, 10, 30, total_pages=5))


def test_strict_doc_sample_is_drift() -> None:
    plan = PaginationPlan(limit=100, strict=True)
    drain_schedule(plan)
    with pytest.raises(PaginationDriftError, match="holds 3 records where 4 were expected"):
        plan.accept(1, page(1, 3, 4, limit=100))


# -- resuming, no totals, misuse ----------------------------------------------------------------


def test_resume_from_a_later_page() -> None:
    plan = PaginationPlan(limit=10, start_page=3)
    assert drain_schedule(plan) == [3]
    plan.accept(3, page(3, 10, 45))
    assert drain_schedule(plan) == [4, 5]
    plan.accept(4, page(4, 10, 45))
    plan.accept(5, page(5, 5, 45))
    assert plan.done and plan.shortfall == 0


def test_resume_past_the_end() -> None:
    plan = PaginationPlan(limit=10, start_page=5)
    drain_schedule(plan)
    plan.accept(5, page(5, 0, 40))  # exactly one past the last page: nothing left
    assert plan.done
    plan = PaginationPlan(limit=10, start_page=9)
    drain_schedule(plan)
    with pytest.raises(PaginationDriftError, match="beyond the last page"):
        plan.accept(9, page(9, 0, 40))


def test_no_totals_falls_back_to_one_page_at_a_time() -> None:
    plan = PaginationPlan(limit=10)
    assert drain_schedule(plan) == [1]
    plan.accept(1, page(1, 10, None, has_more=True))
    assert drain_schedule(plan) == [2]
    assert plan.take_next() is None  # page 3 only after page 2 says there is more
    plan.accept(2, page(2, 10, None))  # full page, no hasMore: maybe more
    assert drain_schedule(plan) == [3]
    plan.accept(3, page(3, 4, None))
    assert plan.done


def test_pages_must_be_accepted_in_order() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 30))
    with pytest.raises(ValueError, match="in order"):
        plan.accept(3, page(3, 10, 30))


def test_bad_policy() -> None:
    with pytest.raises(ValueError):
        PaginationPlan(limit=10, on_change="ignore")  # type: ignore[arg-type]


# -- the page/skip reading ----------------------------------------------------------------------

# How each plausible server maps (page, skip, limit) to an offset.
SERVERS: dict[str, Callable[[int, int | None, int], int]] = {
    "skip-wins": lambda page, skip, limit: skip if skip is not None else (page - 1) * limit,
    "page-wins": lambda page, skip, limit: (page - 1) * limit,
    "skip-only": lambda page, skip, limit: skip or 0,
    "additive": lambda page, skip, limit: (page - 1) * limit + (skip or 0),
    "neither": lambda page, skip, limit: 0,
}


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_probe_tells_the_readings_apart_and_the_chosen_params_are_right(server: str) -> None:
    offset_of = SERVERS[server]
    limit = 10
    rows = list(range(1000))

    def serve(page: int, skip: int) -> list[int]:
        start = offset_of(page, skip, limit)
        return rows[start : start + limit]

    reading = infer_reading(serve(1, 0), serve(*probe_params(limit)))
    if server == "neither":
        # indistinguishable from page-wins by the probe; page 2 then repeats page 1 (drift)
        assert reading == "page" and serve(*request_params(2, limit, reading)) == serve(1, 0)
        return
    assert reading == ("page" if server == "page-wins" else "skip")
    for number in range(1, 30):
        assert serve(*request_params(number, limit, reading)) == rows[(number - 1) * limit : number * limit]


def test_reading_gates_the_fan_out() -> None:
    plan = PaginationPlan(limit=10, uses_skip=True)
    assert drain_schedule(plan) == [1]
    plan.accept(1, page(1, 10, 50))
    assert plan.needs_reading and drain_schedule(plan) == []
    plan.set_reading("skip")
    plan.skip_ahead(2)  # the probe was page 2
    assert drain_schedule(plan) == [3, 4, 5]
    assert plan.params(4) == (1, 30)


def test_one_page_needs_no_reading() -> None:
    plan = PaginationPlan(limit=10, uses_skip=True)
    drain_schedule(plan)
    plan.accept(1, page(1, 7, 7))
    assert plan.done and not plan.needs_reading


def test_resume_needs_the_reading_first() -> None:
    plan = PaginationPlan(limit=10, uses_skip=True, start_page=3)
    assert plan.needs_reading and drain_schedule(plan) == []
    plan.set_reading("page")
    assert drain_schedule(plan) == [3]

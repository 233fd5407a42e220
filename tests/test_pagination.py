"""The paging plan, without sockets."""

from typing import Any

import pytest

from korecampaign_async import PaginationDriftError
from korecampaign_async.models import Page
from korecampaign_async.pagination import PaginationPlan


def page(number: int, count: int, total_results: int | None, limit: int = 10, **kw: Any) -> Page[int]:
    total_pages = kw.pop("total_pages", None)
    if total_pages is None and total_results is not None:
        total_pages = -(-total_results // limit)
    return Page(
        results=list(range(count)), page=number, limit=limit, total_pages=total_pages, total_results=total_results, **kw
    )


def drain_schedule(plan: PaginationPlan) -> list[int]:
    out = []
    while (n := plan.take_next()) is not None:
        out.append(n)
    return out


def test_first_page_then_everything_concurrently() -> None:
    plan = PaginationPlan(limit=10)
    assert drain_schedule(plan) == [1]  # nothing else until page 1 tells the totals
    plan.accept(1, page(1, 10, 35))
    assert drain_schedule(plan) == [2, 3, 4]
    for n, count in ((2, 10), (3, 10), (4, 5)):
        assert not plan.done
        plan.accept(n, page(n, count, 35))
    assert plan.done and plan.records_accepted == 35


def test_empty_result_set() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 0, 0, total_pages=0))
    assert plan.done and drain_schedule(plan) == []


def test_short_middle_page_is_drift() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    plan.accept(1, page(1, 10, 30))
    drain_schedule(plan)
    with pytest.raises(PaginationDriftError, match="holds 9 records where 10") as err:
        plan.accept(2, page(2, 9, 30))
    assert err.value.resume_page == 2


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
    with pytest.raises(PaginationDriftError, match="asked for page 2 but the server answered page 1"):
        plan.accept(2, page(1, 10, 30))


def test_inconsistent_totals_on_first_page() -> None:
    plan = PaginationPlan(limit=10)
    drain_schedule(plan)
    with pytest.raises(PaginationDriftError, match="needs 3 pages"):
        plan.accept(1, page(1, 10, 30, total_pages=5))


def test_resume_from_a_later_page() -> None:
    plan = PaginationPlan(limit=10, start_page=3)
    assert drain_schedule(plan) == [3]
    plan.accept(3, page(3, 10, 45))
    assert drain_schedule(plan) == [4, 5]


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

"""Progress on stderr, shared by every command that reports it: a rich bar on a terminal,
JSON lines with ``--json-log``, else quiet until the summary. Every line goes through the
redactor."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from .._redact import redact
from ..client import KoreCampaignClient
from ..export import Progress
from ..ratelimit import RateLimit
from ..transport import ClientStats

__all__ = ["Reporter", "duration", "pace"]


class Reporter:
    """Progress on stderr: a rich bar on a TTY, JSON lines with ``--json-log``, else quiet
    until the summary."""

    def __init__(self, *, quiet: bool, json_log: bool, client: KoreCampaignClient, stream: TextIO | None = None):
        self.out = stream or sys.stderr
        self.quiet = quiet
        self.json_log = json_log
        self.client = client
        self._bar: Any = None
        self._task: Any = None
        self._last_json = 0.0
        self._planned = False
        if not quiet and not json_log and self.out.isatty():
            try:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )
            except ImportError:  # the cli extra is not installed: plain summary only
                return
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("rows  {task.fields[rate]:>9} rows/s  retries {task.fields[retries]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                _budget_column(client.stats),
                console=Console(file=self.out),
                transient=False,
            )
        # A budget wait (every request held after 429s) shows on the bar as it happens (the
        # column above renders on every refresh, pages or not) and as a JSON event.
        concurrency = client.transport.concurrency
        chained = concurrency.on_hold

        def on_hold(wait: float, waited: float) -> None:
            if chained is not None:
                chained(wait, waited)
            self.event(
                "budget_wait",
                seconds=round(wait, 3),
                waited=round(waited, 3),
                next_try=round(time.time() + wait, 3),
                holds=client.stats.holds,
            )

        concurrency.on_hold = on_hold

    def event(self, name: str, **fields: Any) -> None:
        """Emit one JSON log line (``--json-log``)."""
        if self.json_log:
            line = json.dumps({"event": name, "time": round(time.time(), 3), **fields})
            print(redact(line), file=self.out, flush=True)

    def info(self, message: str) -> None:
        """A human line, unless quiet or JSON. While the bar is live the line goes through
        its console, which prints it above the bar and redraws the bar below."""
        if self.quiet or self.json_log:
            return
        message = redact(message)
        if self._bar is not None and self._bar.live.is_started:
            self._bar.console.print(message, highlight=False, markup=False)
        else:
            print(message, file=self.out, flush=True)

    def start(self, label: str) -> None:
        """Begin a progress display."""
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(label, total=None, rate="-", retries=0)
        self.event("start", export=label)

    def plan(self, total_results: int | None, total_pages: int | None, next_page: int) -> None:
        """Print the request plan and its duration at the configured budget, once."""
        if self._planned or total_pages is None:
            return
        self._planned = True
        requests = max(0, total_pages - next_page + 1)
        limiter = self.client.rate_limit
        rps = limiter.requests_per_second() if isinstance(limiter, RateLimit) else None
        if rps is None and limiter is not None and hasattr(limiter, "windows"):
            rps = min(n / p for n, p in limiter.windows)
        eta = (
            f"; at the configured budget ({rps:g} req/s) that takes at least {duration(requests / rps)}" if rps else ""
        )
        self.info(f"plan: {total_results:,} rows in {total_pages:,} pages -> about {requests:,} requests{eta}")
        self.event(
            "plan",
            total_results=total_results,
            total_pages=total_pages,
            requests=requests,
            seconds_at_budget=(round(requests / rps, 1) if rps else None),
        )

    def progress(self, p: Progress) -> None:
        """Update on each page."""
        self.plan(p.total_results, p.total_pages, p.first_page)
        retries = sum(self.client.stats.retries.values())
        rate = (p.rows - p.resumed_rows) / p.elapsed if p.elapsed > 0 else 0.0
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=p.rows, total=p.total_results, rate=f"{rate:,.0f}", retries=retries)
        now = time.monotonic()
        if self.json_log and (now - self._last_json >= 1.0 or p.rows == p.total_results):
            self._last_json = now
            self.event(
                "progress",
                rows=p.rows,
                total=p.total_results,
                pages=p.pages,
                total_pages=p.total_pages,
                rows_per_s=round(rate, 1),
                retries=retries,
                elapsed=round(p.elapsed, 3),
            )

    def tick(self, rows: int, elapsed: float) -> None:
        """Rows so far, for work without a known total (sync)."""
        rate = rows / elapsed if elapsed > 0 else 0.0
        if self._bar is not None and self._task is not None:
            retries = sum(self.client.stats.retries.values())
            self._bar.update(self._task, completed=rows, rate=f"{rate:,.0f}", retries=retries)
        now = time.monotonic()
        if self.json_log and now - self._last_json >= 1.0:
            self._last_json = now
            self.event("progress", rows=rows, rows_per_s=round(rate, 1), requests=self.client.stats.requests)

    def stop(self) -> None:
        """End the progress display."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _budget_column(stats: ClientStats) -> Any:
    """A progress column that says when the client waits for the rate budget."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class BudgetColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            wait = stats.waiting_for_budget
            if wait < 0.5 or stats.budget_wait_until is None:
                return Text("")
            at = time.strftime("%H:%M:%S", time.localtime(stats.budget_wait_until))
            return Text(f"waiting for the rate budget, next try {at}", style="yellow")

    return BudgetColumn()


def pace(stats: ClientStats) -> str:
    pace = stats.pace
    return "none" if pace is None else f"{pace:.1f} req/s learned"


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f}s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"

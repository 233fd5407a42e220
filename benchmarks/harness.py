"""Shared machinery: the emulator in a separate process, RSS sampling, medians, machine info."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from korecampaign_async import JWTAuth
from korecampaign_async.emulator import Emulator, EmulatorConfig

DEFAULTS = EmulatorConfig()


class EmulatorProcess:
    """``python -m korecampaign_async.emulator`` in its own process (its own core), so the
    server's CPU never competes with the client being measured."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> EmulatorProcess:
        args = [sys.executable, "-m", "korecampaign_async.emulator", "--port", "0"]
        if emulator_uses_uvloop():
            args.append("--uvloop")
        for key, value in self.options.items():
            if value is None or value is False:
                continue
            flag = f"--{key.replace('_', '-')}"
            args += [flag] if value is True else [flag, str(value)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            self.proc.kill()
            raise RuntimeError(
                f"emulator did not start: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}"
            )
        self.url = match.group(1)
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def _view(self) -> Emulator:
        """An (unserved) Emulator with the same defaults, to reuse its env/client settings."""
        view = Emulator(EmulatorConfig())
        view.url = self.url
        return view

    @property
    def env(self) -> dict[str, str]:
        """``KORE_*`` variables pointing at the emulator process."""
        return self._view().env()

    def client_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """Client keyword arguments pointing at the emulator process."""
        return self._view().client_kwargs(**overrides)

    def raw_headers(self) -> dict[str, str]:
        """What a hand-written client sends."""
        return {
            "auth": JWTAuth(DEFAULTS.client_id, DEFAULTS.client_secret).token(),
            "iid": DEFAULTS.effective_iid,
            "accountId": DEFAULTS.account_id,
            "Content-Type": "application/json",
        }

    def status_url(self, campaign: str) -> str:
        return f"{self.url}/campaign/api/v2/public/{DEFAULTS.stream_id}/campaign/{campaign}/status?view=contacts"


def rss_bytes() -> int:
    """Resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssSampler:
    """Sample RSS every ``interval`` seconds in a thread while a run is in progress."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.start_rss = 0

    def _run(self) -> None:
        t0 = time.perf_counter()
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - t0, rss_bytes()))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.start_rss = rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((self.samples[-1][0] if self.samples else 0.0, rss_bytes()))

    @property
    def peak_growth(self) -> int:
        return max((r for _, r in self.samples), default=self.start_rss) - self.start_rss


@dataclass
class Measurement:
    """One contender in one configuration, over several runs."""

    name: str
    params: dict[str, Any]
    seconds: list[float] = field(default_factory=list)
    rows: int = 0
    pages: int = 0
    peak_rss_growth: list[int] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def as_dict(self) -> dict[str, Any]:
        med = self.median
        return {
            "name": self.name,
            **self.params,
            "runs": len(self.seconds),
            "seconds_median": round(med, 4),
            "seconds_min": round(min(self.seconds), 4),
            "seconds_max": round(max(self.seconds), 4),
            "rows": self.rows,
            "pages": self.pages,
            "rows_per_s": round(self.rows / med, 1) if med else None,
            "pages_per_s": round(self.pages / med, 1) if med else None,
            "peak_rss_growth_mb": round(statistics.median(self.peak_rss_growth) / 2**20, 1)
            if self.peak_rss_growth
            else None,
            **self.extra,
        }


async def measure(
    name: str,
    params: dict[str, Any],
    runs: int,
    once: Callable[[], Awaitable[tuple[int, int]]],
) -> Measurement:
    """Run ``once`` (returning rows, pages) ``runs`` times; keep wall times and RSS growth."""
    m = Measurement(name, params)
    for _ in range(runs):
        await _run_once(m, once)
    return m


async def measure_interleaved(
    contenders: Sequence[tuple[str, dict[str, Any], Callable[[], Awaitable[tuple[int, int]]]]],
    runs: int,
) -> list[Measurement]:
    """Like :func:`measure` for several contenders, taking turns run by run (A B C A B C ...):
    on a shared machine whose speed drifts, every contender sees the same drift, which
    matters when the result is a ratio between them."""
    measurements = [Measurement(name, params) for name, params, _ in contenders]
    for _ in range(runs):
        for m, (_, _, once) in zip(measurements, contenders, strict=True):
            await _run_once(m, once)
    return measurements


async def _run_once(m: Measurement, once: Callable[[], Awaitable[tuple[int, int]]]) -> None:
    with RssSampler() as sampler:
        start = time.perf_counter()
        rows, pages = await once()
        m.seconds.append(time.perf_counter() - start)
    m.peak_rss_growth.append(sampler.peak_growth)
    if m.rows and rows != m.rows:
        raise AssertionError(f"{m.name}: row count changed between runs ({m.rows} vs {rows})")
    m.rows, m.pages = rows, pages


def emulator_uses_uvloop() -> bool:
    """The emulator process runs on uvloop when it is installed (the ``bench`` extra): it
    stands in for Kore's servers, which answer requests in parallel, so its own per-request
    overhead should stay out of the client's figures. The client is always measured on the
    default asyncio loop."""
    return importlib.util.find_spec("uvloop") is not None


def machine_info() -> dict[str, Any]:
    import aiohttp
    import msgspec

    uv = "emulator only (client on asyncio)" if emulator_uses_uvloop() else "not installed"
    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "aiohttp": aiohttp.__version__,
        "msgspec": msgspec.__version__,
        "uvloop": uv,
        "event_loop": type(asyncio.new_event_loop()).__name__,
    }


def run_sync(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


def fmt_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A Markdown table of ``columns`` from ``rows``."""
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        out.append("| " + " | ".join("" if row.get(c) is None else str(row.get(c)) for c in columns) + " |")
    return "\n".join(out)

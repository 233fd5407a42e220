"""Shared fixtures: an emulator per test and clients pointed at it, with instant retries."""

from __future__ import annotations

import inspect
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import aioresponses.core
import pytest
from aiohttp import ClientResponse, web

from korecampaign_async import KoreCampaignClient, RetryPolicy
from korecampaign_async.emulator import Emulator, EmulatorConfig, run_emulator


# aioresponses 0.7.x builds ClientResponse without the ``stream_writer`` argument that
# aiohttp 3.14 made required (pnuckowski/aioresponses#289). Until a release fixes it, give
# the mocked responses a finished writer; real requests are unaffected.
class _FinishedWriter:
    output_size = 0


class _CompatClientResponse(ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _FinishedWriter())
        super().__init__(*args, **kwargs)


# only where aiohttp has the argument (3.14 and later; the declared floor, 3.9.1, has not)
if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
    aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[attr-defined,misc,unused-ignore]

EmulatorFactory = Callable[..., AbstractAsyncContextManager[Emulator]]


@pytest.fixture(autouse=True)
def own_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every test remembers server profiles in a cache directory of its own (clients and CLI
    subprocesses read KORECAMPAIGN_CACHE_DIR), never in the user's."""
    directory = str(tmp_path_factory.mktemp("cache"))
    monkeypatch.setenv("KORECAMPAIGN_CACHE_DIR", directory)
    yield directory


@pytest.fixture
def emulator_factory() -> EmulatorFactory:
    """``async with emulator_factory(contacts=500, fault_429=0.1) as emu``: a fresh emulator."""

    def make(**config: Any) -> AbstractAsyncContextManager[Emulator]:
        return run_emulator(EmulatorConfig(**config))

    return make


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A default emulator: 20 campaigns, 1,000 contacts each, 5 lists of 1,000."""
    async with run_emulator(EmulatorConfig()) as emu:
        yield emu


@asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port for the block; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def make_client(emu: Emulator, **overrides: Any) -> KoreCampaignClient:
    """A client for ``emu`` whose retries do not wait (unless ``retry=`` is given)."""
    overrides.setdefault("retry", RetryPolicy.instant(max_attempts=8))
    return KoreCampaignClient(**emu.client_kwargs(**overrides))


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[KoreCampaignClient]:
    """A client of the default emulator."""
    async with make_client(emulator) as c:
        yield c


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free port for the session (Debian package ``redis-server``).

    Skips when the binary is missing, unless ``KORECAMPAIGN_REQUIRE_REDIS=1`` (set by CI),
    where a missing server is a failure."""
    import os
    import shutil
    import subprocess
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("KORECAMPAIGN_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is required (apt-get install redis-server)")
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(5)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the session (benchmarks/pgcluster.py: initdb into a
    temp dir, its own port, never a system service). Yields the admin DSN.

    Skips without PostgreSQL binaries unless ``KORECAMPAIGN_REQUIRE_POSTGRES=1`` (set by CI),
    where they are required."""
    from benchmarks.pgcluster import bindir, throwaway_cluster

    if bindir() is None:
        if os.environ.get("KORECAMPAIGN_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (apt-get install postgresql)")
        pytest.skip("PostgreSQL binaries not found (apt-get install postgresql)")
    with throwaway_cluster() as dsn:
        yield dsn


@pytest.fixture
async def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database in the session's cluster."""
    from benchmarks.pgcluster import create_database

    return await create_database(postgres_server)

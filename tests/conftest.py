"""Shared fixtures: an emulator per test and clients pointed at it, with instant retries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aioresponses.core
import pytest
from aiohttp import ClientResponse

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


aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]

EmulatorFactory = Callable[..., AbstractAsyncContextManager[Emulator]]


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


def make_client(emu: Emulator, **overrides: Any) -> KoreCampaignClient:
    """A client for ``emu`` whose retries do not wait (unless ``retry=`` is given)."""
    overrides.setdefault("retry", RetryPolicy.instant(max_attempts=8))
    return KoreCampaignClient(**emu.client_kwargs(**overrides))


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[KoreCampaignClient]:
    """A client of the default emulator."""
    async with make_client(emulator) as c:
        yield c

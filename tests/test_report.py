"""`korecampaign report`: the page from the API and from a synced database, opened in a real
headless browser (Debian's chromium) that must load it without console errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from korecampaign_async import sync
from korecampaign_async.emulator import campaign_id
from korecampaign_async.stores import open_store

from .conftest import EmulatorFactory, make_client
from .test_cli import cli_env, run_cli


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("KORECAMPAIGN_REQUIRE_CHROMIUM") == "1":
            pytest.fail("chromium is required (apt-get install chromium)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return found


def open_in_browser(page: Path, screenshot: Path) -> str:
    """Load ``page`` headless, take a screenshot; return what the browser logged."""
    profile = tempfile.mkdtemp(prefix="korecampaign-chromium-")
    try:
        done = subprocess.run(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--hide-scrollbars",
                "--window-size=1280,1100",
                f"--screenshot={screenshot}",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


async def test_report_from_the_api_opens_cleanly(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    async with emulator_factory(contacts=2_000) as emu:
        rc, _, err = await run_cli("report", campaign_id(0), "--out", str(page), env=cli_env(emu))
        assert rc == 0, err
    text = page.read_text()
    assert "Voice Campaign 0" in text and "<b>2,000</b>contacts" in text
    for heading in ("Dialer outcomes", "Bot outbound status", "Attempts so far", "Top disposition codes"):
        assert heading in text
    assert "<script" not in text and "http" not in text.split("<body>")[1]  # nothing to load, offline
    shot = tmp_path / "report.png"
    logged = open_in_browser(page, shot)
    assert shot.stat().st_size > 10_000
    assert "CONSOLE" not in logged and "Uncaught" not in logged
    # the check can fail: a page with a console error is seen as one
    broken = tmp_path / "broken.html"
    broken.write_text('<html><body><script>console.error("broken page")</script></body></html>')
    assert "broken page" in open_in_browser(broken, tmp_path / "broken.png")


async def test_report_from_a_synced_database_has_outcomes_per_day(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path}/k.db"
    async with emulator_factory(campaigns=2, contacts=1_000) as emu, make_client(emu) as client:
        for step in range(2):
            store = open_store(db)
            await sync(client, store)
            await store.close()
            if step == 0:
                emu.advance()
        page = tmp_path / "db.html"
        rc, _, err = await run_cli("report", campaign_id(0), "--db", db, "--out", str(page), env=cli_env(emu))
        assert rc == 0, err
        assert emu.stats.requests > 0
    text = page.read_text()
    assert "Outcome changes per day" in text and "<b>1,000</b>contacts" in text
    assert text.count("<rect") > 10
    logged = open_in_browser(page, tmp_path / "db.png")
    assert "CONSOLE" not in logged and "Uncaught" not in logged

"""Secrets out of every message (issue 23.6): every credential form libpq accepts is masked,
and every remembered secret is redacted from text the SDK did not build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from korecampaign_async._redact import mask_url, redact, remember_secret

from .conftest import EmulatorFactory
from .test_cli import cli_env, run_cli


@pytest.mark.parametrize(
    ("url", "masked", "secret"),
    [
        ("postgresql://u:hunter2pw@db.example:5432/app", "postgresql://u:***@db.example:5432/app", "hunter2pw"),
        ("postgresql://u:p%40ss%2Fw0rd@h/db", "postgresql://u:***@h/db", "p@ss/w0rd"),
        (
            "postgresql://u@h/db?password=qu3ry-secret&sslmode=require",
            "postgresql://u@h/db?password=***&sslmode=require",
            "qu3ry-secret",
        ),
        ("postgres://h/db?sslpassword=keyfile-pass&user=u", "postgres://h/db?sslpassword=***&user=u", "keyfile-pass"),
        ("host=h dbname=d password=kv-secret user=u", "host=h dbname=d password=*** user=u", "kv-secret"),
        ("host=h password='quoted secret' user=u", "host=h password=*** user=u", "quoted secret"),
        ("sqlite:///korecampaign.db", "sqlite:///korecampaign.db", None),
        ("postgresql://u@h/db", "postgresql://u@h/db", None),
    ],
)
def test_every_libpq_credential_form_is_masked(url: str, masked: str, secret: str | None) -> None:
    assert mask_url(url) == masked
    if secret is not None:
        assert secret not in mask_url(url)
        assert redact(f"driver said: cannot use {secret}") == "driver said: cannot use ***"


def test_short_values_are_not_remembered() -> None:
    remember_secret("abc")
    assert redact("abc def") == "abc def"


async def test_a_query_password_never_reaches_any_output(
    emulator_factory: EmulatorFactory, postgres_url: str, tmp_path: Path
) -> None:
    """The sync's summary, --json-log lines, the sync_runs row and a failure's message never
    carry a password given in the URL's query (or KORE_DB_URL)."""
    from korecampaign_async.stores import query

    secret = "qu3ry-hunter2"
    url = postgres_url + f"?password={secret}"
    async with emulator_factory(campaigns=2, contacts=150) as emu:
        rc, out, err = await run_cli("sync", "--db", url, "--json-log", env=cli_env(emu))
        assert rc == 0, err
        assert secret not in out + err and "password=***" in err
        done = [json.loads(line) for line in err.splitlines() if line.startswith("{")][-1]
        assert done["report"]["database"].endswith("?password=***")
        rc, out, err = await run_cli("sync", env=cli_env(emu, KORE_DB_URL=url))
        assert rc == 0 and secret not in out + err and "password=***" in err, err
        rows = await query(postgres_url, "SELECT status, coalesce(error, '') FROM sync_runs")
        assert rows and all(secret not in str(r) for r in rows)
        refused = "postgresql://u@127.0.0.1:1/db?password=" + secret
        rc, out, err = await run_cli("sync", "--db", refused, env=cli_env(emu))
        assert rc == 3 and "cannot connect" in err and secret not in out + err, err
        rc, out, err = await run_cli("sync", "--db", "host=h password=" + secret, env=cli_env(emu))
        assert rc == 3 and secret not in out + err, err

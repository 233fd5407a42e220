"""A throwaway PostgreSQL cluster: ``initdb`` into a temp dir, its own port on 127.0.0.1,
trust auth, fsync off; never a system service. Used by the sync benchmark and the test
suite's ``postgres_server`` fixture. As root, the server runs as the ``postgres`` user
(``initdb`` refuses root)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["bindir", "create_database", "throwaway_cluster"]


def bindir() -> str | None:
    """The directory of ``initdb`` and ``pg_ctl`` (Debian's newest version first), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a cluster; yield its admin DSN (``postgresql://postgres@127.0.0.1:PORT/postgres``)."""
    bin_dir = bindir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL binaries not found (apt-get install postgresql)")
    base = tempfile.mkdtemp(prefix="korecampaign-pg-")
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(base, "data")
    try:
        subprocess.run(
            [*prefix, f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
        )
        port = _free_port()
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        subprocess.run(
            [*prefix, f"{bin_dir}/pg_ctl", "-D", data, "-o", options, "-l", os.path.join(base, "log"), "-w", "start"],
            check=True,
            capture_output=True,
        )
        for _ in range(100):
            ready = subprocess.run([f"{bin_dir}/pg_isready", "-h", "127.0.0.1", "-p", str(port)], capture_output=True)
            if ready.returncode == 0:
                break
            time.sleep(0.1)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


async def create_database(admin_dsn: str, prefix: str = "t") -> str:
    """Create an empty database in the cluster of ``admin_dsn``; return its DSN."""
    import uuid

    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return admin_dsn.rsplit("/", 1)[0] + f"/{name}"

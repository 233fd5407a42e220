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

__all__ = ["Cluster", "bindir", "cluster", "create_database", "throwaway_cluster"]


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


class Cluster:
    """A running throwaway cluster: its DSN, and ``pg_ctl`` to stop, start or restart it (the
    tests of a database that goes away mid-sync)."""

    def __init__(self, bin_dir: str, base: str, prefix: list[str], port: int) -> None:
        self.bin_dir, self.base, self.prefix, self.port = bin_dir, base, prefix, port
        self.data = os.path.join(base, "data")
        self.dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        """Run ``pg_ctl`` on this cluster (as the ``postgres`` user when root)."""
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        command = [*self.prefix, f"{self.bin_dir}/pg_ctl", "-D", self.data, "-o", options]
        subprocess.run([*command, "-l", os.path.join(self.base, "log"), *args], check=True, capture_output=True)

    def start(self) -> None:
        self.pg_ctl("-w", "start")
        for _ in range(100):
            ready = subprocess.run(
                [f"{self.bin_dir}/pg_isready", "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        """``pg_ctl restart -m fast``: every connection is closed, the server comes back."""
        self.pg_ctl("-m", mode, "-w", "restart")


@contextmanager
def cluster() -> Iterator[Cluster]:
    """Start a cluster; yield it (stopped and removed at the end)."""
    bin_dir = bindir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL binaries not found (apt-get install postgresql)")
    base = tempfile.mkdtemp(prefix="korecampaign-pg-")
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    handle = Cluster(bin_dir, base, prefix, _free_port())
    try:
        initdb = [f"{bin_dir}/initdb", "-D", handle.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]
        subprocess.run([*prefix, *initdb], check=True, capture_output=True)
        handle.start()
        yield handle
    finally:
        subprocess.run(
            [*prefix, f"{bin_dir}/pg_ctl", "-D", handle.data, "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a cluster; yield its admin DSN (``postgresql://postgres@127.0.0.1:PORT/postgres``)."""
    with cluster() as handle:
        yield handle.dsn


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

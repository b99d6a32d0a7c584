"""A throwaway PostgreSQL cluster for the tests: Debian's binaries, a temp folder, a free port.

``Cluster.start()`` runs ``initdb`` (as the ``postgres`` user when we are root: initdb refuses
root) on a temporary folder, starts the server on 127.0.0.1 with trust auth and a socket in the
same folder, and ``stop()`` shuts it down and removes the folder. ``create_database()`` gives
each test store its own database, so tests never see each other's rows.

When the binaries are absent the PostgreSQL half of the suite is skipped locally with a message
saying how to install them; in CI (``CI=true``) it fails instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

MISSING_HINT = "PostgreSQL is not installed: apt-get install -y postgresql (the PostgreSQL half of the suite needs it)"


def find_bindir() -> Path | None:
    """The folder holding Debian's initdb/pg_ctl (newest version), or None."""
    hits = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if hits:
        return Path(hits[-1]).parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def _base() -> str | None:
    """Where the cluster's folder goes: /var/tmp (long runs here have seen /tmp swept), else the default."""
    return "/var/tmp" if os.access("/var/tmp", os.W_OK) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    bindir: Path
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="salesops-pgtest-", dir=_base())))
    port: int = field(default_factory=_free_port)
    user: str = "postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self) -> Cluster:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        else:
            self.user = os.environ.get("USER") or "postgres"
        data = self.folder / "data"
        self._run(
            str(self.bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", self.user, "-E", "UTF8", "--no-sync"
        )
        opts = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "log"), "-o", opts, "-w", "start"
        )
        return self

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "t") -> str:
        """Create a new empty database and return its SQLAlchemy URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def wait_ready(cluster: Cluster, timeout: float = 20.0) -> None:
    """Wait until the server takes connections."""
    import psycopg

    deadline = time.time() + timeout
    while True:
        try:
            psycopg.connect(f"host=127.0.0.1 port={cluster.port} user={cluster.user} dbname=postgres").close()
            return
        except psycopg.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)

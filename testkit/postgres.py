"""A throwaway PostgreSQL 15 cluster for the test session, run as the `postgres` user.

initdb refuses to run as root, so when the tests run as root the cluster's directory is
handed to `postgres` and every server command goes through ``runuser -u postgres``. The
cluster listens on a free port of 127.0.0.1 with a private socket directory, trusts local
connections, runs without fsync (test data only) and is stopped at the end of the session.

    start_postgres() -> PostgresServer (url_for(dbname), create_database(name)); stop_postgres()

Each cluster's data directory is a copy of one initdb'ed per test process (`init_data_dir`).

The session fixture ``postgres_server`` (tests/central_api/conftest.py) wraps these.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from testkit.ports import free_port

PG_BIN = Path(os.environ.get("PORTGATE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def postgres_available() -> bool:
    """Whether the PostgreSQL server binaries are installed."""
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@dataclass
class PostgresServer:
    """A running throwaway cluster."""

    port: int
    base: Path

    def url_for(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create database `name` (dropping an old one) and return its URL."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)


# One initdb per test process: every cluster after the first is a copy of its data directory.
_template: Path | None = None


def _template_data() -> Path:
    """A freshly initdb'ed data directory, made once per process and removed at its exit."""
    global _template
    if _template is None:
        base = Path(tempfile.mkdtemp(prefix="portgate-pg-template-"))
        atexit.register(shutil.rmtree, base, ignore_errors=True)
        if os.geteuid() == 0:
            shutil.chown(base, "postgres", "postgres")
        args = [str(PG_BIN / "initdb"), "-D", str(base / "data"), "-U", "postgres"]
        init = subprocess.run(  # noqa: S603 (fixed binaries)
            _as_postgres([*args, "--auth=trust", "-E", "UTF8", "--no-sync"]),
            capture_output=True,
            text=True,
            check=False,
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr}")
        _template = base / "data"
    return _template


def init_data_dir(data: Path) -> None:
    """Make `data` a new cluster's data directory, as initdb would (a copy of the template).

    Its parent must exist (and, as root, belong to `postgres`). `cp -a` keeps the owner and
    the 0700 mode the server insists on; the copy is 4-5 times faster than initdb.
    """
    copy = subprocess.run(  # noqa: S603
        ["cp", "-a", str(_template_data()), str(data)],  # noqa: S607 (coreutils)
        capture_output=True,
        text=True,
        check=False,
    )
    if copy.returncode != 0:
        raise RuntimeError(f"copying the template cluster failed: {copy.stderr}")


def start_postgres() -> PostgresServer:
    """A fresh cluster started with pg_ctl; raise RuntimeError with the log if it fails."""
    base = Path(tempfile.mkdtemp(prefix="portgate-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    init_data_dir(data)
    port = free_port()
    options = (
        f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    start = subprocess.run(  # noqa: S603
        _as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if start.returncode != 0:
        text = log.read_text() if log.exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {start.stderr}\n{text}")
    return PostgresServer(port=port, base=base)


def stop_postgres(server: PostgresServer) -> None:
    """Stop the cluster and delete its directory."""
    subprocess.run(  # noqa: S603
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(server.base / "data"), "-m", "fast", "-w", "stop"]
        ),
        capture_output=True,
        check=False,
    )
    shutil.rmtree(server.base, ignore_errors=True)

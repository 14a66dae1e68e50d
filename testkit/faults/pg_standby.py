"""A PostgreSQL 15 primary with a streaming-replication standby, for failover tests.

The primary is a throwaway cluster like `testkit.postgres` (trust auth, private socket
directory, free port) with WAL for a standby; the standby is a ``pg_basebackup -R`` copy
streaming from it under the application name ``standby``. With ``synchronous=True`` the
primary names that standby in ``synchronous_standby_names`` (``synchronous_commit=on``):
a commit returns only once the standby has the WAL, so a promotion loses nothing a client
was told is committed. The promoted standby has no standby of its own and commits alone.

    pair = start_pair(synchronous=True); url = pair.create_database("x")
    pair.primary.kill9(); pair.standby.promote(); stop_pair(pair)

``url`` is a libpq multi-host URL with ``target_session_attrs=read-write``: a client
connects to whichever of the two accepts writes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from testkit.ports import free_port
from testkit.postgres import PG_BIN, _as_postgres, init_data_dir

__all__ = ["PgNode", "PgPair", "start_pair", "stop_pair"]

_COMMON = "-c listen_addresses=127.0.0.1 -c max_connections=300 -c full_page_writes=off"


@dataclass
class PgNode:
    """One cluster of the pair."""

    name: str
    port: int
    base: Path

    @property
    def data(self) -> Path:
        """The data directory."""
        return self.base / self.name

    @property
    def log(self) -> Path:
        """The server log."""
        return self.base / f"{self.name}.log"

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (fixed binaries)
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            capture_output=True,
            text=True,
            check=False,
        )

    def start(self, options: str) -> None:
        """pg_ctl start and wait; RuntimeError with the log if it fails."""
        sock = self.base / f"{self.name}-sock"
        sock.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(sock, "postgres", "postgres")
        opts = f"-p {self.port} -k {sock} {_COMMON} {options}"
        done = self._pg_ctl("-o", opts, "-l", str(self.log), "-w", "-t", "60", "start")
        if done.returncode != 0:
            text = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start {self.name} failed: {done.stderr}\n{text}")

    def postmaster_pid(self) -> int | None:
        """The postmaster's pid while it runs."""
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def kill9(self) -> None:
        """SIGKILL the postmaster and every backend at once: a crash of the database host."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        for victim in [pid, *_children(pid)]:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def promote(self) -> None:
        """pg_ctl promote and wait until it accepts writes; RuntimeError if it does not."""
        done = self._pg_ctl("-w", "-t", "60", "promote")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl promote {self.name} failed: {done.stderr}")

    def sender_pid(self) -> int:
        """The primary's WAL sender process (SIGSTOP it to make the standby lag)."""
        import psycopg

        conninfo = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute("SELECT pid FROM pg_stat_replication").fetchone()
        if row is None:
            raise RuntimeError(f"{self.name} has no WAL sender")
        return int(row[0])

    def stop(self) -> None:
        """Stop it (immediate: the data is thrown away)."""
        self._pg_ctl("-m", "immediate", "-w", "stop")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class PgPair:
    """A primary and its standby (see the module docstring)."""

    primary: PgNode
    standby: PgNode
    base: Path

    def url_for(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL of `dbname` on whichever node accepts writes."""
        hosts = "&".join(f"host=127.0.0.1:{n.port}" for n in (self.primary, self.standby))
        return (
            f"postgresql+psycopg://postgres@/{dbname}?{hosts}"
            "&target_session_attrs=read-write&connect_timeout=3"
        )

    def wait_caught_up(self, timeout_s: float = 30.0) -> None:
        """Wait until the standby has replayed all the WAL the primary has written so far."""
        import psycopg

        def lsn(node: PgNode, query: str) -> int:
            conninfo = f"host=127.0.0.1 port={node.port} user=postgres dbname=postgres"
            with psycopg.connect(conninfo, autocommit=True) as conn:
                row = conn.execute(f"SELECT ({query}) - '0/0'::pg_lsn").fetchone()
            return int(row[0]) if row and row[0] is not None else 0

        target = lsn(self.primary, "pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout_s
        while lsn(self.standby, "pg_last_wal_replay_lsn()") < target:
            if time.monotonic() > deadline:
                raise RuntimeError("the standby did not catch up")
            time.sleep(0.05)

    def create_database(self, name: str) -> str:
        """Create database `name` on the primary (it reaches the standby) and return its URL."""
        import psycopg

        conninfo = f"host=127.0.0.1 port={self.primary.port} user=postgres dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)


def start_pair(*, synchronous: bool = True) -> PgPair:
    """Start a new primary, base-backup and start its standby (see the module docstring)."""
    base = Path(tempfile.mkdtemp(prefix="portgate-pgpair-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    primary = PgNode("primary", free_port(), base)
    standby = PgNode("standby", free_port(), base)
    init_data_dir(primary.data)
    sync = "-c synchronous_standby_names=standby -c synchronous_commit=on" if synchronous else ""
    primary.start(f"-c wal_level=replica -c max_wal_senders=5 -c fsync=off {sync}")
    _run(
        [
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(standby.data),
            "-R",
            "-X",
            "stream",
            "--no-sync",
        ],
        "pg_basebackup",
    )
    conninfo = f"host=127.0.0.1 port={primary.port} user=postgres application_name=standby"
    with (standby.data / "postgresql.auto.conf").open("a") as auto:
        auto.write(f"primary_conninfo = '{conninfo}'\n")
    standby.start("-c hot_standby=on -c fsync=off")
    _wait_streaming(primary)
    return PgPair(primary=primary, standby=standby, base=base)


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(  # noqa: S603 (fixed binaries)
        _as_postgres(args), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed: {done.stderr}")


def _wait_streaming(primary: PgNode, timeout_s: float = 30.0) -> None:
    import psycopg

    conninfo = f"host=127.0.0.1 port={primary.port} user=postgres dbname=postgres"
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT state FROM pg_stat_replication WHERE application_name = 'standby'"
            ).fetchone()
            if row is not None and row[0] == "streaming":
                return
            time.sleep(0.1)
    raise RuntimeError("the standby did not start streaming")


def stop_pair(pair: PgPair) -> None:
    """Stop both nodes and delete their directory."""
    pair.standby.stop()
    pair.primary.stop()
    shutil.rmtree(pair.base, ignore_errors=True)

"""PostgreSQL: ``pg_dump -Fc`` of an exported snapshot, ``pg_restore`` in one transaction.

The backup opens a REPEATABLE READ transaction, exports its snapshot and hands it to
``pg_dump --snapshot``: the dump and the manifest's counts read the same data while the
API goes on writing. The password travels in ``PGPASSWORD``, never on a command line.
"""

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from psycopg.conninfo import make_conninfo
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from central_api.backup.inventory import Inventory, read_inventory
from central_api.backup.manifest import BackupError
from central_api.db import make_engine

__all__ = ["restore_postgres", "snapshot_postgres", "user_tables"]


def _tool(name: str, pg_bin: Path | None) -> str:
    found = str(pg_bin / name) if pg_bin else shutil.which(name)
    if not found or not Path(found).is_file():
        where = f"in {pg_bin}" if pg_bin else "on PATH"
        raise BackupError(f"{name} not found {where}: install postgresql-client or pass --pg-bin")
    return found


def _connection(url: str) -> tuple[str, dict[str, str]]:
    parsed = make_url(url)
    params = {key: str(value) for key, value in parsed.query.items()}
    conninfo = make_conninfo(
        "",
        host=parsed.host or None,
        port=parsed.port or None,
        user=parsed.username or None,
        dbname=parsed.database or None,
        **params,
    )
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return conninfo, env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()][-3:]
        raise BackupError(f"{what} failed: {' / '.join(lines) or f'exit {done.returncode}'}")


def snapshot_postgres(*, url: str, payload: Path, key: bytes, pg_bin: Path | None) -> Inventory:
    """Dump the database at `url` to `payload` and read the dumped snapshot's inventory.

    Raises:
        BackupError: pg_dump missing or failing, or the key does not open the templates.
    """
    pg_dump = _tool("pg_dump", pg_bin)
    conninfo, env = _connection(url)
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                inventory = read_inventory(connection, key=key)
                args = [pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(payload)]
                _run([*args, "--dbname", conninfo], env, "pg_dump")
    finally:
        engine.dispose()
    return inventory


def user_tables(engine: Engine) -> set[str]:
    """The tables of a PostgreSQL database outside the system schemas (schema.name)."""
    query = text(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
        "AND table_schema NOT LIKE 'pg\\_%'"
    )
    with engine.connect() as connection:
        return {str(name) for name in connection.execute(query).scalars()}


def restore_postgres(
    *,
    url: str,
    payload: Path,
    clean: bool,
    pg_bin: Path | None,
    check: Callable[[Engine], None],
) -> None:
    """``pg_restore`` the payload into `url` in one transaction, then `check` the result.

    Raises:
        BackupError: pg_restore failed (nothing of it stays) or the result did not check out.
    """
    pg_restore = _tool("pg_restore", pg_bin)
    conninfo, env = _connection(url)
    args = [pg_restore, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"]
    if clean:
        args += ["--clean", "--if-exists"]
    _run([*args, "--dbname", conninfo, str(payload)], env, "pg_restore")
    engine = make_engine(url, pool_size=1)
    try:
        check(engine)
    finally:
        engine.dispose()

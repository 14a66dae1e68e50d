"""SQLite: the online backup API's copy, and a restore that swaps a checked file into place.

``Connection.backup`` with every page in one step reads one snapshot (the database is in
WAL mode, so the API keeps writing meanwhile). The copy is switched to a rollback journal
so that the payload is one self-contained file. A restore writes the payload beside the
target, checks it there, and only then renames it over the target: a refused or failed
restore leaves the target as it was.
"""

import os
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.engine import make_url

from central_api.backup.inventory import Inventory, read_inventory
from central_api.backup.manifest import BackupError

__all__ = ["is_empty", "restore_sqlite", "snapshot_sqlite", "sqlite_path"]


def sqlite_path(url: str) -> Path:
    """The file a ``sqlite:///`` URL names.

    Raises:
        BackupError: An in-memory database.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"{url}: not a SQLite database file")
    return Path(database)


def _plain_engine(path: Path) -> Engine:
    # No WAL pragma: reading the copy must not leave -wal and -shm files beside it.
    return create_engine(f"sqlite:///{path}")


def snapshot_sqlite(*, url: str, payload: Path, key: bytes) -> Inventory:
    """Copy the database at `url` to `payload` and read the copy's inventory.

    Raises:
        BackupError: No database there, or the key does not open its templates.
    """
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"{source_path}: no such SQLite database")
    source = sqlite3.connect(source_path, timeout=10)
    copy = sqlite3.connect(payload)
    try:
        source.backup(copy)  # pages=-1: one step, one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"{source_path}: the online backup failed: {exc}") from None
    finally:
        copy.close()
        source.close()
    return _inventory(payload, key=key)


def _inventory(path: Path, *, key: bytes | None) -> Inventory:
    engine = _plain_engine(path)
    try:
        with engine.connect() as connection:
            return read_inventory(connection, key=key)
    finally:
        engine.dispose()


def is_empty(path: Path) -> bool:
    """Whether there is no database at `path` yet (no file, an empty one, or no table)."""
    if not path.exists():
        return not path.is_symlink()
    if path.stat().st_size == 0:
        return True
    engine = _plain_engine(path)
    try:
        return not inspect(engine).get_table_names()
    except Exception:  # noqa: BLE001 - a file that is no database is not empty either
        return False
    finally:
        engine.dispose()


def restore_sqlite(
    *, path: Path, write_payload: Callable[[Path], None], check: Callable[[Engine], None]
) -> None:
    """Write the payload beside `path`, `check` it, then rename it over `path`.

    Raises:
        BackupError: The payload did not check out (the target is untouched).
    """
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent}: no such directory")
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.restore-", dir=path.parent)
    os.close(handle)
    staged = Path(name)
    try:
        write_payload(staged)
        engine = _plain_engine(staged)
        try:
            check(engine)
        finally:
            engine.dispose()
        if path.exists():
            _keep_mode_and_owner(path, staged)
            _drop_wal(path)
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


def _keep_mode_and_owner(path: Path, staged: Path) -> None:
    status = path.stat()
    os.chmod(staged, status.st_mode & 0o777)
    try:
        os.chown(staged, status.st_uid, status.st_gid)
    except PermissionError:
        pass  # not root: the restoring user owns it, as any file it writes


def _drop_wal(path: Path) -> None:
    # The old file's write-ahead log must not be replayed onto the restored one: fold it
    # in first (nothing of the old file is lost if the rename then fails), then remove it.
    try:
        with sqlite3.connect(path, timeout=10) as old:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        old.close()
    except sqlite3.Error:
        pass  # not a database: there is no log to fold in
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)

"""A migrated database for a test: SQLite files are copies of one migrated per test process.

Running the Alembic migrations on a new SQLite file takes about a second (0.8-1.6 s on the
2-core CI machine); a copy of a file the same migrations made once is the same database in
a millisecond. The migrations themselves stay tested where they are the subject
(tests/central_api/db/test_migrations.py, `portgate db upgrade` in the install path).
PostgreSQL URLs and existing SQLite files are migrated as `upgrade_database` does.

    migrate_database(url)   # instead of upgrade_database(url) on a fresh database
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from pathlib import Path

from central_api.migrate import upgrade_database

__all__ = ["migrate_database"]

_SQLITE = "sqlite:///"
# The migrated template of this process (made on first use, removed at exit).
_template: Path | None = None


def _template_file() -> Path:
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="portgate-migrated-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "template.db"
        upgrade_database(_SQLITE + str(path))
        _template = path
    return _template


def migrate_database(url: str) -> None:
    """Bring the database at `url` to the migrations' head, as `upgrade_database` does.

    A SQLite file that does not exist yet becomes a copy of the process's migrated template
    (SQLite's backup API: a consistent copy, WAL or not); anything else is migrated.
    """
    path = Path(url.removeprefix(_SQLITE)) if url.startswith(_SQLITE) else None
    if path is None or path.exists() or not path.parent.is_dir():
        upgrade_database(url)
        return
    with sqlite3.connect(_template_file()) as source, sqlite3.connect(path) as target:
        source.backup(target)
    source.close()
    target.close()

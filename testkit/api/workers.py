"""What the API worker tests share: a migrated SQLite database, the stored event count."""

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.db import make_engine
from central_api.migrate import upgrade_database
from central_api.models import AccessEventRecord


def sqlite_database(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database under `tmp_path` (the body of a `database` fixture)."""
    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def stored(engine: Engine) -> int:
    """How many access events the database holds."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AccessEventRecord)).one()

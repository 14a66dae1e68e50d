"""What the API worker tests share.

A migrated SQLite or PostgreSQL database, the stored event count, a tap on a worker's live
connection.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.db import make_engine
from central_api.ingest.taps import Ingested
from central_api.migrate import upgrade_database
from central_api.models import AccessEventRecord
from testkit.migrated_db import migrate_database
from testkit.postgres import PostgresServer


def sqlite_database(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database under `tmp_path` (the body of a `database` fixture)."""
    url = f"sqlite:///{tmp_path / 'api.db'}"
    migrate_database(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def postgres_database(server: PostgresServer, name: str) -> Iterator[Engine]:
    """A migrated database `name` in a throwaway cluster (the body of a `database` fixture)."""
    url = server.create_database(name)
    upgrade_database(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def stored(engine: Engine) -> int:
    """How many access events the database holds."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AccessEventRecord)).one()


class TopicRecorder:
    """An ingest tap that notes the topic of every raw message the live connection hands it."""

    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def offer(self, topic: str, payload: bytes) -> None:
        """Note the topic of a raw message."""
        self.seen.append(topic)

    def offer_ingested(self, messages: Sequence[Ingested]) -> None:
        """What this process stored: not a raw message of the live connection."""

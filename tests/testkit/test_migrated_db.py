"""testkit.migrated_db: a copied SQLite database is at head, with the schema the migrations
make, and each copy is a database of its own."""

from pathlib import Path

from sqlalchemy import inspect, text
from sqlmodel import Session

from central_api.db import make_engine
from central_api.migrate import is_at_head, upgrade_database
from central_api.models import Site
from testkit.migrated_db import migrate_database


def _schema(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        found = inspect(engine)
        return {t: sorted(c["name"] for c in found.get_columns(t)) for t in found.get_table_names()}
    finally:
        engine.dispose()


def test_a_copy_is_at_head_with_the_migrations_schema_and_its_own_rows(tmp_path: Path) -> None:
    migrated = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade_database(migrated)
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    migrate_database(first)
    migrate_database(second)
    assert is_at_head(first) and is_at_head(second)
    assert _schema(first) == _schema(migrated)
    engine = make_engine(first)
    try:
        with Session(engine) as session:
            session.add(Site(id="s1", name="one"))
            session.commit()
    finally:
        engine.dispose()
    other = make_engine(second)
    try:
        with other.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM site")).scalar_one() == 0
    finally:
        other.dispose()


def test_an_existing_database_is_migrated_in_place(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_database(url, "0001")
    migrate_database(url)
    assert is_at_head(url)

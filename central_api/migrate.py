"""Run the Alembic migrations programmatically (`portgate db upgrade`, tests, demo)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from central_api.db import make_engine

__all__ = ["alembic_config", "is_at_head", "upgrade_database"]

_HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    """An Alembic config for `url` using the migrations shipped in this package."""
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision`."""
    command.upgrade(alembic_config(url), revision)


def is_at_head(url: str) -> bool:
    """Whether the database at `url` has every migration applied."""
    config = alembic_config(url)
    head = ScriptDirectory.from_config(config).get_current_head()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return current == head

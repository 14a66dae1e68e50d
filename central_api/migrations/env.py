"""Alembic environment: the URL comes from the caller's config or DATABASE_URL."""

import os

from alembic import context
from sqlmodel import SQLModel

import central_api.models  # noqa: F401 (registers every table on SQLModel.metadata)
from central_api.db import make_engine
from central_api.enroll.tables import ENROLL_METADATA
from central_api.forwarding import tables as _forwarding_tables  # noqa: F401 (issue 23.4)
from central_api.incidents import tables as _incident_tables  # noqa: F401 (the incident table)
from central_api.staff_reports import tables as _staff_report_tables  # noqa: F401 (issue 20.3)
from central_api.stills import tables as _still_tables  # noqa: F401 (issue 22.4 stills)

config = context.config
# The enrollment tables keep their own metadata; Alembic migrates both.
target_metadata = [SQLModel.metadata, ENROLL_METADATA]


def _url() -> str:
    return str(
        config.get_main_option("sqlalchemy.url")
        or os.environ.get("DATABASE_URL", "sqlite:///./portgate.db")
    )


def run_migrations_offline() -> None:
    """Emit SQL without a database."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate the database at the configured URL."""
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

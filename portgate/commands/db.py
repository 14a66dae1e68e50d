"""`portgate db ...`: database schema management."""

import typer
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from central_api.bus.notice_sender import recording_session
from central_api.config import database_url
from central_api.db import make_engine
from central_api.migrate import upgrade_database
from central_api.replica.versions import bump_every_site
from portgate.commands.sync_notices import deliver_notices
from portgate.language import _

app = typer.Typer(help="Database schema management.", no_args_is_help=True)


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply the Alembic migrations up to head.

    When a migration was applied to a database that has sites, every site's replica
    version is bumped (a migration may change what gates hold, e.g. a new gate policy
    field) and, with MQTT_URL set, the retained SyncNotices are published.
    """
    url = database_url()
    before = _revision(url)
    upgrade_database(url)
    after = _revision(url)
    typer.echo(_("database at head ({kind})", kind=url.split("://", 1)[0]))
    if before is None or before == after:
        return  # a new database has no gates yet; an unchanged one has nothing new
    _resync(url, reason=f"migration {before} -> {after}", command="db upgrade")


@app.command("resync")
def resync_command() -> None:
    """Make every gate fetch its replica again (after hand-made SQL changes or a restore).

    Bumps every site's replica version and, with MQTT_URL set, publishes the retained
    SyncNotices; the gates then fetch what changed.
    """
    _resync(database_url(), reason="portgate db resync", command="db resync")


def _resync(url: str, *, reason: str, command: str) -> None:
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table("site"):
            return
        session, bus = recording_session(engine)
        with session:
            bumped = bump_every_site(session=session, reason=reason)
            session.commit()
        if bumped:
            typer.echo(_("replica version bumped at {count} site(s)", count=len(bumped)))
        deliver_notices(bus, command=command)
    finally:
        engine.dispose()

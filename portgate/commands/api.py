"""`portgate api`."""

from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from central_api.app import create_app
from central_api.config import Settings
from central_api.migrate import is_at_head
from central_api.security.directory import DirectoryUnavailable, check_directory_settings
from central_api.serve import serve_workers
from portgate.language import _
from portgate.logsetup import uvicorn_log_config


def api_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes on the one port (about one per core). With more than "
            "one, MQTT ingest uses a shared subscription (each event stored once) and "
            "/metrics adds up all workers.",
        ),
    ] = 1,
    access_log: Annotated[
        bool,
        typer.Option(
            help="Log one line per HTTP request (off by default: it costs a decision about "
            "a tenth of its time; gate events and the audit log record what happened).",
        ),
    ] = False,
) -> None:
    """Run the central API and its web pages."""
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            typer.echo(_("portgate api: {error}", error=error["msg"]), err=True)
        raise typer.Exit(code=2) from None
    try:
        check_directory_settings()  # a malformed LDAP setting would fail every login
    except DirectoryUnavailable as exc:
        typer.echo(_("portgate api: {error}", error=exc.message), err=True)
        raise typer.Exit(code=2) from None
    if not is_at_head(settings.database_url):
        typer.echo(
            _("portgate api: the database schema is not current: run `portgate db upgrade`"),
            err=True,
        )
        raise typer.Exit(code=2)
    if workers > 1:
        serve_workers(
            settings=settings,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            log_config=uvicorn_log_config(),
        )
        return
    uvicorn.run(
        create_app(settings, server=True),
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        log_config=uvicorn_log_config(),
    )

"""`portgate backup` and `portgate restore` over `central_api.backup` (docs/backup.md)."""

from pathlib import Path
from typing import Annotated

import typer

from central_api.backup.manifest import BackupError, template_key_from_environment
from central_api.backup.service import create_backup, restore_backup
from central_api.config import database_url
from portgate.language import _

__all__ = ["backup_command", "restore_command"]

PgBin = Annotated[
    Path | None,
    typer.Option(
        "--pg-bin",
        help="PostgreSQL only: the folder of pg_dump / pg_restore (default: from PATH).",
    ),
]


def backup_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The backup file to write (must not exist).")
    ],
    pg_bin: PgBin = None,
) -> None:
    """Back up DATABASE_URL into one file (not the template key: keep that in escrow).

    Needs PORTGATE_TEMPLATE_KEY: the backup records its check value, and is refused if the
    key does not open the stored face templates.
    """
    try:
        key = template_key_from_environment()
        manifest = create_backup(url=database_url(), output=output, key=key, pg_bin=pg_bin)
    except BackupError as exc:
        typer.echo(_("backup refused: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None
    except OSError as exc:
        typer.echo(_("backup failed: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None
    rows = sum(manifest.row_counts.values())
    typer.echo(
        _(
            "backup written: {file} ({kind}, migration {migration}, {rows} rows, audit head "
            "{head})",
            file=output,
            kind=manifest.database_kind,
            migration=manifest.alembic_revision,
            rows=rows,
            head=manifest.audit_head_seq,
        )
    )


def restore_command(
    backup: Annotated[Path, typer.Argument(help="The backup file.")],
    database: Annotated[
        str, typer.Option("--database-url", help="The database to restore into (empty).")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that is not empty.")
    ] = False,
    pg_bin: PgBin = None,
) -> None:
    """Restore a backup into an empty database, after checking file, key and target.

    PORTGATE_TEMPLATE_KEY must be the key the backup was made with (else refused before
    anything is written). Stop the API first; afterwards run `portgate db upgrade` and
    `portgate db resync` with DATABASE_URL set to the restored database.
    """
    try:
        key = template_key_from_environment()
        restored = restore_backup(backup=backup, url=database, key=key, force=force, pg_bin=pg_bin)
    except BackupError as exc:
        typer.echo(_("restore refused: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None
    except OSError as exc:
        typer.echo(_("restore failed: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None
    manifest = restored.manifest
    typer.echo(
        _(
            "restored {file} of {time} (migration {migration}, audit head {head}): row counts "
            "match, audit chain and events verify",
            file=backup,
            time=manifest.created_at.isoformat(),
            migration=manifest.alembic_revision,
            head=manifest.audit_head_seq,
        )
    )

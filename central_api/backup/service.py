"""Make a backup file, and restore one: every check before the first write.

Restore order: the file (complete, manifest intact), the database kind, the template key
(wrong key: refused), the revision (one this PortGate knows), the target (empty, or
``force``), the payload's SHA-256; only then is anything written. After writing, the
restored database must show the manifest's revision, row counts and audit head, and its
audit chain and stored events must verify.
"""

import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from central_api.backup.archive import (
    extract_payload,
    open_backup,
    payload_digest,
    write_backup,
)
from central_api.backup.inventory import Inventory, check_restored
from central_api.backup.manifest import (
    BackupError,
    BackupManifest,
    DatabaseKind,
    check_key,
    key_check_value,
    seal_manifest,
)
from central_api.backup.postgres_kind import restore_postgres, snapshot_postgres, user_tables
from central_api.backup.sqlite_kind import is_empty, restore_sqlite, snapshot_sqlite, sqlite_path
from central_api.db import make_engine, utc_now
from central_api.migrate import alembic_config

__all__ = ["create_backup", "database_kind", "restore_backup"]


def database_kind(url: str) -> DatabaseKind:
    """``sqlite`` or ``postgresql`` by the URL's scheme.

    Raises:
        BackupError: Any other database, or no URL at all.
    """
    try:
        backend = make_url(url).get_backend_name()
    except Exception:  # noqa: BLE001 - any unparsable URL is the same input error
        raise BackupError(f"not a database URL: {url.split('://', 1)[0]}://...") from None
    if backend == "sqlite":
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(f"{backend}: only SQLite and PostgreSQL databases are backed up")


def create_backup(*, url: str, output: Path, key: bytes, pg_bin: Path | None) -> BackupManifest:
    """Back the database at `url` up into the new file `output`; returns its manifest.

    Raises:
        BackupError: Refused (existing output, wrong key, not a PortGate database) or failed.
    """
    kind = database_kind(url)
    if output.exists():
        raise BackupError(f"{output} exists: a backup never overwrites a file (pick a new name)")
    if not output.parent.is_dir():
        raise BackupError(f"{output.parent}: no such directory")
    with tempfile.TemporaryDirectory(prefix=".portgate-backup-", dir=output.parent) as work:
        payload = Path(work) / "payload"
        if kind == "sqlite":
            inventory = snapshot_sqlite(url=url, payload=payload, key=key)
        else:
            inventory = snapshot_postgres(url=url, payload=payload, key=key, pg_bin=pg_bin)
        manifest = _manifest(kind, inventory, payload, key)
        manifest_bytes = manifest.model_dump_json(indent=2).encode()
        write_backup(
            output=output,
            manifest_bytes=manifest_bytes,
            seal=seal_manifest(key, manifest_bytes),
            payload=payload,
        )
    return manifest


def _manifest(
    kind: DatabaseKind, inventory: Inventory, payload: Path, key: bytes
) -> BackupManifest:
    sha256, size = payload_digest(payload)
    return BackupManifest(
        portgate_version=version("portgate"),
        database_kind=kind,
        alembic_revision=inventory.revision,
        created_at=utc_now().replace(microsecond=0),
        audit_head_seq=inventory.audit_head_seq,
        audit_head_hash=inventory.audit_head_hash,
        row_counts=inventory.row_counts,
        key_check=key_check_value(key),
        payload_sha256=sha256,
        payload_bytes=size,
    )


@dataclass(frozen=True)
class Restored:
    """What a restore put in place."""

    manifest: BackupManifest
    replaced: bool


def restore_backup(
    *, backup: Path, url: str, key: bytes, force: bool, pg_bin: Path | None
) -> Restored:
    """Restore `backup` into the database at `url` (see the module's order of checks).

    Raises:
        BackupError: Refused before writing, or the restored database did not check out.
    """
    kind = database_kind(url)
    opened = open_backup(backup)
    manifest = opened.manifest
    if manifest.database_kind != kind:
        raise BackupError(
            f"this is a {manifest.database_kind} backup; it restores into a "
            f"{manifest.database_kind} database only, not {kind}"
        )
    check_key(manifest=manifest, manifest_bytes=opened.manifest_bytes, seal=opened.seal, key=key)
    _check_revision_known(manifest.alembic_revision)

    def check(engine: Engine) -> None:
        with engine.connect() as connection:
            check_restored(connection, manifest)

    if kind == "sqlite":
        path = sqlite_path(url)
        empty = is_empty(path)
        _refuse_unless_forced(empty, force, url)
        restore_sqlite(
            path=path, write_payload=lambda staged: extract_payload(opened, staged), check=check
        )
        return Restored(manifest, replaced=not empty)
    empty = _check_postgres_target(url, manifest, force)
    with tempfile.TemporaryDirectory(prefix="portgate-restore-") as work:
        payload = Path(work) / "payload"
        extract_payload(opened, payload)
        restore_postgres(url=url, payload=payload, clean=not empty, pg_bin=pg_bin, check=check)
    return Restored(manifest, replaced=not empty)


def _check_revision_known(revision: str) -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        known = script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"the backup is at migration {revision}, which this PortGate does not know: "
            "restore it with the PortGate version that made it"
        )


def _refuse_unless_forced(empty: bool, force: bool, url: str) -> None:
    if not empty and not force:
        raise BackupError(
            f"the target database {_shown(url)} is not empty: nothing was restored "
            "(--force replaces it)"
        )


def _check_postgres_target(url: str, manifest: BackupManifest, force: bool) -> bool:
    engine = make_engine(url, pool_size=1)
    try:
        tables = user_tables(engine)
    except Exception as exc:  # noqa: BLE001 - unreachable or refused: the one line says which
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise BackupError(f"cannot reach the target database {_shown(url)}: {cause}") from None
    finally:
        engine.dispose()
    _refuse_unless_forced(not tables, force, url)
    extra = sorted(name for name in tables if name.split(".", 1)[1] not in manifest.row_counts)
    if extra:
        raise BackupError(
            f"the target holds tables the backup does not ({', '.join(extra[:5])}): "
            "restore into an empty database"
        )
    return not tables


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)

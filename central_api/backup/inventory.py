"""What a database holds, as a backup's manifest records it and a restore checks it again.

The same reader runs on the snapshot a backup copies (SQLite: the copy itself; PostgreSQL:
the transaction whose snapshot ``pg_dump`` uses), so the counts and the audit head are
those of the payload, however many writes the API made meanwhile.
"""

from dataclasses import dataclass

from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, inspect, select, table
from sqlmodel import Session, col
from sqlmodel import select as sql_select

from central_api.audit.chain import GENESIS_HASH, verify_chain
from central_api.audit.event_chain import verify_events
from central_api.backup.manifest import BackupError, BackupManifest
from central_api.models import AuditHead, FaceTemplate
from central_api.security.vault import TemplateVaultError, decrypt_template

__all__ = ["Inventory", "check_restored", "read_inventory"]


@dataclass(frozen=True)
class Inventory:
    """A database's revision, audit head and row counts."""

    revision: str
    audit_head_seq: int
    audit_head_hash: str
    row_counts: dict[str, int]


def read_inventory(connection: Connection, *, key: bytes | None = None) -> Inventory:
    """Read the inventory; with `key`, first check it opens the stored face templates.

    Raises:
        BackupError: Not a PortGate database, or `key` does not open its templates.
    """
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        raise BackupError("not a PortGate database: it has no Alembic revision")
    session = Session(bind=connection)
    if key is not None:
        _check_templates_open(session, key)
    head = session.get(AuditHead, 1)
    counts = {
        name: int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())
        for name in sorted(inspect(connection).get_table_names())
    }
    return Inventory(
        revision=revision,
        audit_head_seq=head.seq if head else 0,
        audit_head_hash=head.hash if head else GENESIS_HASH,
        row_counts=counts,
    )


def _check_templates_open(session: Session, key: bytes) -> None:
    # One row is enough: every template is sealed with the one template key.
    row = session.exec(sql_select(FaceTemplate).order_by(col(FaceTemplate.id)).limit(1)).first()
    if row is None:
        return
    try:
        decrypt_template(
            key=key, person_id=row.person_id, nonce=row.nonce, ciphertext=row.ciphertext
        )
    except TemplateVaultError:
        raise BackupError(
            "PORTGATE_TEMPLATE_KEY does not open the stored face templates: a backup bound to "
            "it could not be used; set the key the API runs with"
        ) from None


def check_restored(connection: Connection, manifest: BackupManifest) -> None:
    """Check a restored database against its manifest and its own audit chain.

    Raises:
        BackupError: The revision, a row count or the audit head differs, or the audit chain
            or the stored events do not verify.
    """
    found = read_inventory(connection)
    if found.revision != manifest.alembic_revision:
        raise BackupError(
            f"restored revision {found.revision}, the manifest says {manifest.alembic_revision}"
        )
    if found.row_counts != manifest.row_counts:
        differing = sorted(
            name
            for name in set(found.row_counts) | set(manifest.row_counts)
            if found.row_counts.get(name) != manifest.row_counts.get(name)
        )
        raise BackupError(f"restored row counts differ from the manifest in {differing[:5]}")
    if (found.audit_head_seq, found.audit_head_hash) != (
        manifest.audit_head_seq,
        manifest.audit_head_hash,
    ):
        raise BackupError("the restored audit head is not the one the manifest records")
    session = Session(bind=connection)
    chain = verify_chain(session=session)
    if not chain.ok:
        raise BackupError(f"the restored audit chain is broken at seq {chain.broken_seq}")
    events = verify_events(session=session)
    if not events.ok:
        raise BackupError(f"the restored events do not verify: {events.problem_count} problems")

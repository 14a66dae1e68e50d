"""The enrollment lock: one 1:N duplicate check and its insert at a time, site-wide.

Two desks enrolling the same face at the same moment would otherwise both search the
gallery before either template is stored, both find nobody, and both save: one face, two
identities. Holding this lock from the search until the commit makes the second desk's
search see the first desk's template (and so raise the duplicate hit).

PostgreSQL: a transaction-level advisory lock (released by the commit or rollback, so an
error cannot leave it held). SQLite: the database write lock, taken by a write that changes
nothing, as ``BEGIN IMMEDIATE`` would; the driver has not started a transaction for the
reads before it, so the reads after it see every committed row. The lock is one for all
sites because the duplicate check searches everyone enrolled, not one site.
"""

import hashlib

from sqlalchemy import text
from sqlmodel import Session

__all__ = ["FACE_LOCK_KEY", "lock_face_enrollment"]

# A fixed 64-bit key of PortGate's own, derived from a name so it documents itself.
FACE_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"portgate.enroll.face-duplicate-check").digest()[:8], "big", signed=True
)


def lock_face_enrollment(*, session: Session) -> None:
    """Take the enrollment lock for the rest of the session's transaction.

    Call it before the duplicate search; commit (or roll back) to release it. Waits while
    another transaction holds it (on SQLite up to the engine's busy timeout).
    """
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FACE_LOCK_KEY})
    elif dialect == "sqlite":
        connection.execute(text("UPDATE enroll_pending_face SET id = id WHERE 1 = 0"))
    else:  # pragma: no cover - PortGate runs on these two only
        raise RuntimeError(f"no enrollment lock for the {dialect} database")

"""Phone links of issued passes: a random secret shown once, kept only as a keyed hash.

The secret is 32 random bytes (URL-safe base64) that travel in the link's fragment; the
database keeps HMAC-SHA256(secret) under a key derived from the server's secret for this
purpose alone, so neither a database dump nor the audit gives a usable link. A pass has
one live link: making a new one overwrites the hash, which kills the old link at once.
"""

import hashlib
import hmac
import secrets

from sqlmodel import Session

from central_api.config import Settings
from central_api.crud.audited import commit_audited
from central_api.crud.people import get_person
from central_api.db import utc_now
from central_api.enroll.tables import IssuedPass, MobilePassLink
from central_api.errors import NotFoundError

__all__ = ["MAX_SECRET_LENGTH", "find_link", "link_key", "make_link", "mobile_path"]

MAX_SECRET_LENGTH = 128
_LABEL = b"portgate.mobile-pass.v1"


def link_key(settings: Settings) -> bytes:
    """The installation's key for phone link secrets (derived from its secret)."""
    return hmac.new(settings.jwt_secret().encode(), _LABEL, hashlib.sha256).digest()


def _hash(key: bytes, pass_id: str, secret: str) -> str:
    # The pass id is in the hash: a secret is no good with another pass's id.
    return hmac.new(key, f"{pass_id}\n{secret}".encode(), hashlib.sha256).hexdigest()


def mobile_path(pass_id: str, secret: str) -> str:
    """The link's path and fragment, to put after the API's base URL."""
    return f"/m/pass/{pass_id}#{secret}"


def make_link(*, session: Session, pass_id: str, actor: str, key: bytes) -> str:
    """A new phone link for an issued pass (audited); an older link of the pass dies.

    Returns the secret, which is not stored and cannot be shown again.

    Raises:
        NotFoundError: No such issued pass at the caller's site (cancelled ones included).
    """
    issued = session.get(IssuedPass, pass_id)
    if issued is None:
        raise NotFoundError(f"pass {pass_id!r} not found")
    get_person(session=session, person_id=issued.person_id)  # site scope: 404 elsewhere
    secret = secrets.token_urlsafe(32)
    row = session.get(MobilePassLink, pass_id)
    replaced = row is not None
    if row is None:
        row = MobilePassLink(
            pass_id=pass_id, person_id=issued.person_id, link_hash="", issued_by=actor
        )
    row.link_hash = _hash(key, pass_id, secret)
    row.issued_by = actor
    row.created_at = utc_now()
    commit_audited(
        session,
        actor=actor,
        action="pass.mobile_link",
        target=f"pass:{pass_id}",
        after={"person_id": issued.person_id, "replaced": replaced},
        rows=[row],
    )
    return secret


def find_link(*, session: Session, pass_id: str, secret: str, key: bytes) -> MobilePassLink | None:
    """The link `pass_id` + `secret` names, or None (unknown pass or wrong secret alike)."""
    row = session.get(MobilePassLink, pass_id)
    # Hashed whether or not the pass exists: the answer's timing tells no pass ids apart.
    offered = _hash(key, pass_id, secret[:MAX_SECRET_LENGTH])
    if row is None or not secret or not hmac.compare_digest(row.link_hash, offered):
        return None
    return row

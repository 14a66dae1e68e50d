"""Port bans: issue, confirm (four eyes) and lift, each audited and resynced everywhere.

Every change that alters what a gate decides bumps the replica of every site where the
person may pass (`central_api.replica.bans.ban_sites`), in the change's own transaction.
A pending ban (four eyes on, not yet confirmed) decides nothing, so issuing one bumps
nothing.
"""

import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.audit.privacy import keyed_hash
from central_api.crud.people import get_person
from central_api.db import utc_now
from central_api.errors import ConflictError, InvalidError, NotFoundError
from central_api.models import BanStatus, PortBan, PortBanCreate, Role, User
from central_api.replica.bans import ban_sites
from central_api.replica.versions import bump_replica
from central_api.replica.watchlist import bump_watchlist, has_face

__all__ = [
    "check_authority",
    "confirm_ban",
    "get_ban",
    "issue_ban",
    "lift_ban",
    "list_bans",
]


def check_authority(*, session: Session, username: str) -> None:
    """Refuse a name that is not an active authority user (the CLI's `--by`).

    Raises:
        InvalidError: No such user, disabled, or another role.
    """
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active or Role(user.role) is not Role.AUTHORITY:
        raise InvalidError(f"{username!r} is not an active authority user: only they ban")


def get_ban(*, session: Session, ban_id: str) -> PortBan:
    """The ban, or NotFoundError."""
    ban = session.get(PortBan, ban_id)
    if ban is None:
        raise NotFoundError(f"port ban {ban_id!r} not found")
    return ban


def list_bans(*, session: Session, include_lifted: bool = False) -> list[PortBan]:
    """Bans, newest first; lifted ones only when asked."""
    statement = select(PortBan).order_by(col(PortBan.issued_at).desc())
    if not include_lifted:
        statement = statement.where(col(PortBan.status) != BanStatus.LIFTED)
    return list(session.exec(statement).all())


def _audit_view(ban: PortBan) -> dict[str, object]:
    """What the audit keeps of a ban: the free-text reasons only as keyed hashes."""
    return {
        "person_id": ban.person_id,
        "legal_reference": ban.legal_reference,
        "valid_from": ban.valid_from.isoformat(),
        "valid_until": None if ban.valid_until is None else ban.valid_until.isoformat(),
        "status": str(ban.status),
        "reason": keyed_hash(ban.reason),
        "issued_by": ban.issued_by,
        "confirmed_by": ban.confirmed_by,
        "lifted_by": ban.lifted_by,
        "lift_reason": keyed_hash(ban.lift_reason),
    }


def _commit(
    session: Session, ban: PortBan, *, actor: str, action: str, before: object, resync: bool
) -> None:
    session.add(ban)
    append_audit(
        session=session,
        actor=actor,
        action=action,
        target=f"port_ban:{ban.id}",
        before=before,
        after=_audit_view(ban),
    )
    if resync:
        for site_id in ban_sites(session=session, person_id=ban.person_id):
            bump_replica(session=session, site_id=site_id, person_id=ban.person_id)
        if has_face(session=session, person_id=ban.person_id):
            # A banned face joins (or leaves) the gallery every gate of the port screens.
            bump_watchlist(session=session, reason=action)
    session.commit()
    session.refresh(ban)


def issue_ban(
    *,
    session: Session,
    body: PortBanCreate,
    username: str,
    four_eyes: bool,
    now: datetime | None = None,
    actor: str | None = None,
) -> PortBan:
    """Issue a ban; with `four_eyes` it waits (pending) for a second authority user.

    `username` is the authority user who issues it; `actor` the audit's actor when that is
    not the user themself (the CLI: ``cli:OS-USER``).
    """
    get_person(session=session, person_id=body.person_id)
    now = now or utc_now()
    valid_from = body.valid_from or now
    if body.valid_until is not None and body.valid_until <= valid_from:
        raise InvalidError("valid_until must be after valid_from (now, when not given)")
    ban = PortBan(
        id=f"ban-{secrets.token_hex(6)}",
        person_id=body.person_id,
        reason=body.reason,
        legal_reference=body.legal_reference,
        valid_from=valid_from,
        valid_until=body.valid_until,
        status=BanStatus.PENDING if four_eyes else BanStatus.ACTIVE,
        issued_by=username,
        issued_at=now,
    )
    _commit(
        session,
        ban,
        actor=actor or f"user:{username}",
        action="ban.issue",
        before=None,
        resync=not four_eyes,
    )
    return ban


def confirm_ban(
    *, session: Session, ban_id: str, username: str, actor: str | None = None
) -> PortBan:
    """A second authority user confirms a pending ban; from then on it denies."""
    ban = get_ban(session=session, ban_id=ban_id)
    if ban.status is not BanStatus.PENDING:
        raise ConflictError(f"port ban {ban_id!r} is {ban.status}, not pending confirmation")
    if ban.issued_by == username:
        raise ConflictError("four-eyes: a second authority user must confirm the ban")
    before = _audit_view(ban)
    ban.status = BanStatus.ACTIVE
    ban.confirmed_by = username
    _commit(
        session,
        ban,
        actor=actor or f"user:{username}",
        action="ban.confirm",
        before=before,
        resync=True,
    )
    return ban


def lift_ban(
    *, session: Session, ban_id: str, username: str, reason: str, actor: str | None = None
) -> PortBan:
    """Lift a ban (or withdraw a pending one); lifting a lifted ban is refused."""
    ban = get_ban(session=session, ban_id=ban_id)
    if ban.status is BanStatus.LIFTED:
        raise ConflictError(f"port ban {ban_id!r} was already lifted by {ban.lifted_by}")
    before = _audit_view(ban)
    was_active = ban.status is BanStatus.ACTIVE
    ban.status = BanStatus.LIFTED
    ban.lifted_by = username
    ban.lifted_at = utc_now()
    ban.lift_reason = reason
    _commit(
        session,
        ban,
        actor=actor or f"user:{username}",
        action="ban.lift",
        before=before,
        resync=was_active,
    )
    return ban

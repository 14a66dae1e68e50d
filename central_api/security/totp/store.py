"""A user's TOTP in the database: enroll, confirm, check a login's code, reset.

Every change that matters is audited through the hash-chained audit (`totp.enroll`,
`totp.recovery_code_used`, `totp.reset`); failed codes are counted by the login throttle
(`central_api.security.login`), whose lockouts are audited there. The secret is never
logged and never handed out again once the enrollment is confirmed.
"""

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.db import utc_now
from central_api.errors import ConflictError, ServiceError
from central_api.models import TotpRecoveryCode, User, UserTotp
from central_api.security.totp.codes import (
    hash_recovery_code,
    is_recovery_shaped,
    matching_step,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
)
from central_api.security.totp.seal import TotpKeys, open_secret, seal_secret

__all__ = [
    "Enrollment",
    "Factor",
    "begin_enrollment",
    "confirm_enrollment",
    "enrollment_in_progress",
    "has_totp",
    "recovery_codes_left",
    "reset_totp",
    "verify_second_factor",
]


class Factor(StrEnum):
    """What a login's second step was passed with."""

    CODE = "totp"
    RECOVERY = "recovery_code"


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A new secret, shown once: as text for manual entry and as the QR code's URI."""

    secret: str
    uri: str


def _uid(user: User) -> int:
    assert user.id is not None  # noqa: S101 (a stored user)
    return user.id


def _confirmed(session: Session, user: User) -> UserTotp | None:
    row = session.get(UserTotp, _uid(user))
    return row if row is not None and row.confirmed_at is not None else None


def has_totp(session: Session, user: User) -> bool:
    """Whether `user` has a confirmed TOTP (every login asks for a code)."""
    return _confirmed(session, user) is not None


def recovery_codes_left(session: Session, user: User) -> int:
    """How many of `user`'s recovery codes are still unused."""
    statement = select(func.count()).where(
        col(TotpRecoveryCode.user_id) == _uid(user), col(TotpRecoveryCode.used_at).is_(None)
    )
    return int(session.exec(statement).one())


def begin_enrollment(*, session: Session, user: User, keys: TotpKeys) -> Enrollment:
    """A new secret for `user`, stored sealed and not yet confirmed (replaces one not confirmed).

    Raises:
        ConflictError: TOTP is on already; only an admin's reset takes it off.
    """
    if has_totp(session, user):
        raise ConflictError("TOTP is already on for this account: an admin can reset it")
    secret = new_secret()
    nonce, ciphertext = seal_secret(keys=keys, user_id=_uid(user), secret=secret)
    row = session.get(UserTotp, _uid(user)) or UserTotp(
        user_id=_uid(user), nonce=b"", ciphertext=b""
    )
    row.nonce, row.ciphertext, row.created_at = nonce, ciphertext, utc_now()
    session.add(row)
    session.commit()
    return Enrollment(secret=secret, uri=provisioning_uri(secret=secret, username=user.username))


def enrollment_in_progress(*, session: Session, user: User, keys: TotpKeys) -> Enrollment | None:
    """The secret of `user`'s setup not yet confirmed (to show it again), else None."""
    row = session.get(UserTotp, _uid(user))
    if row is None or row.confirmed_at is not None:
        return None
    secret = open_secret(keys=keys, user_id=_uid(user), nonce=row.nonce, ciphertext=row.ciphertext)
    return Enrollment(secret=secret, uri=provisioning_uri(secret=secret, username=user.username))


def confirm_enrollment(
    *, session: Session, user: User, keys: TotpKeys, code: str, actor: str
) -> list[str]:
    """Switch TOTP on with a valid code; returns the ten recovery codes (shown once).

    Raises:
        ConflictError: No enrollment was started, or TOTP is on already.
        ServiceError: The code is not valid now (nothing changes; try again).
    """
    row = session.get(UserTotp, _uid(user))
    if row is None:
        raise ConflictError("no TOTP setup was started: start it again")
    if row.confirmed_at is not None:
        raise ConflictError("TOTP is already on for this account: an admin can reset it")
    secret = open_secret(keys=keys, user_id=_uid(user), nonce=row.nonce, ciphertext=row.ciphertext)
    step = matching_step(secret=secret, code=code, at=utc_now(), last_step=None)
    if step is None:
        raise ServiceError("wrong code: type the 6 digits your app shows now")
    row.confirmed_at, row.last_step = utc_now(), step
    session.exec(delete(TotpRecoveryCode).where(col(TotpRecoveryCode.user_id) == _uid(user)))
    codes = new_recovery_codes()
    for code_text in codes:
        hashed = hash_recovery_code(key=keys.recovery, code=code_text)
        session.add(TotpRecoveryCode(user_id=_uid(user), code_hash=hashed))
    session.add(row)
    append_audit(
        session=session,
        actor=actor,
        action="totp.enroll",
        target=f"user:{user.username}",
        after={"recovery_codes": len(codes)},
    )
    session.commit()
    return codes


def verify_second_factor(
    *, session: Session, user: User, keys: TotpKeys, code: str
) -> Factor | None:
    """Accept a login's code (once) or an unused recovery code (once); None: refused.

    The step or the recovery code is claimed by a conditional UPDATE, so two requests with
    the same code cannot both pass, whichever database.
    """
    row = _confirmed(session, user)
    if row is None:
        return None
    if is_recovery_shaped(code):
        return _use_recovery_code(session, user, keys, code)
    secret = open_secret(keys=keys, user_id=_uid(user), nonce=row.nonce, ciphertext=row.ciphertext)
    step = matching_step(secret=secret, code=code, at=utc_now(), last_step=row.last_step)
    if step is None:
        return None
    claimed = session.exec(
        update(UserTotp)
        .where(col(UserTotp.user_id) == _uid(user))
        .where((col(UserTotp.last_step).is_(None)) | (col(UserTotp.last_step) < step))
        .values(last_step=step)
    )
    session.commit()
    return Factor.CODE if claimed.rowcount == 1 else None


def _use_recovery_code(session: Session, user: User, keys: TotpKeys, code: str) -> Factor | None:
    hashed = hash_recovery_code(key=keys.recovery, code=code)
    claimed = session.exec(
        update(TotpRecoveryCode)
        .where(col(TotpRecoveryCode.user_id) == _uid(user))
        .where(col(TotpRecoveryCode.code_hash) == hashed)
        .where(col(TotpRecoveryCode.used_at).is_(None))
        .values(used_at=utc_now())
    )
    if claimed.rowcount != 1:
        session.rollback()
        return None
    append_audit(
        session=session,
        actor=f"user:{user.username}",
        action="totp.recovery_code_used",
        target=f"user:{user.username}",
        after={"left": recovery_codes_left(session, user)},
    )
    session.commit()
    return Factor.RECOVERY


def reset_totp(*, session: Session, user: User, actor: str) -> None:
    """Take `user`'s TOTP off and end their sessions: they set it up again at next login.

    Raises:
        ConflictError: The user has no TOTP (nothing changes).
    """
    if not has_totp(session, user):
        raise ConflictError(f"user {user.username!r} has no TOTP set up")
    session.exec(delete(TotpRecoveryCode).where(col(TotpRecoveryCode.user_id) == _uid(user)))
    session.exec(delete(UserTotp).where(col(UserTotp.user_id) == _uid(user)))
    user.session_epoch += 1
    session.add(user)
    append_audit(
        session=session,
        actor=actor,
        action="totp.reset",
        target=f"user:{user.username}",
        after={"sessions_ended": True},
    )
    session.commit()

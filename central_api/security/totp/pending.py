"""A login between its two steps: the password was right, the code is still to come.

Its token (a JWT of its own type, never a session) is kept in a short-lived cookie, bound
to the user's session epoch (an admin's reset ends it) and to the step it was issued for.
"""

from dataclasses import dataclass
from datetime import timedelta

import jwt
from sqlmodel import Session, select

from central_api.db import utc_now
from central_api.models import User
from central_api.security.gate_keys import unauthorized
from central_api.security.totp.policy import LoginStep

__all__ = ["PENDING_COOKIE", "PENDING_MINUTES", "PendingLogin", "issue_pending", "read_pending"]

PENDING_COOKIE = "portgate_login_step"
PENDING_MINUTES = 10
_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """Whose login waits for its second step, and where it goes afterwards."""

    user: User
    next: str
    failures_before: int = 0  # the account's failed logins before the password step

    @property
    def user_actor(self) -> str:
        """The audit actor: the user whose login this is."""
        return f"user:{self.user.username}"


def _purpose(step: LoginStep) -> str:
    return f"login_{step.value}"


def issue_pending(
    *, secret: str, user: User, step: LoginStep, next_path: str, failures_before: int = 0
) -> str:
    """The token of a login waiting for `step` (valid `PENDING_MINUTES`)."""
    now = utc_now()
    claims = {
        "sub": user.username,
        "typ": _purpose(step),
        "ep": user.session_epoch,
        "nxt": next_path,
        "fb": failures_before,
        "iat": now,
        "exp": now + timedelta(minutes=PENDING_MINUTES),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_pending(*, session: Session, secret: str, raw: str, step: LoginStep) -> PendingLogin:
    """The login `raw` holds, if it is valid for `step`; else a 401 to log in again."""
    try:
        claims = jwt.decode(
            raw, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.PyJWTError:
        raise unauthorized("the login has expired: log in again") from None
    if claims["typ"] != _purpose(step):
        raise unauthorized("the login has expired: log in again")
    user = session.exec(select(User).where(User.username == str(claims["sub"]))).first()
    if user is None or not user.active or claims.get("ep") != user.session_epoch:
        raise unauthorized("the login has expired: log in again")
    return PendingLogin(
        user=user, next=str(claims.get("nxt", "/")), failures_before=int(claims.get("fb", 0))
    )

"""Recorded login sessions: one row per login, its id in the token.

So a user sees where they are logged in and can end one session, or all of them ("log out
everywhere").

A token without a session id (issued before this existed) still lives by the session epoch
alone. Last-seen is written at most once a minute per session, in its own short transaction,
so reading pages does not turn every request into a write.
"""

import secrets
from datetime import timedelta

from fastapi import Request
from sqlalchemy import delete, or_, update
from sqlmodel import Session, col

from central_api.db import utc_now
from central_api.models import LoginSession, User
from central_api.security.gate_keys import unauthorized

__all__ = ["LONGEST_SESSION", "SEEN_EVERY", "check_login_session", "start_login_session"]

SEEN_EVERY = timedelta(minutes=1)
# No token lives longer (session_minutes is at most 24 h): older rows are dead history.
LONGEST_SESSION = timedelta(hours=24)


def start_login_session(*, session: Session, user: User, request: Request) -> str:
    """Record a new login of `user` from this request; returns the session id for its token."""
    assert user.id is not None  # noqa: S101 (a stored user)
    sid = secrets.token_urlsafe(16)
    now = utc_now()
    # The user's dead rows go at each login, so the table holds live sessions, not history.
    session.exec(
        delete(LoginSession).where(
            col(LoginSession.user_id) == user.id,
            or_(
                col(LoginSession.ended_at).is_not(None),
                col(LoginSession.epoch) != user.session_epoch,
                col(LoginSession.created_at) < now - LONGEST_SESSION,
            ),
        )
    )
    session.add(
        LoginSession(
            id=sid,
            user_id=user.id,
            user_agent=request.headers.get("user-agent", "")[:256],
            address=(request.client.host if request.client else "unknown")[:64],
            epoch=user.session_epoch,
        )
    )
    session.commit()
    return sid


def check_login_session(*, session: Session, user: User, sid: str) -> None:
    """Refuse a token whose recorded session was ended; note when the session was last seen."""
    row = session.get(LoginSession, sid)
    if row is None or row.user_id != user.id or row.ended_at is not None:
        raise unauthorized("session ended (logged out elsewhere): log in again")
    now = utc_now()
    if now - row.last_seen_at < SEEN_EVERY:
        return
    bind = session.get_bind()
    with Session(bind) as own:  # its own transaction: the request's is not committed early
        own.exec(update(LoginSession).where(col(LoginSession.id) == sid).values(last_seen_at=now))
        own.commit()

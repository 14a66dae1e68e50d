"""Your sessions: where you are logged in, ending one, and "log out everywhere"."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel
from sqlmodel import Session, col, select

from central_api.crud.audited import commit_audited
from central_api.crud.users import get_user
from central_api.db import utc_now
from central_api.deps import SessionDep, SettingsDep
from central_api.errors import NotFoundError
from central_api.models import LoginSession, User
from central_api.security.auth import COOKIE_NAME, AnyUser, UserPrincipal, session_id_of
from central_api.security.login_sessions import LONGEST_SESSION
from central_api.security.site_scope import unscoped

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/account", tags=["account"])


class SessionOut(BaseModel):
    """One live session of yours; `current`: the one this request came with."""

    id: str
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    address: str
    current: bool


def _own_user(session: Session, principal: UserPrincipal) -> User:
    with unscoped(session):
        user = get_user(session=session, username=principal.username)
    if user is None or user.id is None:  # pragma: no cover - just authenticated
        raise NotFoundError("user not found")
    return user


def _live(session: Session, user: User) -> list[LoginSession]:
    # A session of an older epoch ended with a logout or password change already.
    statement = (
        select(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.epoch == user.session_epoch)
        .where(col(LoginSession.ended_at).is_(None))
        .where(col(LoginSession.created_at) > utc_now() - LONGEST_SESSION)
        .order_by(col(LoginSession.created_at).desc())
    )
    return list(session.exec(statement).all())


def _current_sid(request: Request, settings: SettingsDep) -> str | None:
    raw = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return session_id_of(settings, raw or request.cookies.get(COOKIE_NAME, ""))


CurrentSid = Annotated[str | None, Depends(_current_sid)]


@router.get("/sessions", response_model=list[SessionOut])
def list_sessions(session: SessionDep, user: AnyUser, current: CurrentSid) -> list[SessionOut]:
    """Your live sessions, newest first."""
    rows = _live(session, _own_user(session, user))
    return [
        SessionOut(
            id=row.id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            user_agent=row.user_agent,
            address=row.address,
            current=row.id == current,
        )
        for row in rows
    ]


@router.post("/sessions/{sid}/end", status_code=204)
def end_session(
    sid: Annotated[str, Path(max_length=64)], session: SessionDep, user: AnyUser
) -> None:
    """End one of your sessions (its token stops working at once)."""
    own = _own_user(session, user)
    row = next((r for r in _live(session, own) if r.id == sid), None)
    if row is None:
        raise NotFoundError("no such live session of yours")
    row.ended_at = utc_now()
    commit_audited(
        session,
        actor=user.actor,
        action="session.end",
        target=f"user:{user.username}",
        after={"session": sid},
        rows=[row],
    )


@router.post("/logout-everywhere", status_code=204)
def logout_everywhere(session: SessionDep, user: AnyUser) -> None:
    """End every session and token of yours, this one too."""
    own = _own_user(session, user)
    now = utc_now()
    rows = _live(session, own)
    for row in rows:
        row.ended_at = now
    own.session_epoch += 1
    commit_audited(
        session,
        actor=user.actor,
        action="session.end_all",
        target=f"user:{user.username}",
        after={"sessions": len(rows)},
        rows=[*rows, own],
    )

"""Port bans: the port authority issues, confirms (four eyes) and lifts them.

Only authority users (port-wide, no site) may call these routes; a terminal's admin may
not. The dashboard's bans page calls the same routes with its session cookie, under the
one CSRF rule.
"""

from fastapi import APIRouter

from central_api.crud import bans as crud
from central_api.deps import SessionDep, SettingsDep
from central_api.models import PortBan, PortBanCreate, PortBanLift, PortBanPublic
from central_api.routes.params import IdPath
from central_api.security.auth import AuthorityUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/bans", tags=["bans"])


@router.get("", response_model=list[PortBanPublic])
def list_bans(
    session: SessionDep, user: AuthorityUser, include_lifted: bool = False
) -> list[PortBan]:
    """Port bans, newest first (lifted ones only with `include_lifted`)."""
    return crud.list_bans(session=session, include_lifted=include_lifted)


@router.post("", response_model=PortBanPublic, status_code=201)
def issue_ban(
    body: PortBanCreate, session: SessionDep, settings: SettingsDep, user: AuthorityUser
) -> PortBan:
    """Ban a person at every gate of every site (pending a second user with four eyes on)."""
    return crud.issue_ban(
        session=session, body=body, username=user.username, four_eyes=settings.ban_four_eyes
    )


@router.post("/{ban_id}/confirm", response_model=PortBanPublic)
def confirm_ban(ban_id: IdPath, session: SessionDep, user: AuthorityUser) -> PortBan:
    """A second authority user confirms a pending ban: from now on it denies."""
    return crud.confirm_ban(session=session, ban_id=ban_id, username=user.username)


@router.post("/{ban_id}/lift", response_model=PortBanPublic)
def lift_ban(
    ban_id: IdPath, body: PortBanLift, session: SessionDep, user: AuthorityUser
) -> PortBan:
    """Lift a ban (or withdraw a pending one), with a reason; every gate resyncs."""
    return crud.lift_ban(session=session, ban_id=ban_id, username=user.username, reason=body.reason)

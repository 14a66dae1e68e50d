"""Change your own password: the current one is checked (throttled), every session ends."""

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field

from central_api.crud.users import change_own_password, get_user
from central_api.deps import SessionDep
from central_api.security.auth import AnyUser
from central_api.security.login import LoginRefused, check_password, refused_answer
from central_api.security.password_policy import MAX_PASSWORD_LENGTH
from central_api.security.site_scope import unscoped

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/account", tags=["account"])


class OwnPasswordIn(BaseModel):
    """The current password and the new one (never logged or stored in clear)."""

    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class OwnPasswordOut(BaseModel):
    """What happened: the new password is set and every session (this one too) ended."""

    detail: str


@router.post("/password", response_model=OwnPasswordOut)
def change_password(
    body: OwnPasswordIn, request: Request, session: SessionDep, user: AnyUser
) -> OwnPasswordOut:
    """Change your own password (the current one required); every session ends, log in again.

    A wrong current password counts against the login throttle like a failed login.
    """
    try:
        checked = check_password(
            session=session,
            request=request,
            username=user.username,
            password=body.current_password,
            via="account",
        )
    except LoginRefused as refused:
        raise refused_answer(refused) from None
    if checked.user is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="the current password is wrong")
    with unscoped(session):
        own = get_user(session=session, username=user.username)
    if own is None:  # pragma: no cover - the user was just authenticated
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="user not found")
    change_own_password(session=session, user=own, new_password=body.new_password)
    return OwnPasswordOut(detail="password changed: every session has ended, log in again")

"""Users (admins only): a site admin manages the users of their own site only."""

from typing import Annotated

from fastapi import APIRouter, Path
from gate_protocol.ids import AccountName, Id
from pydantic import BaseModel, Field

from central_api.crud import users as crud
from central_api.deps import SessionDep
from central_api.errors import NotFoundError
from central_api.models import Role, UserPublic
from central_api.security.auth import AdminUser, UserPrincipal, check_site_wide

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/users", tags=["users"])
UsernamePath = Annotated[AccountName, Path()]


class UserCreateIn(BaseModel):
    """A new user; the password is hashed with argon2 and never stored or logged in clear."""

    username: AccountName
    password: str = Field(min_length=12, max_length=256)
    role: Role
    site_id: Id | None = Field(
        default=None,
        description="The user's site (required for operators and desks; a site admin's "
        "users get the admin's site); none: a site-wide admin.",
    )


class UserActiveIn(BaseModel):
    """Enable or disable a user."""

    active: bool


class UserPasswordIn(BaseModel):
    """A new password; it ends every session of the user."""

    password: str = Field(min_length=12, max_length=256)


class UserSiteIn(BaseModel):
    """Bind a user to a site; null makes an admin site-wide (site-wide admins only)."""

    site_id: Id | None


def _site_for(admin: UserPrincipal, wanted: str | None) -> str | None:
    """The site of a new user: a site admin adds users of their own site (the default)."""
    if admin.site_id is None:
        return wanted
    if wanted is not None and wanted != admin.site_id:
        raise NotFoundError(f"site {wanted!r} not found")
    return admin.site_id


@router.get("", response_model=list[UserPublic])
def list_users(session: SessionDep, admin: AdminUser) -> list[UserPublic]:
    """Every user (a site admin: the users of their site)."""
    users = crud.list_users(session=session, site_id=admin.site_id)
    return [UserPublic.model_validate(u, from_attributes=True) for u in users]


@router.post("", response_model=UserPublic, status_code=201)
def create_user(body: UserCreateIn, session: SessionDep, admin: AdminUser) -> UserPublic:
    """Add a user."""
    user = crud.create_user(
        session=session,
        username=body.username,
        password=body.password,
        role=body.role,
        site_id=_site_for(admin, body.site_id),
        actor=admin.actor,
    )
    return UserPublic.model_validate(user, from_attributes=True)


@router.patch("/{username}", response_model=UserPublic)
def set_active(
    username: UsernamePath, body: UserActiveIn, session: SessionDep, admin: AdminUser
) -> UserPublic:
    """Enable or disable a user."""
    user = crud.set_user_active(
        session=session,
        username=username,
        active=body.active,
        actor=admin.actor,
        site_id=admin.site_id,
    )
    return UserPublic.model_validate(user, from_attributes=True)


@router.put("/{username}/site", response_model=UserPublic)
def set_site(
    username: UsernamePath, body: UserSiteIn, session: SessionDep, admin: AdminUser
) -> UserPublic:
    """Bind a user to a site (site-wide admins only)."""
    check_site_wide(admin)
    user = crud.set_user_site(
        session=session, username=username, site_id=body.site_id, actor=admin.actor
    )
    return UserPublic.model_validate(user, from_attributes=True)


@router.put("/{username}/password", status_code=204)
def set_password(
    username: UsernamePath, body: UserPasswordIn, session: SessionDep, admin: AdminUser
) -> None:
    """Set a user's password; every token and session cookie the user had stops working."""
    crud.set_user_password(
        session=session,
        username=username,
        password=body.password,
        actor=admin.actor,
        site_id=admin.site_id,
    )

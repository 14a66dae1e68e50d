"""Users (admins only)."""

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from central_api.auth import AdminUser
from central_api.crud import users as crud
from central_api.deps import SessionDep
from central_api.models import Role, UserPublic

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/users", tags=["users"])


class UserCreateIn(BaseModel):
    """A new user; the password is hashed with argon2 and never stored or logged in clear."""

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    password: str = Field(min_length=12, max_length=256)
    role: Role


class UserActiveIn(BaseModel):
    """Enable or disable a user."""

    active: bool


@router.get("", response_model=list[UserPublic])
def list_users(session: SessionDep, admin: AdminUser) -> list[UserPublic]:
    """Every user."""
    return [
        UserPublic.model_validate(u, from_attributes=True) for u in crud.list_users(session=session)
    ]


@router.post("", response_model=UserPublic, status_code=201)
def create_user(body: UserCreateIn, session: SessionDep, admin: AdminUser) -> UserPublic:
    """Add a user."""
    user = crud.create_user(
        session=session,
        username=body.username,
        password=body.password,
        role=body.role,
        actor=admin.actor,
    )
    return UserPublic.model_validate(user, from_attributes=True)


@router.patch("/{username}", response_model=UserPublic)
def set_active(
    username: Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")],
    body: UserActiveIn,
    session: SessionDep,
    admin: AdminUser,
) -> UserPublic:
    """Enable or disable a user."""
    user = crud.set_user_active(
        session=session, username=username, active=body.active, actor=admin.actor
    )
    return UserPublic.model_validate(user, from_attributes=True)

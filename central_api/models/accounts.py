"""Accounts (migration 0032): one-time password reset links and recorded login sessions."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import time_field

__all__ = ["LoginSession", "PasswordReset"]


class PasswordReset(SQLModel, table=True):
    """A one-time reset link an admin issued: only a keyed hash of its token is kept."""

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    # HMAC-SHA256 of the token under the server's secret, hex: a stolen table opens nothing.
    token_hash: str = Field(max_length=64, unique=True)
    issued_by: str = Field(max_length=128)
    created_at: datetime = time_field(default_factory=utc_now)
    expires_at: datetime = time_field()
    # Set when used, or when a newer link for the same user replaced it.
    used_at: datetime | None = time_field(default=None, nullable=True)


class LoginSession(SQLModel, table=True):
    """One login (a browser or a token): who, when, from where; ended by logout or admin."""

    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = time_field(default_factory=utc_now)
    last_seen_at: datetime = time_field(default_factory=utc_now)
    user_agent: str = Field(default="", max_length=256)
    address: str = Field(default="", max_length=64)
    # The user's session epoch at login: a later logout or password change ended it too.
    epoch: int = 0
    ended_at: datetime | None = time_field(default=None, nullable=True)

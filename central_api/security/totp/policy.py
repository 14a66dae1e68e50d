"""Who must use TOTP, and which second step a login with a right password goes on to."""

from enum import StrEnum

from sqlmodel import Session

from central_api.models import Role, User
from central_api.security.totp.store import has_totp

__all__ = ["REQUIRED_ROLES", "LoginStep", "next_login_step", "totp_required"]

# The accounts that can change the whole site or the port's bans: a stolen password alone
# must not be enough for them.
REQUIRED_ROLES = frozenset({Role.ADMIN, Role.AUTHORITY})


class LoginStep(StrEnum):
    """What a right password leads to when a session is not issued at once."""

    CODE = "code"  # TOTP is on: type the code
    ENROLL = "enroll"  # TOTP is required and not set up yet: set it up first


def totp_required(*, role: Role, enforced: bool) -> bool:
    """Whether a user of `role` must use TOTP (`enforced`: the API's setting)."""
    return enforced and Role(role) in REQUIRED_ROLES


def next_login_step(*, session: Session, user: User, enforced: bool) -> LoginStep | None:
    """The second step `user` must pass after the password; None: none, log in."""
    if has_totp(session, user):
        return LoginStep.CODE
    if totp_required(role=user.role, enforced=enforced):
        return LoginStep.ENROLL
    return None

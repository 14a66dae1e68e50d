"""Who is calling: users (JWT bearer or session cookie, by role) and gate agents (API key).

Every non-public route depends on exactly one `RoleRequirement`, `GateKeyRequirement` or
`GateKeyHeader` (the gate-key checks live in `central_api.security.gate_keys`);
`tests/central_api/security/test_route_roles.py` walks `app.routes` to prove it.
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Annotated

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.db import utc_now
from central_api.deps import SessionDep, SettingsDep
from central_api.models import Role, User
from central_api.security.csrf import check_cookie_request
from central_api.security.gate_keys import (
    GATE_KEY_HEADER,
    GateAgent,
    GateKeyRequirement,
    GatePrincipal,
    check_own_gate,
    hash_key,
    unauthorized,
)
from central_api.security.login_sessions import check_login_session
from central_api.security.site_scope import scope_session
from central_api.security.totp.policy import totp_required

__all__ = [
    "COOKIE_NAME",
    "GATE_KEY_HEADER",
    "GateAgent",
    "GateKeyRequirement",
    "GatePrincipal",
    "RoleRequirement",
    "UserPrincipal",
    "authenticate_user",
    "check_own_gate",
    "check_site_wide",
    "create_token",
    "hash_key",
    "hash_password",
    "require_role",
    "session_id_of",
    "verify_password",
]

COOKIE_NAME = "portgate_session"
_ALGORITHM = "HS256"
_hasher = PasswordHasher()

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
# The tokens that are a session; a login waiting for its TOTP code has a token of its own.
_SESSION_PURPOSES = frozenset({"access", "session"})


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so timing does not reveal names.

    Made at the first such login, not at import: every process that imports this module
    (each CLI command, each API worker) would otherwise pay one argon2 hash at start.
    """
    return _hasher.hash("portgate-dummy-password-never-valid")


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """Whether `password` matches `password_hash`."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate_user(*, session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (constant-ish time)."""
    dummy = _dummy_hash()  # made before the lookup: a first login costs the same either way
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(password, dummy)
        return None
    if not verify_password(password, user.password_hash) or not user.active:
        return None
    return user


def create_token(
    *,
    settings: Settings,
    user: User,
    minutes: int,
    purpose: str,
    sid: str | None = None,
    mfa: bool = False,
) -> str:
    """A signed JWT for `user` that expires after `minutes` (`sid`: its recorded session).

    `mfa`: the login passed its TOTP step (required of admins and authority users).
    """
    now = utc_now()
    claims: dict[str, object] = {
        "sub": user.username,
        "role": str(user.role),
        "typ": purpose,
        "ep": user.session_epoch,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    if sid is not None:
        claims["sid"] = sid
    if mfa:
        claims["mfa"] = True
    return jwt.encode(claims, settings.jwt_secret(), algorithm=_ALGORITHM)


@dataclass(frozen=True, slots=True)
class UserPrincipal:
    """An authenticated user; `site_id` None means site-wide (every site)."""

    username: str
    role: Role
    site_id: str | None = None

    @property
    def actor(self) -> str:
        """The audit actor string."""
        return f"user:{self.username}"

    def sees_site(self, site_id: str) -> bool:
        """Whether this user may see and act on `site_id`."""
        return self.site_id is None or self.site_id == site_id


def _user_of_token(session: Session, settings: Settings, raw: str) -> User:
    try:
        claims = jwt.decode(
            raw,
            settings.jwt_secret(),
            algorithms=[_ALGORITHM],
            options={"require": ["exp", "sub", "role", "ep"]},
        )
    except jwt.PyJWTError:
        raise unauthorized("invalid or expired token") from None
    user = session.exec(select(User).where(User.username == str(claims["sub"]))).first()
    if user is None or not user.active:
        raise unauthorized("user no longer exists or is disabled")
    # Logout and a password change bump the epoch: every token issued before is dead.
    if claims["ep"] != user.session_epoch:
        raise unauthorized("session ended (logged out or password changed): log in again")
    if "sid" in claims:
        check_login_session(session=session, user=user, sid=str(claims["sid"]))
    if claims.get("typ") not in _SESSION_PURPOSES:
        raise unauthorized("not a session token: log in again")
    # A role that must use TOTP (made admin since, or TOTP switched on) needs a login with it.
    if not claims.get("mfa") and totp_required(role=user.role, enforced=settings.totp_enforced()):
        raise unauthorized("second factor required: log in again with your TOTP code")
    return user


def session_id_of(settings: Settings, raw: str) -> str | None:
    """The recorded session id in a valid token, if any (which session a request is)."""
    try:
        claims = jwt.decode(raw, settings.jwt_secret(), algorithms=[_ALGORITHM])
    except jwt.PyJWTError:
        return None
    sid = claims.get("sid")
    return str(sid) if sid is not None else None


class RoleRequirement:
    """Dependency: a logged-in user with one of `roles` (admins pass, unless `admins=False`).

    Port bans are the port authority's alone: a terminal's admin does not pass there.
    """

    def __init__(self, *roles: Role, admins: bool = True) -> None:
        self.roles = frozenset(roles) | ({Role.ADMIN} if admins else set())

    def __call__(
        self,
        request: Request,
        session: SessionDep,
        settings: SettingsDep,
        token: Annotated[str | None, Depends(_bearer)],
    ) -> UserPrincipal:
        """Resolve the caller from the bearer token, else the session cookie.

        A cookie-authenticated state change must pass the CSRF rule (`central_api.security.
        csrf`); a token issued before the user's last logout or password change is refused.
        """
        cookie = None if token else request.cookies.get(COOKIE_NAME)
        raw = token or cookie
        if not raw:
            raise unauthorized("not authenticated: log in first")
        user = _user_of_token(session, settings, raw)
        if cookie:
            check_cookie_request(request, secret=settings.jwt_secret(), session_cookie=cookie)
        role = Role(user.role)
        if role not in self.roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"role {role} may not do this")
        if user.site_id is not None:
            scope_session(session, user.site_id)  # the rest of the request sees one site
        return UserPrincipal(username=user.username, role=role, site_id=user.site_id)


def require_role(*roles: Role, admins: bool = True) -> RoleRequirement:
    """The dependency that admits users with any of `roles` (and admins, unless `admins=False`)."""
    return RoleRequirement(*roles, admins=admins)


def check_site_wide(principal: UserPrincipal) -> None:
    """Refuse a site-bound user what only a site-wide admin may do (e.g. add a site)."""
    if principal.site_id is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only a site-wide admin may do this")


AdminUser = Annotated[UserPrincipal, Depends(require_role(Role.ADMIN))]
DeskUser = Annotated[UserPrincipal, Depends(require_role(Role.SECURITY_DESK))]
OperatorUser = Annotated[UserPrincipal, Depends(require_role(Role.OPERATOR))]
# Port-wide: the authority's officers, who have no site and cannot configure or open.
AuthorityUser = Annotated[UserPrincipal, Depends(require_role(Role.AUTHORITY, admins=False))]
# Who may read events and alarms: a site's operators, and the authority for every site.
WatchUser = Annotated[UserPrincipal, Depends(require_role(Role.OPERATOR, Role.AUTHORITY))]
AnyUser = Annotated[
    UserPrincipal,
    Depends(require_role(Role.OPERATOR, Role.SECURITY_DESK, Role.ADMIN, Role.AUTHORITY)),
]

"""Who is calling: users (JWT bearer or session cookie, by role) and gate agents (API key).

Every non-public route depends on exactly one `RoleRequirement` or `GateKeyRequirement`;
`tests/central_api/test_route_roles.py` walks `app.routes` to prove it.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlmodel import Session, col, select

from central_api.config import Settings
from central_api.db import utc_now
from central_api.decision_cache import DecisionCache, GateKeyInputs
from central_api.deps import SessionDep, SettingsDep
from central_api.models import AgentKey, DecisionDataVersion, Gate, Role, User
from central_api.site_scope import scope_session

__all__ = [
    "COOKIE_NAME",
    "GATE_KEY_HEADER",
    "GateKeyRequirement",
    "GatePrincipal",
    "RoleRequirement",
    "UserPrincipal",
    "authenticate_user",
    "check_site_wide",
    "create_token",
    "hash_key",
    "hash_password",
    "require_gate",
    "require_role",
    "verify_password",
]

COOKIE_NAME = "portgate_session"
GATE_KEY_HEADER = "X-Gate-Key"
_ALGORITHM = "HS256"
_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = _hasher.hash("portgate-dummy-password-never-valid")

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_gate_key = APIKeyHeader(name=GATE_KEY_HEADER, auto_error=False)


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """Whether `password` matches `password_hash`."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_key(key: str) -> str:
    """sha256 hex of a gate API key (keys are 256-bit random, so no slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def authenticate_user(*, session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (constant-ish time)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, user.password_hash) or not user.active:
        return None
    return user


def create_token(*, settings: Settings, user: User, minutes: int, purpose: str) -> str:
    """A signed JWT for `user` that expires after `minutes`."""
    now = utc_now()
    claims = {
        "sub": user.username,
        "role": str(user.role),
        "typ": purpose,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
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


@dataclass(frozen=True, slots=True)
class GatePrincipal:
    """An authenticated gate agent: it may reach only `gate_id`."""

    gate_id: str
    site_id: str

    @property
    def actor(self) -> str:
        """The audit actor string."""
        return f"gate:{self.gate_id}"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


class RoleRequirement:
    """Dependency: a logged-in user with one of `roles` (admins pass every requirement)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles) | {Role.ADMIN}

    def __call__(
        self,
        request: Request,
        session: SessionDep,
        settings: SettingsDep,
        token: Annotated[str | None, Depends(_bearer)],
    ) -> UserPrincipal:
        """Resolve the caller from the bearer token, else the session cookie."""
        raw = token or request.cookies.get(COOKIE_NAME)
        if not raw:
            raise _unauthorized("not authenticated: log in first")
        try:
            claims = jwt.decode(
                raw,
                settings.jwt_secret(),
                algorithms=[_ALGORITHM],
                options={"require": ["exp", "sub", "role"]},
            )
        except jwt.PyJWTError:
            raise _unauthorized("invalid or expired token") from None
        user = session.exec(select(User).where(User.username == str(claims["sub"]))).first()
        if user is None or not user.active:
            raise _unauthorized("user no longer exists or is disabled")
        role = Role(user.role)
        if role not in self.roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"role {role} may not do this")
        if user.site_id is not None:
            scope_session(session, user.site_id)  # the rest of the request sees one site
        return UserPrincipal(username=user.username, role=role, site_id=user.site_id)


class GateKeyRequirement:
    """Dependency: a gate agent presenting its own gate's API key.

    A valid key's gate is kept in the app's decision-input generation (one read of the
    decision-data version instead of the key and gate lookups): agent keys bump that
    version (migration 0007), so a revoked or rotated key is refused by the very next
    request on every worker. Unknown keys are looked up every time and never cached.
    """

    def __call__(
        self,
        request: Request,
        session: SessionDep,
        key: Annotated[str | None, Depends(_gate_key)],
    ) -> GatePrincipal:
        """Resolve the gate from the `X-Gate-Key` header."""
        if not key or len(key) > 200:
            raise _unauthorized(f"missing or malformed {GATE_KEY_HEADER} header")
        digest = hash_key(key)
        cache: DecisionCache | None = getattr(request.app.state, "decision_cache", None)
        generation = None
        if cache is not None:
            # The version first: what is read after it is at least that current.
            version = session.exec(
                select(DecisionDataVersion.version).where(DecisionDataVersion.id == 1)
            ).first()
            if version is not None:
                generation = cache.generation(version)
                known = generation.gate_keys.get(digest)
                if known is not None:
                    return GatePrincipal(gate_id=known.gate_id, site_id=known.site_id)
        found = _lookup_gate_key(session=session, digest=digest)
        if found is None:
            raise _unauthorized("unknown or revoked gate key")
        if generation is not None:
            generation.gate_keys[digest] = found
        return GatePrincipal(gate_id=found.gate_id, site_id=found.site_id)


def _lookup_gate_key(*, session: Session, digest: str) -> GateKeyInputs | None:
    row = session.exec(
        select(AgentKey.key_hash, Gate.id, Gate.site_id)
        .join(Gate, col(Gate.id) == col(AgentKey.gate_id))
        .where(AgentKey.key_hash == digest, col(AgentKey.revoked_at).is_(None))
    ).first()
    if row is None or not hmac.compare_digest(row[0], digest):
        return None
    return GateKeyInputs(gate_id=row[1], site_id=row[2])


def require_role(*roles: Role) -> RoleRequirement:
    """The dependency that admits users with any of `roles` (and admins)."""
    return RoleRequirement(*roles)


def require_gate() -> GateKeyRequirement:
    """The dependency that admits a gate agent by its key."""
    return GateKeyRequirement()


def check_site_wide(principal: UserPrincipal) -> None:
    """Refuse a site-bound user what only a site-wide admin may do (e.g. add a site)."""
    if principal.site_id is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only a site-wide admin may do this")


def check_own_gate(principal: GatePrincipal, gate_id: str) -> None:
    """Refuse a gate key that asks about another gate (404: it learns nothing)."""
    if principal.gate_id != gate_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"gate {gate_id!r} not found")


AdminUser = Annotated[UserPrincipal, Depends(require_role(Role.ADMIN))]
DeskUser = Annotated[UserPrincipal, Depends(require_role(Role.SECURITY_DESK))]
OperatorUser = Annotated[UserPrincipal, Depends(require_role(Role.OPERATOR))]
AnyUser = Annotated[
    UserPrincipal, Depends(require_role(Role.OPERATOR, Role.SECURITY_DESK, Role.ADMIN))
]
GateAgent = Annotated[GatePrincipal, Depends(require_gate())]

"""Users: create, look up, disable."""

from sqlmodel import Session, select

from central_api.audit import append_audit
from central_api.auth import hash_password
from central_api.errors import ConflictError, InvalidError, NotFoundError
from central_api.models import Role, User

__all__ = ["MIN_PASSWORD_LENGTH", "create_user", "get_user", "list_users", "set_user_active"]

MIN_PASSWORD_LENGTH = 12
_USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def create_user(*, session: Session, username: str, password: str, role: Role, actor: str) -> User:
    """Create a user with an argon2-hashed password (audited)."""
    if not 1 <= len(username) <= 64 or not set(username) <= _USERNAME_CHARS:
        raise InvalidError("username: 1-64 of letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if get_user(session=session, username=username) is not None:
        raise ConflictError(f"user {username!r} exists")
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    append_audit(
        session=session,
        actor=actor,
        action="user.create",
        target=f"user:{username}",
        after={"username": username, "role": str(role)},
    )
    session.commit()
    return user


def get_user(*, session: Session, username: str) -> User | None:
    """The user with this name, if any."""
    return session.exec(select(User).where(User.username == username)).first()


def list_users(*, session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.exec(select(User).order_by(User.username)).all())


def set_user_active(*, session: Session, username: str, active: bool, actor: str) -> User:
    """Enable or disable a user (audited)."""
    user = get_user(session=session, username=username)
    if user is None:
        raise NotFoundError(f"user {username!r} not found")
    before = user.active
    user.active = active
    session.add(user)
    append_audit(
        session=session,
        actor=actor,
        action="user.enable" if active else "user.disable",
        target=f"user:{username}",
        before={"active": before},
        after={"active": active},
    )
    session.commit()
    return user

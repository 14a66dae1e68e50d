"""Users: create, look up, disable, bind to a site.

Operators and security desks belong to one site; an admin belongs to one site (a site
admin, who manages that site's users) or to none (site-wide). A fresh database has no
users and no default password.
"""

from gate_protocol.ids import is_account_name
from sqlmodel import Session, col, select

from central_api.crud.audited import commit_audited, commit_field_change
from central_api.crud.sites import get_site
from central_api.errors import ConflictError, InvalidError, NotFoundError
from central_api.models import Role, User
from central_api.security.auth import hash_password, verify_password
from central_api.security.password_policy import MIN_PASSWORD_LENGTH, check_password_policy
from central_api.security.site_scope import unscoped

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "change_own_password",
    "check_user_site",
    "create_user",
    "end_sessions",
    "get_user",
    "list_users",
    "set_user_active",
    "set_user_locale",
    "set_user_password",
    "set_user_site",
]


def check_user_site(*, session: Session, role: Role, site_id: str | None) -> None:
    """Refuse a non-admin without a site, an authority user with one, or an unknown site.

    Raises:
        InvalidError: An operator or security desk without a site; an authority with one.
        NotFoundError: The site does not exist.
    """
    if role is Role.AUTHORITY:
        if site_id is not None:
            raise InvalidError("the port authority is port-wide: an authority user has no site")
        return
    if site_id is None and role is not Role.ADMIN:
        raise InvalidError(f"a {role} belongs to a site: give one (only admins are site-wide)")
    if site_id is not None:
        get_site(session=session, site_id=site_id)


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: Role,
    actor: str,
    site_id: str | None = None,
) -> User:
    """Create a user with an argon2-hashed password (audited); `site_id` None: site-wide."""
    if not is_account_name(username):
        raise InvalidError("username: 1-64 of letters, digits, '.', '_' or '-'")
    check_password_policy(password, username=username)
    check_user_site(session=session, role=role, site_id=site_id)
    with unscoped(session):  # names are unique across sites
        taken = get_user(session=session, username=username) is not None
    if taken:
        raise ConflictError(f"user {username!r} exists")
    user = User(
        username=username, password_hash=hash_password(password), role=role, site_id=site_id
    )
    commit_audited(
        session,
        actor=actor,
        action="user.create",
        target=f"user:{username}",
        after={"username": username, "role": str(role), "site_id": site_id},
        rows=[user],
    )
    return user


def get_user(*, session: Session, username: str) -> User | None:
    """The user with this name, if any."""
    return session.exec(select(User).where(User.username == username)).first()


def list_users(*, session: Session, site_id: str | None = None) -> list[User]:
    """Every user by name, or only those of `site_id`."""
    statement = select(User).order_by(col(User.username))
    if site_id is not None:
        statement = statement.where(User.site_id == site_id)
    return list(session.exec(statement).all())


def _require_user(session: Session, username: str, site_id: str | None) -> User:
    user = get_user(session=session, username=username)
    if user is None or (site_id is not None and user.site_id != site_id):
        raise NotFoundError(f"user {username!r} not found")
    return user


def set_user_active(
    *, session: Session, username: str, active: bool, actor: str, site_id: str | None = None
) -> User:
    """Enable or disable a user (audited); `site_id`: only a user of that site."""
    user = _require_user(session, username, site_id)
    commit_field_change(
        session,
        row=user,
        field="active",
        value=active,
        actor=actor,
        action="user.enable" if active else "user.disable",
        target=f"user:{username}",
    )
    return user


def set_user_site(*, session: Session, username: str, site_id: str | None, actor: str) -> User:
    """Bind a user to a site, or make an admin site-wide (None) (audited)."""
    user = get_user(session=session, username=username)
    if user is None:
        raise NotFoundError(f"user {username!r} not found")
    check_user_site(session=session, role=Role(user.role), site_id=site_id)
    commit_field_change(
        session,
        row=user,
        field="site_id",
        value=site_id,
        actor=actor,
        action="user.site",
        target=f"user:{username}",
    )
    return user


def set_user_password(
    *, session: Session, username: str, password: str, actor: str, site_id: str | None = None
) -> User:
    """Set a user's password and end every session it had (audited, never the password)."""
    check_password_policy(password, username=username)
    user = _require_user(session, username, site_id)
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    commit_audited(
        session,
        actor=actor,
        action="user.password",
        target=f"user:{username}",
        after={"sessions_ended": True},
        rows=[user],
    )
    return user


def end_sessions(*, session: Session, username: str, actor: str) -> None:
    """End every session and token of `username` (logout; audited)."""
    with unscoped(session):
        user = get_user(session=session, username=username)
    if user is None:
        return
    user.session_epoch += 1
    commit_audited(session, actor=actor, action="logout", target=f"user:{username}", rows=[user])


def set_user_locale(*, session: Session, username: str, locale: str | None, actor: str) -> User:
    """Store the language `username` chose for the pages; None: the browser's (audited).

    `locale` must already be a supported one (`gate_protocol.i18n.parse_locale`).
    """
    with unscoped(session):
        user = get_user(session=session, username=username)
    if user is None:
        raise NotFoundError(f"user {username!r} not found")
    commit_field_change(
        session,
        row=user,
        field="locale",
        value=locale,
        actor=actor,
        action="user.locale",
        target=f"user:{username}",
    )
    return user


def change_own_password(*, session: Session, user: User, new_password: str) -> None:
    """A user's own new password (the current one already checked): every session ends.

    The policy is checked before anything changes; the audit row never holds a password.
    """
    check_password_policy(new_password, username=user.username)
    if verify_password(new_password, user.password_hash):
        raise InvalidError("the new password must differ from the current one")
    user.password_hash = hash_password(new_password)
    user.session_epoch += 1
    commit_audited(
        session,
        actor=f"user:{user.username}",
        action="user.password_own",
        target=f"user:{user.username}",
        after={"sessions_ended": True},
        rows=[user],
    )

"""One-time password reset links: issued by an admin, used once by the user, then dead.

The token is 32 random bytes shown once (to the admin, or printed by the CLI); the database
keeps only its HMAC under the server's secret, so a copied table opens no account. A link
expires after `RESET_LINK_HOURS`, works once, and a newer link for the same user kills the
older one. Issuing and using are audited, never with the token or the password.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from central_api.crud.audited import commit_audited
from central_api.crud.users import get_user
from central_api.db import utc_now
from central_api.errors import InvalidError, NotFoundError
from central_api.models import PasswordReset, User
from central_api.security.auth import hash_password
from central_api.security.password_policy import check_password_policy
from central_api.security.site_scope import unscoped

__all__ = ["RESET_LINK_HOURS", "IssuedLink", "ResetLinkError", "issue_reset_link", "use_reset_link"]

RESET_LINK_HOURS = 24


class ResetLinkError(InvalidError):
    """A reset link that is unknown, used already, or expired (the message says which)."""

    status_code = 410


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """The token (shown once, never stored) and when its link expires."""

    token: str
    expires_at: datetime


def _token_hash(token: str, key: str) -> str:
    return hmac.new(key.encode(), token.encode(), hashlib.sha256).hexdigest()


def issue_reset_link(
    *, session: Session, username: str, actor: str, key: str, site_id: str | None = None
) -> IssuedLink:
    """A new one-time reset token for `username` (audited); earlier unused links die.

    `site_id`: a site admin may only reset the users of their own site.
    """
    user = get_user(session=session, username=username)
    if user is None or user.id is None or (site_id is not None and user.site_id != site_id):
        raise NotFoundError(f"user {username!r} not found")
    now = utc_now()
    open_links = session.exec(
        select(PasswordReset).where(
            PasswordReset.user_id == user.id, col(PasswordReset.used_at).is_(None)
        )
    ).all()
    for old in open_links:
        old.used_at = now
    token = secrets.token_urlsafe(32)
    link = PasswordReset(
        user_id=user.id,
        token_hash=_token_hash(token, key),
        issued_by=actor,
        created_at=now,
        expires_at=now + timedelta(hours=RESET_LINK_HOURS),
    )
    commit_audited(
        session,
        actor=actor,
        action="user.reset_link",
        target=f"user:{username}",
        after={"expires_at": link.expires_at.isoformat(), "replaced": len(open_links)},
        rows=[*open_links, link],
    )
    return IssuedLink(token=token, expires_at=link.expires_at)


def use_reset_link(*, session: Session, token: str, password: str, key: str) -> User:
    """Set a new password through a reset link; the link dies and every session ends.

    Raises:
        ResetLinkError: The link is unknown, used already, or expired.
        InvalidError: The password breaks the policy (the link stays usable).
    """
    with unscoped(session):
        link = session.exec(
            select(PasswordReset)
            .where(PasswordReset.token_hash == _token_hash(token, key))
            .with_for_update()  # two tabs using one link at once: the second waits, then fails
        ).first()
        user = session.get(User, link.user_id) if link is not None else None
    if link is None or user is None or not user.active:
        raise ResetLinkError("this reset link is not valid: ask an admin for a new one")
    if link.used_at is not None:
        raise ResetLinkError("this reset link was used already: ask an admin for a new one")
    now = utc_now()
    if link.expires_at <= now:
        raise ResetLinkError("this reset link has expired: ask an admin for a new one")
    check_password_policy(password, username=user.username)
    link.used_at = now
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    commit_audited(
        session,
        actor=f"user:{user.username}",
        action="user.password_reset",
        target=f"user:{user.username}",
        after={"issued_by": link.issued_by, "sessions_ended": True},
        rows=[link, user],
    )
    return user

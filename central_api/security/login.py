"""Checking a user's password through the login throttle, with failures audited in bulk.

Every way a password is checked (the token route, the login form, a second desk user's
signature) goes through `check_password`: a locked account or address is refused before
the password is looked at, a failure is counted, and only a limit being reached writes an
audit row (with the count), so a flood of wrong passwords cannot flood the audit log.
"""

from dataclasses import dataclass

from fastapi import HTTPException, Request, status
from sqlmodel import Session

from central_api.audit.chain import append_audit
from central_api.models import User
from central_api.security.auth import authenticate_user
from central_api.security.directory import directory_login
from central_api.security.login_throttle import LoginRefused, LoginThrottle, ThrottleNotice
from central_api.security.totp.seal import TotpKeys
from central_api.security.totp.store import Factor, has_totp, verify_second_factor

__all__ = [
    "LoginRefused",
    "PasswordCheck",
    "check_password",
    "check_second_factor",
    "client_address",
    "refused_answer",
    "throttle_of",
]


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """The user (None: wrong name or password) and the account's failures before it."""

    user: User | None
    failures_before: int = 0


def throttle_of(request: Request) -> LoginThrottle:
    """The app's login throttle (one per process)."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


def client_address(request: Request) -> str:
    """The client's address as the server sees it (a proxy in front: the proxy's)."""
    return request.client.host if request.client else "unknown"


def refused_answer(refused: LoginRefused) -> HTTPException:
    """429 with Retry-After for a throttled login."""
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=str(refused),
        headers={"Retry-After": str(refused.retry_after_s)},
    )


def check_password(
    *, session: Session, request: Request, username: str, password: str, via: str
) -> PasswordCheck:
    """The active user with this name and password, counted by the throttle.

    Raises:
        LoginRefused: The account or the client address has failed too often of late,
            whether or not this password is right.
    """
    throttle = throttle_of(request)
    address = client_address(request)
    throttle.check(username=username, address=address)
    user = authenticate_user(session=session, username=username, password=password)
    if user is None:  # not a local account's password: perhaps the company directory's
        user = directory_login(session=session, username=username, password=password)
    if user is None:
        notices = throttle.failed(username=username, address=address)
        _audit_limits(session, notices, username=username, address=address, via=via)
        return PasswordCheck(None)
    failures = throttle.failures(username=username)
    if not has_totp(session, user):  # else the code, not the password, ends the failure run
        throttle.succeeded(username=username)
    return PasswordCheck(user, failures)


def check_second_factor(
    *, session: Session, request: Request, keys: TotpKeys, user: User, code: str, via: str
) -> Factor | None:
    """A login's TOTP or recovery code, counted by the throttle like a password.

    A wrong code counts as a failed login (a limit reached is audited, as for passwords);
    a right one ends the account's run of failures. None: the code was refused.

    Raises:
        LoginRefused: The account or the client address has failed too often of late.
    """
    throttle = throttle_of(request)
    address = client_address(request)
    throttle.check(username=user.username, address=address)
    factor = verify_second_factor(session=session, user=user, keys=keys, code=code[:64])
    if factor is None:
        notices = throttle.failed(username=user.username, address=address)
        _audit_limits(session, notices, username=user.username, address=address, via=via)
        return None
    throttle.succeeded(username=user.username)
    return factor


def _audit_limits(
    session: Session, notices: list[ThrottleNotice], *, username: str, address: str, via: str
) -> None:
    for notice in notices:
        append_audit(
            session=session,
            actor="anonymous",
            action=f"login.{notice.scope}_locked",
            target=f"user:{username}" if notice.scope == "account" else f"address:{address}",
            after={
                "failures": notice.failures,
                "retry_after_s": notice.retry_after_s,
                "via": via,
            },
        )
    if notices:
        session.commit()

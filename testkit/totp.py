"""TOTP in tests: codes for a secret at a step from now, and a token that passed TOTP."""

import time

import pyotp
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.models import User
from central_api.security.auth import create_token

__all__ = ["code_at", "mfa_header"]


def code_at(secret: str, steps: int = 0) -> str:
    """The code of `secret` `steps` time steps (30 s) from now (±1 is accepted).

    A test that set TOTP up with the current code logs in with ``steps=1``: the current
    step is used already, and a step used once is never accepted again.
    """
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def mfa_header(engine: Engine, settings: Settings, username: str) -> dict[str, str]:
    """A bearer header for `username` as if they had logged in with their TOTP code."""
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        token = create_token(settings=settings, user=user, minutes=5, purpose="access", mfa=True)
    return {"Authorization": f"Bearer {token}"}

"""TOTP on the account page: its state, setting it up (opt-in for every role), an admin's reset.

Setting up is two calls: `start` hands out a new secret once (text and QR code), `confirm`
switches it on with a valid code and hands out the ten recovery codes once. Neither is ever
shown again. An admin's reset takes a user's TOTP off and ends their sessions; a user who
must have it sets it up again at their next login.
"""

from typing import Annotated

import segno
from fastapi import APIRouter, Path, Response
from gate_protocol.ids import AccountName
from pydantic import BaseModel, Field
from sqlmodel import Session

from central_api.crud.users import get_user
from central_api.deps import SessionDep, SettingsDep
from central_api.errors import NotFoundError
from central_api.models import User
from central_api.routes.account.login_finish import totp_keys
from central_api.security.auth import AdminUser, AnyUser, UserPrincipal
from central_api.security.site_scope import unscoped
from central_api.security.totp.policy import totp_required
from central_api.security.totp.store import (
    begin_enrollment,
    confirm_enrollment,
    has_totp,
    recovery_codes_left,
    reset_totp,
)

__all__ = ["router"]

router = APIRouter(tags=["account"])


class TotpState(BaseModel):
    """Whether your TOTP is on, whether your role must have it, recovery codes unused."""

    enabled: bool
    required: bool
    recovery_codes_left: int


class TotpSetup(BaseModel):
    """A new secret, shown once: the key to type in by hand and the QR code's content."""

    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str


class TotpConfirmIn(BaseModel):
    """The code the app shows now (six digits; spaces allowed)."""

    code: str = Field(min_length=6, max_length=16, pattern=r"^[0-9 ]+$")


class TotpRecoveryCodes(BaseModel):
    """TOTP is on: the ten one-time recovery codes, shown only in this answer."""

    recovery_codes: list[str]


def _own(session: Session, principal: UserPrincipal) -> User:
    with unscoped(session):
        user = get_user(session=session, username=principal.username)
    if user is None or user.id is None:  # pragma: no cover - just authenticated
        raise NotFoundError("user not found")
    return user


@router.get("/api/v1/account/totp", response_model=TotpState)
def totp_state(session: SessionDep, settings: SettingsDep, user: AnyUser) -> TotpState:
    """Your TOTP: on or not, required for your role or not, recovery codes left."""
    own = _own(session, user)
    return TotpState(
        enabled=has_totp(session, own),
        required=totp_required(role=own.role, enforced=settings.totp_enforced()),
        recovery_codes_left=recovery_codes_left(session, own),
    )


@router.post("/api/v1/account/totp/start", response_model=TotpSetup)
def totp_start(session: SessionDep, settings: SettingsDep, user: AnyUser) -> TotpSetup:
    """Start setting TOTP up: a new secret (409 if TOTP is on already)."""
    enrollment = begin_enrollment(
        session=session, user=_own(session, user), keys=totp_keys(settings)
    )
    qr = segno.make(enrollment.uri, error="m", micro=False)
    return TotpSetup(
        secret=enrollment.secret,
        otpauth_uri=enrollment.uri,
        qr_svg_data_uri=qr.svg_data_uri(scale=5, border=2, dark="#000", light="#fff"),
    )


@router.post("/api/v1/account/totp/confirm", response_model=TotpRecoveryCodes)
def totp_confirm(
    body: TotpConfirmIn, session: SessionDep, settings: SettingsDep, user: AnyUser
) -> TotpRecoveryCodes:
    """Switch TOTP on with the code the app shows (400 if wrong: nothing changes)."""
    codes = confirm_enrollment(
        session=session,
        user=_own(session, user),
        keys=totp_keys(settings),
        code=body.code,
        actor=user.actor,
    )
    return TotpRecoveryCodes(recovery_codes=codes)


@router.post("/api/v1/users/{username}/totp-reset", status_code=204, response_class=Response)
def totp_reset(
    username: Annotated[AccountName, Path()], session: SessionDep, admin: AdminUser
) -> Response:
    """Take a user's TOTP off (lost phone) and end their sessions; they set it up again."""
    target = get_user(session=session, username=username)
    if target is None or (admin.site_id is not None and target.site_id != admin.site_id):
        raise NotFoundError(f"user {username!r} not found")
    reset_totp(session=session, user=target, actor=admin.actor)
    return Response(status_code=204)

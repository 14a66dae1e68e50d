"""Signed QR passes for truck visits: an appointment plus its Ed25519-signed token.

The claims are checked and signed with a stand-in pass id before anything is written, so
a pass that cannot be issued (too long for QR 6-M, bad gate id) leaves no appointment.
"""

from datetime import datetime, timedelta

from gate_protocol.passes.keys import load_private_key
from gate_protocol.passes.token import PassClaims, PassSigner, PassTooLargeError
from sqlmodel import Session

from central_api.config import Settings
from central_api.crud.audited import Resync, commit_audited
from central_api.crud.people import get_person
from central_api.crud.rules import create_appointment
from central_api.db import utc_now
from central_api.enroll.schemas import PassIn, PassOut
from central_api.enroll.tables import IssuedPass
from central_api.errors import ConflictError, InvalidError, NotFoundError, ServiceError
from central_api.models import Appointment, AppointmentCreate, Person

__all__ = ["PassKeyMissingError", "cancel_pass", "issue_pass", "load_signer", "pass_out"]

_MINUTE = timedelta(minutes=1)


class PassKeyMissingError(ServiceError):
    """The API has no pass signing key configured."""

    status_code = 503


def load_signer(settings: Settings) -> PassSigner:
    """The signer from ``PORTGATE_PASS_SIGNING_KEY`` (``KID=base64``)."""
    if settings.pass_signing_key is None:
        raise PassKeyMissingError("no pass signing key: set PORTGATE_PASS_SIGNING_KEY=KID=base64")
    key_id, _, text = settings.pass_signing_key.get_secret_value().partition("=")
    try:
        return PassSigner(load_private_key(text), key_id.strip())
    except ValueError as exc:
        raise PassKeyMissingError(f"PORTGATE_PASS_SIGNING_KEY is unusable: {exc}") from None


def _floor(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _ceil(at: datetime) -> datetime:
    floor = _floor(at)
    return floor if floor == at else floor + _MINUTE


def _claims(*, pass_in: PassIn, pass_id: str, holder_id: str, issued_at: datetime) -> PassClaims:
    plate = pass_in.plate.replace(" ", "").upper() if pass_in.plate else None
    try:
        return PassClaims(
            pass_id=pass_id,
            holder_id=holder_id,
            gates=tuple(g.upper() for g in pass_in.gates),
            issued_at=issued_at,
            not_before=_floor(pass_in.window_start),
            expires_at=_ceil(pass_in.window_end),
            one_time=pass_in.one_time,
            plate=plate or None,
        )
    except ValueError as exc:
        raise InvalidError(f"the pass cannot carry this: {exc}") from None


def pass_out(
    row: IssuedPass,
    *,
    gates: list[str],
    plate: str | None,
    one_time: bool,
    language: str | None = None,
) -> PassOut:
    """The answer for an issued pass."""
    return PassOut(
        pass_id=row.pass_id,
        appointment_id=row.appointment_id,
        person_id=row.person_id,
        token=row.token,
        gates=gates,
        not_before=row.not_before,
        expires_at=row.expires_at,
        plate=plate,
        one_time=one_time,
        language=language,
    )


def _visit(pass_in: PassIn, person: Person) -> AppointmentCreate:
    return AppointmentCreate(
        person_id=person.id,
        plate=pass_in.plate,
        container_ref=pass_in.container_ref,
        # The haulier the driver is enrolled with today: the visit keeps it if that changes.
        company_id=person.company_id,
        gates=pass_in.gates,
        window_start=pass_in.window_start,
        window_end=pass_in.window_end,
        one_time=pass_in.one_time,
        language=pass_in.language,  # audited with the visit (appointment.create)
    )


def issue_pass(
    *, session: Session, person_id: str, pass_in: PassIn, actor: str, signer: PassSigner
) -> PassOut:
    """Book the visit and sign its pass.

    Raises:
        NotFoundError: No such person or gate.
        InvalidError: The window or ids do not fit a pass.
    """
    person = get_person(session=session, person_id=person_id)
    if pass_in.window_end <= pass_in.window_start:
        raise InvalidError("window_end must be after window_start")
    if pass_in.window_end <= utc_now():
        raise InvalidError("the visit window is already over")
    issued_at = _floor(utc_now())
    try:
        signer.issue(
            _claims(pass_in=pass_in, pass_id="X" * 10, holder_id=person.id, issued_at=issued_at)
        )
    except PassTooLargeError as exc:
        raise InvalidError(str(exc)) from None
    appointment = create_appointment(
        session=session, appointment_create=_visit(pass_in, person), actor=actor
    )
    if appointment.pass_id is None:
        raise NotFoundError("the appointment has no pass id")
    claims = _claims(
        pass_in=pass_in, pass_id=appointment.pass_id, holder_id=person.id, issued_at=issued_at
    )
    row = IssuedPass(
        pass_id=claims.pass_id,
        appointment_id=appointment.id,
        person_id=person.id,
        token=signer.issue(claims),
        issued_by=actor,
        issued_at=issued_at,
        not_before=claims.not_before,
        expires_at=claims.expires_at,
    )
    session.add(row)
    session.commit()
    return pass_out(
        row,
        gates=list(claims.gates),
        plate=claims.plate,
        one_time=claims.one_time,
        language=appointment.language,
    )


def cancel_pass(*, session: Session, pass_id: str, actor: str) -> None:
    """Cancel an issued pass: its visit is struck off, so no gate opens for it again.

    The token stays validly signed, but a gate finds no visit for its pass id any more (the
    API at once; a gate's replica with the next sync, which the change asks for) and answers
    `unknown_credential`. The issued pass is forgotten too (it cannot be reprinted); the
    audit row says who cancelled which pass of whom.

    Raises:
        NotFoundError: No such pass at the caller's site.
        ConflictError: A one-time pass that has already let its holder through.
    """
    row = session.get(IssuedPass, pass_id)
    appointment = session.get(Appointment, row.appointment_id) if row is not None else None
    if row is None or appointment is None:
        raise NotFoundError(f"pass {pass_id!r} not found")
    person = get_person(session=session, person_id=row.person_id)  # site scope: 404 elsewhere
    if appointment.one_time and appointment.used_at is not None:
        raise ConflictError(f"pass {pass_id!r} was already used at {appointment.used_gate}")
    session.delete(row)
    session.delete(appointment)
    commit_audited(
        session,
        actor=actor,
        action="pass.cancel",
        target=f"appointment:{appointment.id}",
        before={"pass_id": pass_id, "person_id": person.id, "gates": appointment.gates},
        resync=Resync(person.site_id, person.id),
    )

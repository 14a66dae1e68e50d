"""Central decisions: look the presentation up in the database, run the shared `decide()`.

A granted one-time pass is consumed with a conditional UPDATE (``used_at IS NULL``) in the
same transaction, so of two gates racing the same pass exactly one is granted.
"""

import time
from datetime import datetime

from gate_protocol.api_models import DecisionAnswer, DecisionQuery
from gate_protocol.messages import CredentialKind, Decision, Direction
from gate_protocol.pass_keys import PassKeyring
from gate_protocol.passes import PassRejected, verify_pass
from gate_protocol.policy import DecisionContext, DecisionRequest, FaceEvidence, decide
from gate_protocol.reasons import ReasonCode, describe_reason
from gate_protocol.records import CredentialRecord, LastPassage
from sqlalchemy import update
from sqlmodel import Session, col, select

from central_api.config import Settings
from central_api.db import utc_now
from central_api.errors import NotFoundError
from central_api.metrics import DECISION_SECONDS, DECISIONS_TOTAL
from central_api.models import (
    AccessEventRecord,
    Appointment,
    Credential,
    Gate,
    Person,
    Site,
    Zone,
)
from central_api.raise_alarm import raise_alarm
from central_api.records import (
    appointment_record,
    credential_record,
    gate_policy,
    load_person_records,
    zone_rules,
)
from central_api.sync import bump_replica

__all__ = ["decide_presentation", "last_passage"]


def last_passage(
    *, session: Session, person_id: str, zone_id: str, before: datetime
) -> LastPassage | None:
    """The person's last granted passage through any gate of the zone (anti-passback)."""
    row = session.exec(
        select(AccessEventRecord.direction, AccessEventRecord.occurred_at)
        .join(Gate, col(Gate.id) == col(AccessEventRecord.gate_id))
        .where(
            AccessEventRecord.person_id == person_id,
            Gate.zone_id == zone_id,
            AccessEventRecord.decision == Decision.GRANTED,
            col(AccessEventRecord.passed).is_not(False),
            col(AccessEventRecord.occurred_at) <= before,
        )
        .order_by(col(AccessEventRecord.occurred_at).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return LastPassage(direction=Direction(row[0]), at=row[1])


def _keyring(settings: Settings) -> PassKeyring:
    return PassKeyring.from_entries(settings.pass_key_entries())


def decide_presentation(
    *, session: Session, settings: Settings, gate_id: str, request: DecisionQuery
) -> DecisionAnswer:
    """Decide one presentation at `gate_id` over current data; commits what it consumed."""
    started = time.perf_counter()
    now = utc_now()
    gate = session.get(Gate, gate_id)
    if gate is None:
        raise NotFoundError(f"gate {gate_id!r} not found")
    zone = session.get(Zone, gate.zone_id)
    site = session.get(Site, gate.site_id)
    assert zone is not None and site is not None  # noqa: S101 (foreign keys)
    person_id: str | None = None
    credential: CredentialRecord | None = None
    appointment: Appointment | None = None
    pass_rejection: str | None = None
    kind = request.credential_kind
    if kind is CredentialKind.FACE:
        person_id = request.person_id
    else:
        ref: str | None = request.badge_number
        if kind is CredentialKind.QR_PASS and request.pass_token is not None:
            verdict = verify_pass(
                request.pass_token, keyring=_keyring(settings), gate_id=gate.id, now=now
            )
            if isinstance(verdict, PassRejected):
                pass_rejection = verdict.reason.value
                ref = verdict.claims.pass_id if verdict.claims else None
            else:
                ref = verdict.claims.pass_id
        if ref is not None:
            if kind is CredentialKind.QR_PASS:
                appointment = session.exec(
                    select(Appointment).where(Appointment.pass_id == ref)
                ).first()
            row = session.exec(
                select(Credential).where(Credential.kind == kind, Credential.ref == ref)
            ).first()
            if row is not None:
                credential = credential_record(row)
                person_id = row.person_id
            elif appointment is not None:
                person_id = appointment.person_id
                credential = CredentialRecord(
                    kind=CredentialKind.QR_PASS,
                    ref=ref,
                    person_id=appointment.person_id,
                    valid_from=appointment.window_start,
                    valid_until=appointment.window_end,
                )
    person = None
    if person_id is not None:
        person = load_person_records(session=session, person_ids=[person_id]).get(person_id)
        site_of_person = _person_site(session=session, person_id=person_id)
        if site_of_person is not None and site_of_person != gate.site_id:
            person = None  # people of another site are unknown here
    last = None
    if person is not None:
        last = last_passage(
            session=session, person_id=person.person_id, zone_id=zone.id, before=now
        )
    face = request.face
    result = decide(
        DecisionRequest(
            gate=gate_policy(gate),
            zone=zone_rules(zone),
            direction=request.direction,
            credential_kind=kind,
            credential=credential,
            person=person,
            appointment=appointment_record(appointment) if appointment is not None else None,
            last_passage=last,
            face=FaceEvidence(
                seen=face.seen,
                distance=face.distance,
                liveness_passed=face.liveness_passed,
                liveness_score=face.liveness_score,
            )
            if face is not None
            else None,
            pass_rejection=pass_rejection,
        ),
        DecisionContext(now=now, threat_level=site.threat_level),
    )
    decision, reason, detail = result.decision, result.reason, result.detail
    if result.consume_appointment_id is not None:
        consumed = session.exec(
            update(Appointment)
            .where(
                col(Appointment.id) == result.consume_appointment_id,
                col(Appointment.used_at).is_(None),
            )
            .values(used_at=now, used_gate=gate.id)
        )
        if consumed.rowcount != 1:
            decision, reason, detail = Decision.DENIED, ReasonCode.PASS_ALREADY_USED, None
        else:
            bump_replica(session=session, site_id=gate.site_id, person_id=person_id)
    for alarm in result.alarms:
        raise_alarm(
            session=session,
            site_id=gate.site_id,
            gate_id=gate.id,
            kind=alarm,
            person_id=person_id,
            detail=f"decision at {gate.id}: {describe_reason(reason, detail)}",
            lane=request.lane,
        )
    session.commit()
    DECISIONS_TOTAL.labels(decision=decision.value).inc()
    DECISION_SECONDS.observe(time.perf_counter() - started)
    return DecisionAnswer(
        request_id=request.request_id,
        decision=decision,
        reason=reason,
        reason_text=describe_reason(reason, detail),
        detail=detail,
        person_id=person_id if person is not None else None,
        alarms=tuple(result.alarms),
        replica_version=site.replica_version,
    )


def _person_site(*, session: Session, person_id: str) -> str | None:
    person = session.get(Person, person_id)
    return person.site_id if person is not None else None

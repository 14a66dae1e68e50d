"""Central decisions: look the presentation up in the database, run the shared `decide()`.

A granted one-time pass is consumed with a conditional UPDATE (``used_at IS NULL``) in the
same transaction, so of two gates racing the same pass exactly one is granted.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gate_protocol.api_models import DecisionAnswer, DecisionQuery
from gate_protocol.messages import CredentialKind, Decision, Direction
from gate_protocol.pass_keys import PassKeyring
from gate_protocol.passes import PassRejected, verify_pass
from gate_protocol.policy import DecisionContext, DecisionRequest, FaceEvidence, decide
from gate_protocol.reasons import ReasonCode, describe_reason
from gate_protocol.records import CredentialRecord, LastPassage, PersonRecord
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from central_api.config import Settings
from central_api.db import utc_now
from central_api.decision_cache import (
    CredentialInputs,
    DecisionCache,
    GateInputs,
    Generation,
    PersonInputs,
)
from central_api.errors import NotFoundError
from central_api.metrics import DECISION_SECONDS, DECISIONS_TOTAL
from central_api.models import (
    AccessEventRecord,
    Appointment,
    Credential,
    DecisionDataVersion,
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

__all__ = ["decide_presentation", "last_passage", "preload_decision_inputs", "read_live_state"]


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


@dataclass(frozen=True, slots=True)
class _LiveState:
    """What is read fresh for every decision, in one query."""

    data_version: int | None
    replica_version: int
    threat_level: int
    last: LastPassage | None


def read_live_state(
    *, session: Session, site_id: str, person_id: str | None, zone_id: str, before: datetime
) -> _LiveState:
    """The data version, the site's threat level and replica version, the last passage.

    One round trip: the last passage is the person's last granted passage through the
    zone (anti-passback); the version says whether cached inputs are still current.
    """
    version = (
        select(DecisionDataVersion.version).where(DecisionDataVersion.id == 1).scalar_subquery()
    )
    columns: list[Any] = [version, col(Site.replica_version), col(Site.threat_level)]
    if person_id is not None:
        last = (
            select(AccessEventRecord.direction)
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
        )
        columns.append(last.scalar_subquery())
        columns.append(last.with_only_columns(col(AccessEventRecord.occurred_at)).scalar_subquery())
    row = session.execute(select(*columns).where(col(Site.id) == site_id)).one()
    passage = None
    if person_id is not None and row[3] is not None and row[4] is not None:
        at = row[4] if row[4].tzinfo is not None else row[4].replace(tzinfo=UTC)
        passage = LastPassage(direction=Direction(row[3]), at=at)
    return _LiveState(
        data_version=None if row[0] is None else int(row[0]),
        replica_version=int(row[1]),
        threat_level=int(row[2]),
        last=passage,
    )


@dataclass(frozen=True, slots=True)
class _Presenter:
    """Who presented what, resolved from the (cached) decision inputs."""

    person_id: str | None
    person: PersonRecord | None
    credential: CredentialRecord | None
    appointment: Appointment | None
    pass_rejection: str | None


def _gate_inputs(*, session: Session, generation: Generation, gate_id: str) -> GateInputs | None:
    if gate_id in generation.gates:
        return generation.gates[gate_id]
    gate = session.get(Gate, gate_id)
    inputs = None
    if gate is not None:
        zone = session.get(Zone, gate.zone_id)
        assert zone is not None  # noqa: S101 (foreign key)
        inputs = GateInputs(site_id=gate.site_id, policy=gate_policy(gate), zone=zone_rules(zone))
    generation.gates[gate_id] = inputs
    return inputs


def _credential_inputs(
    *, session: Session, generation: Generation, kind: CredentialKind, ref: str
) -> CredentialInputs | None:
    key = (kind.value, ref)
    if key in generation.credentials:
        return generation.credentials[key]
    row = session.exec(
        select(Credential).where(Credential.kind == kind, Credential.ref == ref)
    ).first()
    inputs = (
        CredentialInputs(record=credential_record(row), person_id=row.person_id)
        if row is not None
        else None
    )
    generation.credentials[key] = inputs
    return inputs


def _person_inputs(
    *, session: Session, generation: Generation, person_id: str
) -> PersonInputs | None:
    if person_id in generation.people:
        return generation.people[person_id]
    record = load_person_records(session=session, person_ids=[person_id]).get(person_id)
    inputs = None
    if record is not None:
        person = session.get(Person, person_id)
        assert person is not None  # noqa: S101 (just loaded)
        inputs = PersonInputs(record=record, site_id=person.site_id)
    generation.people[person_id] = inputs
    return inputs


def preload_decision_inputs(
    cache: DecisionCache, generation: Generation, *, engine: Engine, chunk: int = 2000
) -> None:
    """Fill `generation` with every gate, credential and person, `chunk` people a round.

    Runs on the cache's preload thread, after the generation's version was read, so what
    it loads is at least that current; entries a request loaded meanwhile are kept. Stops
    as soon as the generation is no longer current.
    """
    with Session(engine) as session:
        for gate, zone in session.exec(
            select(Gate, Zone).join(Zone, col(Zone.id) == col(Gate.zone_id))
        ).all():
            generation.gates.setdefault(
                gate.id,
                GateInputs(site_id=gate.site_id, policy=gate_policy(gate), zone=zone_rules(zone)),
            )
        people = session.exec(select(Person.id, Person.site_id)).all()
        for start in range(0, len(people), chunk):
            if not cache.is_current(generation):
                return
            part = people[start : start + chunk]
            ids = [person_id for person_id, _ in part]
            records = load_person_records(session=session, person_ids=ids)
            for person_id, site_id in part:
                record = records.get(person_id)
                generation.people.setdefault(
                    person_id, PersonInputs(record=record, site_id=site_id) if record else None
                )
            for row in session.exec(
                select(Credential).where(col(Credential.person_id).in_(ids))
            ).all():
                generation.credentials.setdefault(
                    (CredentialKind(row.kind).value, row.ref),
                    CredentialInputs(record=credential_record(row), person_id=row.person_id),
                )
            session.expunge_all()
            session.rollback()  # one short read transaction per chunk


def _resolve_presenter(
    *,
    session: Session,
    settings: Settings,
    generation: Generation,
    gate_id: str,
    site_id: str,
    request: DecisionQuery,
    now: datetime,
) -> _Presenter:
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
                request.pass_token, keyring=_keyring(settings), gate_id=gate_id, now=now
            )
            if isinstance(verdict, PassRejected):
                pass_rejection = verdict.reason.value
                ref = verdict.claims.pass_id if verdict.claims else None
            else:
                ref = verdict.claims.pass_id
        if ref is not None:
            if kind is CredentialKind.QR_PASS:
                # Appointments (one-time use) are always read live, never cached.
                appointment = session.exec(
                    select(Appointment).where(Appointment.pass_id == ref)
                ).first()
            stored = _credential_inputs(session=session, generation=generation, kind=kind, ref=ref)
            if stored is not None:
                credential = stored.record
                person_id = stored.person_id
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
        found = _person_inputs(session=session, generation=generation, person_id=person_id)
        # People of another site are unknown here.
        if found is not None and found.site_id == site_id:
            person = found.record
    return _Presenter(person_id, person, credential, appointment, pass_rejection)


def decide_presentation(
    *,
    session: Session,
    settings: Settings,
    gate_id: str,
    request: DecisionQuery,
    cache: DecisionCache | None = None,
) -> DecisionAnswer:
    """Decide one presentation at `gate_id` over current data; commits what it consumed.

    Args:
        session: The request's session.
        settings: Pass keys.
        gate_id: The calling gate.
        request: The presentation.
        cache: The app's decision-input cache (None: everything is read from the database).
    """
    started = time.perf_counter()
    now = utc_now()
    cache = cache or DecisionCache()
    generation = cache.current()
    gate, presenter, live = _decision_inputs(
        session=session,
        settings=settings,
        generation=generation,
        gate_id=gate_id,
        request=request,
        now=now,
    )
    if live.data_version is None or live.data_version != generation.version:
        # The data changed since this process loaded it (or it never did): load again
        # under the version just read; what is loaded now is at least that current.
        generation = cache.generation(live.data_version)
        gate, presenter, live = _decision_inputs(
            session=session,
            settings=settings,
            generation=generation,
            gate_id=gate_id,
            request=request,
            now=now,
        )
    return _finish(
        session=session,
        gate=gate,
        presenter=presenter,
        live=live,
        request=request,
        now=now,
        started=started,
    )


def _decision_inputs(
    *,
    session: Session,
    settings: Settings,
    generation: Generation,
    gate_id: str,
    request: DecisionQuery,
    now: datetime,
) -> tuple[GateInputs, _Presenter, _LiveState]:
    gate = _gate_inputs(session=session, generation=generation, gate_id=gate_id)
    if gate is None:
        raise NotFoundError(f"gate {gate_id!r} not found")
    presenter = _resolve_presenter(
        session=session,
        settings=settings,
        generation=generation,
        gate_id=gate_id,
        site_id=gate.site_id,
        request=request,
        now=now,
    )
    live = read_live_state(
        session=session,
        site_id=gate.site_id,
        person_id=presenter.person.person_id if presenter.person is not None else None,
        zone_id=gate.zone.zone_id,
        before=now,
    )
    return gate, presenter, live


def _finish(
    *,
    session: Session,
    gate: GateInputs,
    presenter: _Presenter,
    live: _LiveState,
    request: DecisionQuery,
    now: datetime,
    started: float,
) -> DecisionAnswer:
    """Run `decide()`, consume a one-time pass, raise alarms, commit, answer."""
    gate_id, person_id, person = gate.policy.gate_id, presenter.person_id, presenter.person
    appointment = presenter.appointment
    face = request.face
    result = decide(
        DecisionRequest(
            gate=gate.policy,
            zone=gate.zone,
            direction=request.direction,
            credential_kind=request.credential_kind,
            credential=presenter.credential,
            person=person,
            appointment=appointment_record(appointment) if appointment is not None else None,
            last_passage=live.last,
            face=FaceEvidence(
                seen=face.seen,
                distance=face.distance,
                liveness_passed=face.liveness_passed,
                liveness_score=face.liveness_score,
            )
            if face is not None
            else None,
            pass_rejection=presenter.pass_rejection,
        ),
        DecisionContext(now=now, threat_level=live.threat_level),
    )
    decision, reason, detail = result.decision, result.reason, result.detail
    replica_version = live.replica_version
    if result.consume_appointment_id is not None:
        consumed = session.exec(
            update(Appointment)
            .where(
                col(Appointment.id) == result.consume_appointment_id,
                col(Appointment.used_at).is_(None),
            )
            .values(used_at=now, used_gate=gate_id)
        )
        if consumed.rowcount != 1:
            decision, reason, detail = Decision.DENIED, ReasonCode.PASS_ALREADY_USED, None
        else:
            replica_version = bump_replica(
                session=session, site_id=gate.site_id, person_id=person_id
            )
    for alarm in result.alarms:
        raise_alarm(
            session=session,
            site_id=gate.site_id,
            gate_id=gate_id,
            kind=alarm,
            person_id=person_id,
            detail=f"decision at {gate_id}: {describe_reason(reason, detail)}",
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
        replica_version=replica_version,
    )

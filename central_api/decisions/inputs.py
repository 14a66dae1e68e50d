"""The inputs of a central decision: the gate, the presenter, from the cache or the database.

Gates, credentials and people are read through the decision cache's current generation;
appointments (one-time use) and the live state are always read fresh.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from gate_protocol.api_models import DecisionQuery
from gate_protocol.messages import CredentialKind
from gate_protocol.passes.keys import PassKeyring
from gate_protocol.passes.token import PassRejected, verify_pass
from gate_protocol.records import CredentialRecord, PersonRecord
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.config import Settings
from central_api.decision_data.cache import (
    CredentialInputs,
    DecisionCache,
    GateInputs,
    GateKeyInputs,
    Generation,
    PersonInputs,
)
from central_api.decisions.live_state import (
    LiveState,
    read_host_presentations,
    read_live_state,
)
from central_api.errors import NotFoundError
from central_api.models import AgentKey, Appointment, Credential, Gate, Person, Zone
from central_api.replica.records import (
    at_site,
    credential_record,
    gate_policy,
    load_person_records,
    load_site_windows,
    zone_rules,
)

__all__ = [
    "CacheMiss",
    "Presenter",
    "cached_decision_inputs",
    "load_decision_inputs",
    "preload_decision_inputs",
    "resolve_presenter",
]


def _keyring(settings: Settings) -> PassKeyring:
    return PassKeyring.from_entries(settings.pass_key_entries())


@dataclass(frozen=True, slots=True)
class Presenter:
    """Who presented what, resolved from the (cached) decision inputs."""

    person_id: str | None
    person: PersonRecord | None
    credential: CredentialRecord | None
    appointment: Appointment | None
    pass_rejection: str | None


class CacheMiss(Exception):
    """Something the decision needs is not in the generation (and no session may read it)."""


def _require(session: Session | None) -> Session:
    if session is None:
        raise CacheMiss
    return session


def _gate_inputs(
    *, session: Session | None, generation: Generation, gate_id: str
) -> GateInputs | None:
    if gate_id in generation.gates:
        return generation.gates[gate_id]
    session = _require(session)
    gate = session.get(Gate, gate_id)
    inputs = None
    if gate is not None:
        zone = session.get(Zone, gate.zone_id)
        assert zone is not None  # noqa: S101 (foreign key)
        inputs = GateInputs(site_id=gate.site_id, policy=gate_policy(gate), zone=zone_rules(zone))
    generation.gates[gate_id] = inputs
    return inputs


def _credential_inputs(
    *, session: Session | None, generation: Generation, kind: CredentialKind, ref: str
) -> CredentialInputs | None:
    key = (kind.value, ref)
    if key in generation.credentials:
        return generation.credentials[key]
    session = _require(session)
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
    *, session: Session | None, generation: Generation, person_id: str
) -> PersonInputs | None:
    if person_id in generation.people:
        return generation.people[person_id]
    session = _require(session)
    record = load_person_records(session=session, person_ids=[person_id]).get(person_id)
    inputs = None
    if record is not None:
        sites = load_site_windows(session=session, person_ids=[person_id])
        inputs = PersonInputs(record=record, sites=sites.get(person_id, {}))
    generation.people[person_id] = inputs
    return inputs


def preload_decision_inputs(
    cache: DecisionCache, generation: Generation, *, engine: Engine, chunk: int = 2000
) -> None:
    """Fill `generation` with every gate, credential and person it lacks, `chunk` people a round.

    Runs on the cache's preload thread, after the generation's version was read, so what
    it loads is at least that current; entries a request loaded meanwhile are kept. Stops
    as soon as the generation is no longer current.
    """
    with Session(engine) as session:
        _preload_gates(session, generation)
        people = session.exec(select(Person.id)).all()
        for start in range(0, len(people), chunk):
            if not cache.is_current(generation):
                return
            # Entries a request loaded, or that a generation carried over, are kept.
            ids = [p for p in people[start : start + chunk] if p not in generation.people]
            if not ids:
                continue
            records = load_person_records(session=session, person_ids=ids)
            sites = load_site_windows(session=session, person_ids=ids)
            for person_id in ids:
                record = records.get(person_id)
                generation.people.setdefault(
                    person_id,
                    PersonInputs(record=record, sites=sites.get(person_id, {})) if record else None,
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
            cache.loaded_some()


def _preload_gates(session: Session, generation: Generation) -> None:
    """Every gate's inputs, and every unrevoked agent key's gate.

    The keys too: a key not in the generation sends its gate's first decision in each
    worker through the route and a worker thread (about 2,000 of them at 1,000 gates,
    each dearer than a warm decision). A revoked or rotated key bumps the data version
    (migration 0007), which drops this generation, keys and all.
    """
    for gate, zone in session.exec(
        select(Gate, Zone).join(Zone, col(Zone.id) == col(Gate.zone_id))
    ).all():
        generation.gates.setdefault(
            gate.id,
            GateInputs(site_id=gate.site_id, policy=gate_policy(gate), zone=zone_rules(zone)),
        )
    for key_hash, gate_id, site_id in session.exec(
        select(AgentKey.key_hash, Gate.id, Gate.site_id)
        .join(Gate, col(Gate.id) == col(AgentKey.gate_id))
        .where(col(AgentKey.revoked_at).is_(None))
    ).all():
        generation.gate_keys.setdefault(key_hash, GateKeyInputs(gate_id=gate_id, site_id=site_id))


def resolve_presenter(
    *,
    session: Session | None,
    settings: Settings,
    generation: Generation,
    gate_id: str,
    site_id: str,
    request: DecisionQuery,
    now: datetime,
) -> Presenter:
    """Who presented what at `gate_id`: verify a pass, find the credential and the person.

    People not active at `site_id` are unknown; the site's activation window narrows theirs.

    Raises:
        CacheMiss: `session` is None and something must be read (not in the generation,
            or an appointment: those are always read live).
    """
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
                appointment = (
                    _require(session)
                    .exec(select(Appointment).where(Appointment.pass_id == ref))
                    .first()
                )
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
        # People not active at this site are unknown here; its window narrows theirs.
        if found is not None and site_id in found.sites:
            person = at_site(found.record, found.sites[site_id])
    return Presenter(person_id, person, credential, appointment, pass_rejection)


def _gate_and_presenter(
    *,
    session: Session | None,
    settings: Settings,
    generation: Generation,
    gate_id: str,
    request: DecisionQuery,
    now: datetime,
) -> tuple[GateInputs, Presenter]:
    gate = _gate_inputs(session=session, generation=generation, gate_id=gate_id)
    if gate is None:
        raise NotFoundError(f"gate {gate_id!r} not found")
    presenter = resolve_presenter(
        session=session,
        settings=settings,
        generation=generation,
        gate_id=gate_id,
        site_id=gate.site_id,
        request=request,
        now=now,
    )
    return gate, presenter


def cached_decision_inputs(
    *,
    settings: Settings,
    generation: Generation,
    gate_id: str,
    request: DecisionQuery,
    now: datetime,
) -> tuple[GateInputs, Presenter] | None:
    """The gate and the presenter from `generation` alone; None when anything must be read.

    The live state is not included: the caller reads it (and checks its version).
    """
    try:
        return _gate_and_presenter(
            session=None,
            settings=settings,
            generation=generation,
            gate_id=gate_id,
            request=request,
            now=now,
        )
    except (CacheMiss, NotFoundError):
        return None


def load_decision_inputs(
    *,
    session: Session,
    settings: Settings,
    generation: Generation,
    gate_id: str,
    request: DecisionQuery,
    now: datetime,
) -> tuple[GateInputs, Presenter, LiveState]:
    """The gate, the presenter and the live state for one decision.

    Raises:
        NotFoundError: The gate does not exist.
    """
    gate, presenter = _gate_and_presenter(
        session=session,
        settings=settings,
        generation=generation,
        gate_id=gate_id,
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
    host = presenter.person.escort_host_id if presenter.person is not None else None
    if host is not None:
        recent = read_host_presentations(
            session=session,
            gate_id=gate.policy.gate_id,
            host_id=host,
            window_s=gate.policy.escort_window_s,
            now=now,
        )
        live = replace(live, recent=recent)
    return gate, presenter, live

"""Database rows -> the gate_protocol records that `decide()` and the replica use.

Everything here loads in bulk (a handful of queries for any number of people), so the
decision path and a 10,000-person replica share one code path.
"""

from collections import defaultdict
from collections.abc import Collection
from datetime import date

from gate_protocol.i18n.locales import lane_language
from gate_protocol.messages import CredentialKind
from gate_protocol.records import (
    AccessGrant,
    AntiPassback,
    AppointmentRecord,
    CompanyStanding,
    CompanyStatus,
    CompetencyHeld,
    CredentialRecord,
    GatePolicy,
    OfflinePolicy,
    PersonKind,
    PersonRecord,
    PersonStatus,
    WatchlistAction,
    ZoneRules,
)
from gate_protocol.schedule import Schedule as ScheduleRule
from gate_protocol.schedule import WeeklyWindow
from sqlmodel import Session, col, select

from central_api.models import (
    AccessGroup,
    AccessGroupZone,
    ActivationStatus,
    Appointment,
    Company,
    Credential,
    Gate,
    Holiday,
    Person,
    PersonAccessGroup,
    PersonCompetency,
    Schedule,
    Site,
    SiteActivation,
    SiteWindow,
    Visitor,
    VisitorStatus,
    WatchlistEntry,
    Zone,
)
from central_api.replica.bans import ban_records
from central_api.replica.id_lists import many_ids

__all__ = [
    "at_site",
    "load_site_windows",
    "appointment_record",
    "credential_record",
    "gate_policy",
    "load_person_records",
    "load_schedules",
    "zone_rules",
]


def gate_policy(gate: Gate) -> GatePolicy:
    """The gate's policy record."""
    return GatePolicy(
        gate_id=gate.id,
        zone_id=gate.zone_id,
        face_required=gate.face_required,
        liveness_required=gate.liveness_required,
        verify_threshold=gate.verify_threshold,
        identify_threshold=gate.identify_threshold,
        offline_policy=OfflinePolicy(gate.offline_policy),
        replica_max_age_s=gate.replica_max_age_s,
        face_required_from_threat=gate.face_required_from_threat,
        face_identification=gate.face_identification,
        escort_window_s=gate.escort_window_s,
    )


def zone_rules(zone: Zone) -> ZoneRules:
    """The zone's rules record."""
    return ZoneRules(
        zone_id=zone.id,
        anti_passback=AntiPassback(zone.anti_passback),
        apb_timeout_s=zone.apb_timeout_s,
        required_competencies=tuple(zone.required_competencies),
    )


def appointment_record(appointment: Appointment) -> AppointmentRecord:
    """A truck appointment row as the decision and the replica see it."""
    return AppointmentRecord(
        appointment_id=appointment.id,
        person_id=appointment.person_id,
        pass_id=appointment.pass_id,
        gates=frozenset(appointment.gates),
        window_start=appointment.window_start,
        window_end=appointment.window_end,
        plate=appointment.plate,
        one_time=appointment.one_time,
        used=appointment.used_at is not None,
        language=lane_language(appointment.language) if appointment.language else None,
    )


def credential_record(credential: Credential) -> CredentialRecord:
    """A credential row as the decision sees it."""
    return CredentialRecord(
        kind=CredentialKind(credential.kind),
        ref=credential.ref,
        person_id=credential.person_id,
        valid_from=credential.valid_from,
        valid_until=credential.valid_until,
        revoked=credential.revoked_at is not None,
    )


def load_schedules(
    *, session: Session, schedule_ids: Collection[str], site_zone: str = "UTC"
) -> dict[str, ScheduleRule]:
    """The schedules with these ids, holidays included.

    A schedule without a zone of its own is evaluated in `site_zone`: the zone of the
    site whose access group uses it (docs/api.md, "Time zones").
    """
    rows = _schedule_rows(session=session, schedule_ids=schedule_ids)
    return {sid: _rule(row, holidays, site_zone) for sid, (row, holidays) in rows.items()}


def _schedule_rows(
    *, session: Session, schedule_ids: Collection[str]
) -> dict[str, tuple[Schedule, frozenset[date]]]:
    if not schedule_ids:
        return {}
    rows = session.exec(select(Schedule).where(col(Schedule.id).in_(schedule_ids))).all()
    holidays: dict[str, set[date]] = defaultdict(set)
    for holiday in session.exec(
        select(Holiday).where(col(Holiday.schedule_id).in_(schedule_ids))
    ).all():
        holidays[holiday.schedule_id].add(holiday.day)
    return {row.id: (row, frozenset(holidays[row.id])) for row in rows}


def _rule(row: Schedule, holidays: frozenset[date], site_zone: str) -> ScheduleRule:
    return ScheduleRule(
        schedule_id=row.id,
        timezone=row.timezone or site_zone,
        windows=tuple(WeeklyWindow.model_validate(w) for w in row.windows),
        holidays=holidays,
        holidays_allowed=row.holidays_allowed,
    )


def load_site_windows(
    *, session: Session, person_ids: Collection[str], site_id: str | None = None
) -> dict[str, dict[str, SiteWindow]]:
    """Where each of these people is active (activation status active), with its window.

    Args:
        session: Read with it (callers lift the site scope where they need every site).
        person_ids: The people.
        site_id: Only this site's activations; None: every site's.
    """
    ids = list(person_ids)
    if not ids:
        return {}
    statement = select(SiteActivation).where(
        col(SiteActivation.person_id).in_(many_ids(ids)),
        SiteActivation.status == ActivationStatus.ACTIVE,
    )
    if site_id is not None:
        statement = statement.where(SiteActivation.site_id == site_id)
    windows: dict[str, dict[str, SiteWindow]] = defaultdict(dict)
    for row in session.exec(statement).all():
        windows[row.person_id][row.site_id] = (row.valid_from, row.valid_until)
    return dict(windows)


def at_site(record: PersonRecord, window: SiteWindow) -> PersonRecord:
    """The person's record as one site's gates see it: valid only inside both windows."""
    start, end = window
    starts = [t for t in (record.valid_from, start) if t is not None]
    ends = [t for t in (record.valid_until, end) if t is not None]
    valid_from = max(starts) if starts else None
    valid_until = min(ends) if ends else None
    if (valid_from, valid_until) == (record.valid_from, record.valid_until):
        return record
    return record.model_copy(update={"valid_from": valid_from, "valid_until": valid_until})


def load_person_records(
    *, session: Session, person_ids: Collection[str]
) -> dict[str, PersonRecord]:
    """The decision records of these people, by id (missing ids are left out)."""
    ids = list(person_ids)
    if not ids:
        return {}
    people = session.exec(select(Person).where(col(Person.id).in_(many_ids(ids)))).all()
    companies = _company_standings(
        session=session, company_ids={p.company_id for p in people if p.company_id is not None}
    )
    grants = _load_grants(session=session, person_ids=ids)
    competencies: dict[str, list[CompetencyHeld]] = defaultdict(list)
    for row in session.exec(
        select(PersonCompetency).where(col(PersonCompetency.person_id).in_(many_ids(ids)))
    ).all():
        competencies[row.person_id].append(
            CompetencyHeld(name=row.name, valid_until=row.valid_until)
        )
    watch: dict[str, WatchlistAction] = {}
    for entry in session.exec(
        select(WatchlistEntry).where(
            col(WatchlistEntry.person_id).in_(many_ids(ids)), col(WatchlistEntry.active).is_(True)
        )
    ).all():
        action = WatchlistAction(entry.action)
        if watch.get(entry.person_id) is not WatchlistAction.DENY:
            watch[entry.person_id] = action
    hosts = _escort_hosts(session=session, person_ids=ids)
    bans = ban_records(session=session, person_ids=ids)
    return {
        person.id: PersonRecord(
            person_id=person.id,
            kind=PersonKind(person.kind),
            status=PersonStatus(person.status),
            valid_from=person.valid_from,
            valid_until=person.valid_until,
            grants=grants.get(person.id, ()),
            competencies=tuple(sorted(competencies[person.id], key=lambda c: c.name)),
            watchlist=watch.get(person.id),
            escort_host_id=hosts.get(person.id),
            company=companies.get(person.company_id) if person.company_id is not None else None,
            port_bans=bans.get(person.id, ()),
            first_name=_first_name(person.display_name),
            language=lane_language(person.preferred_language),
        )
        for person in people
    }


def _load_grants(
    *, session: Session, person_ids: Collection[str]
) -> dict[str, tuple[AccessGrant, ...]]:
    """Each person's zone grants; a schedule without a zone is in its group's site's zone."""
    grant_rows = session.exec(
        select(
            PersonAccessGroup.person_id,
            AccessGroupZone.zone_id,
            AccessGroup.schedule_id,
            Site.timezone,
        )
        .join(AccessGroup, col(AccessGroup.id) == col(PersonAccessGroup.group_id))
        .join(AccessGroupZone, col(AccessGroupZone.group_id) == col(AccessGroup.id))
        .join(Site, col(Site.id) == col(AccessGroup.site_id))
        .where(col(PersonAccessGroup.person_id).in_(many_ids(person_ids)))
    ).all()
    rows = _schedule_rows(
        session=session, schedule_ids={sid for _, _, sid, _ in grant_rows if sid is not None}
    )
    rules: dict[tuple[str, str], ScheduleRule] = {}
    grants: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for person_id, zone_id, sid, site_zone in grant_rows:
        if sid is not None and sid in rows and (sid, site_zone) not in rules:
            rules[(sid, site_zone)] = _rule(*rows[sid], site_zone)
        grants[person_id].add((zone_id, sid or "", site_zone))
    return {
        person_id: tuple(
            AccessGrant(zone_id=zone_id, schedule=rules.get((sid, site_zone)) if sid else None)
            for zone_id, sid, site_zone in sorted(held)
        )
        for person_id, held in grants.items()
    }


def _escort_hosts(*, session: Session, person_ids: Collection[str]) -> dict[str, str]:
    """Visitors who pass only escorted, by person id: their host's person id."""
    rows = session.exec(
        select(Visitor.person_id, Visitor.host_person_id).where(
            col(Visitor.person_id).in_(many_ids(person_ids)),
            col(Visitor.escort_required).is_(True),
            col(Visitor.status) == VisitorStatus.ACTIVE,
        )
    ).all()
    return dict(rows)


def _company_standings(
    *, session: Session, company_ids: Collection[int]
) -> dict[int, CompanyStanding]:
    if not company_ids:
        return {}
    rows = session.exec(select(Company).where(col(Company.id).in_(list(company_ids)))).all()
    return {
        row.id: CompanyStanding(name=row.name, status=CompanyStatus(row.status))
        for row in rows
        if row.id is not None
    }


def _first_name(display_name: str) -> str | None:
    """The first given name of a full name, all a lane display may show (issue 26)."""
    parts = display_name.split()
    return parts[0][:40] if parts else None

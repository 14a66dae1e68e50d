"""Rules: schedules, access groups, appointments and watchlist entries."""

from gate_protocol.passes.token import new_pass_id
from gate_protocol.records import WatchlistAction
from gate_protocol.schedule import Schedule as ScheduleRule
from sqlmodel import Session, select

from central_api.audit.privacy import keyed_hash
from central_api.crud.audited import Resync, commit_audited
from central_api.crud.people import get_person
from central_api.crud.sites import get_site
from central_api.errors import ConflictError, InvalidError, NotFoundError
from central_api.insider.appointments import check_appointment
from central_api.insider.rules import InsiderRules
from central_api.models import (
    AccessGroup,
    AccessGroupCreate,
    AccessGroupZone,
    Appointment,
    AppointmentCreate,
    Company,
    Gate,
    Holiday,
    Schedule,
    ScheduleCreate,
    SiteActivation,
    WatchlistEntry,
    WatchlistEntryCreate,
    Zone,
)
from central_api.replica.watchlist import bump_watchlist

__all__ = [
    "add_watchlist_entry",
    "create_access_group",
    "create_appointment",
    "create_schedule",
]


def create_schedule(*, session: Session, schedule_create: ScheduleCreate, actor: str) -> Schedule:
    """Create a weekly schedule with its holidays (audited)."""
    try:
        ScheduleRule(
            schedule_id=schedule_create.id,
            timezone=schedule_create.timezone or "UTC",  # only the windows are checked here
            windows=tuple(schedule_create.windows),
        )
    except ValueError as exc:
        raise InvalidError(f"schedule: {exc}") from None
    if session.get(Schedule, schedule_create.id) is not None:
        raise ConflictError(f"schedule {schedule_create.id!r} exists")
    schedule = Schedule(
        id=schedule_create.id,
        name=schedule_create.name,
        timezone=schedule_create.timezone,
        windows=[w.model_dump(mode="json") for w in schedule_create.windows],
        holidays_allowed=schedule_create.holidays_allowed,
    )
    session.add(schedule)
    session.flush()  # before the holidays that refer to it
    holidays = [
        Holiday(schedule_id=schedule.id, day=day) for day in sorted(set(schedule_create.holidays))
    ]
    commit_audited(
        session,
        actor=actor,
        action="schedule.create",
        target=f"schedule:{schedule.id}",
        after=schedule_create.model_dump(mode="json"),
        rows=holidays,
    )
    return schedule


def create_access_group(
    *, session: Session, group_create: AccessGroupCreate, actor: str
) -> AccessGroup:
    """Create an access group over zones of one site (audited)."""
    get_site(session=session, site_id=group_create.site_id)
    if group_create.schedule_id and session.get(Schedule, group_create.schedule_id) is None:
        raise NotFoundError(f"schedule {group_create.schedule_id!r} not found")
    for zone_id in group_create.zone_ids:
        zone = session.get(Zone, zone_id)
        if zone is None or zone.site_id != group_create.site_id:
            raise NotFoundError(f"zone {zone_id!r} not found in this site")
    group = AccessGroup(
        name=group_create.name, site_id=group_create.site_id, schedule_id=group_create.schedule_id
    )
    session.add(group)
    session.flush()
    assert group.id is not None  # noqa: S101 (flushed)
    zones = [
        AccessGroupZone(group_id=group.id, zone_id=z) for z in sorted(set(group_create.zone_ids))
    ]
    commit_audited(
        session,
        actor=actor,
        action="access_group.create",
        target=f"access_group:{group.id}",
        after=group_create.model_dump(mode="json"),
        rows=zones,
    )
    return group


def _appointment_site(*, session: Session, person_id: str, gates: list[str]) -> str:
    """The one site of the visit's gates, where the driver must be activated."""
    sites: set[str] = set()
    for gate_id in gates:
        gate = session.get(Gate, gate_id)
        active = (
            gate is not None
            and session.exec(
                select(SiteActivation.id).where(
                    SiteActivation.person_id == person_id, SiteActivation.site_id == gate.site_id
                )
            ).first()
        )
        if gate is None or not active:
            raise NotFoundError(f"gate {gate_id!r} not found at a site of the driver")
        sites.add(gate.site_id)
    if len(sites) != 1:
        raise InvalidError("the gates of one visit are at one site")
    return sites.pop()


def create_appointment(
    *, session: Session, appointment_create: AppointmentCreate, actor: str
) -> Appointment:
    """Book a truck visit with a fresh one-time pass id (audited; the gates learn it)."""
    person = get_person(session=session, person_id=appointment_create.person_id)
    if appointment_create.window_end <= appointment_create.window_start:
        raise InvalidError("window_end must be after window_start")
    site_id = _appointment_site(
        session=session, person_id=person.id, gates=appointment_create.gates
    )
    company_id = appointment_create.company_id
    if company_id is not None and session.get(Company, company_id) is None:
        raise NotFoundError(f"company {company_id} not found")
    appointment = Appointment.model_validate(
        appointment_create,
        update={"id": new_pass_id(), "site_id": site_id, "pass_id": new_pass_id()},
    )
    session.add(appointment)
    check_appointment(session=session, appointment=appointment, actor=actor, rules=InsiderRules())
    commit_audited(
        session,
        actor=actor,
        action="appointment.create",
        target=f"appointment:{appointment.id}",
        after={
            **appointment.model_dump(mode="json"),
            "plate": keyed_hash(appointment.plate),
        },
        rows=[appointment],
        resync=Resync(site_id, person.id),
    )
    return appointment


def add_watchlist_entry(
    *, session: Session, entry_create: WatchlistEntryCreate, actor: str
) -> WatchlistEntry:
    """Put a person on the watchlist (audited; gates learn it at once)."""
    person = get_person(session=session, person_id=entry_create.person_id)
    for old in session.exec(
        select(WatchlistEntry).where(
            WatchlistEntry.person_id == person.id,
            WatchlistEntry.active == True,  # noqa: E712
        )
    ).all():
        old.active = False
        session.add(old)
    entry = WatchlistEntry.model_validate(entry_create)
    if entry.action == WatchlistAction.DENY:
        # Their face joins the port-wide gallery: every site's gates must fetch it.
        bump_watchlist(session=session, reason="person flagged")
    commit_audited(
        session,
        actor=actor,
        action="watchlist.add",
        target=f"person:{person.id}",
        after={"action": str(entry.action), "reason": keyed_hash(entry.reason or None)},
        rows=[entry],
        resync=Resync(person.site_id, person.id),
    )
    return entry

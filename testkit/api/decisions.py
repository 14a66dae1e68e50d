"""People and rules for the decision, replica and insider tests."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from central_api.crud.people import add_competency, add_credential, add_to_group, create_person
from central_api.crud.rules import create_access_group, create_appointment, create_schedule
from central_api.models import (
    AccessGroupCreate,
    AppointmentCreate,
    CredentialCreate,
    PersonCompetencyCreate,
    PersonCreate,
    ScheduleCreate,
)
from gate_protocol.messages import BadgeFormat, CredentialKind
from gate_protocol.records import PersonKind
from gate_protocol.schedule import WeeklyWindow
from testkit.api.world import World

FACE_OK = {"seen": True, "distance": 0.3, "liveness_passed": True, "liveness_score": 0.9}


def enroll(
    engine: Engine,
    world: World,
    *,
    badge: str,
    kind: PersonKind = PersonKind.STAFF,
    zone: str | None = None,
    schedule: str | None = None,
    site: str | None = None,
) -> str:
    """A person with a badge and an access group on the world's zone; returns the id."""
    with Session(engine, expire_on_commit=False) as session:
        person = create_person(
            session=session,
            person_create=PersonCreate(
                display_name=f"Person {badge}", kind=kind, site_id=site or world.site
            ),
            actor="test",
        )
        group = create_access_group(
            session=session,
            group_create=AccessGroupCreate(
                name=f"g-{badge}",
                site_id=site or world.site,
                schedule_id=schedule,
                zone_ids=[zone or world.zone],
            ),
            actor="test",
        )
        assert group.id is not None
        add_to_group(session=session, person_id=person.id, group_id=group.id, actor="test")
        add_credential(
            session=session,
            person_id=person.id,
            credential_create=CredentialCreate(
                kind=CredentialKind.BADGE, ref=badge, badge_format=_format_of(badge)
            ),
            actor="test",
        )
        return person.id


def _format_of(badge: str) -> BadgeFormat:
    # A Wiegand reader sends the card number in decimal; the tests' hex badges are raw reads.
    return BadgeFormat.WIEGAND26 if badge.isdecimal() else BadgeFormat.RAW


def night_schedule(engine: Engine) -> str:
    """A schedule that never covers the present hour (a 1-minute window 12 hours away)."""
    now = datetime.now(UTC)
    start = (now + timedelta(hours=12)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=12, minutes=1)).time().replace(second=0, microsecond=0)
    with Session(engine) as session:
        create_schedule(
            session=session,
            schedule_create=ScheduleCreate(
                id="night",
                name="night",
                windows=[WeeklyWindow(weekdays=frozenset(range(7)), start=start, end=end)],
            ),
            actor="test",
        )
    return "night"


def give_competency(engine: Engine, person_id: str, name: str, until: datetime) -> None:
    """Give the person the competency `name`, valid until `until`."""
    with Session(engine) as session:
        add_competency(
            session=session,
            person_id=person_id,
            competency=PersonCompetencyCreate(name=name, valid_until=until),
            actor="test",
        )


def book(engine: Engine, world: World, person_id: str, gates: list[str]) -> tuple[str, str]:
    """A one-time appointment now; returns (appointment id, pass id)."""
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        appointment = create_appointment(
            session=session,
            appointment_create=AppointmentCreate(
                person_id=person_id,
                plate="AB-123-C",
                gates=gates,
                window_start=now - timedelta(hours=1),
                window_end=now + timedelta(hours=1),
            ),
            actor="test",
        )
    assert appointment.pass_id is not None
    return appointment.id, appointment.pass_id


def query(badge: str | None = None, **fields: object) -> dict[str, object]:
    """A decision query body (a badge when given, a good face), with `fields` over it."""
    body: dict[str, object] = {
        "request_id": "r-1",
        "direction": "entry",
        "credential_kind": "badge",
        "occurred_at": datetime.now(UTC).isoformat(),
        "face": FACE_OK,
    }
    if badge is not None:
        body["badge_number"] = badge
    body.update(fields)
    return body

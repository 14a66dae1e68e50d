"""Schedules and access groups (admins), appointments and watchlist (security desk)."""

from fastapi import APIRouter
from pydantic import BaseModel

from central_api.crud import rules as crud
from central_api.deps import SessionDep
from central_api.errors import NotFoundError
from central_api.models import (
    AccessGroupCreate,
    Appointment,
    AppointmentCreate,
    AppointmentPublic,
    ScheduleCreate,
    WatchlistEntryCreate,
)
from central_api.routes.params import IdPath
from central_api.security.auth import AdminUser, DeskUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["rules"])


class Created(BaseModel):
    """The id of what was created."""

    id: str


@router.post("/schedules", response_model=Created, status_code=201)
def create_schedule(body: ScheduleCreate, session: SessionDep, admin: AdminUser) -> Created:
    """Add a weekly schedule with holidays."""
    return Created(
        id=crud.create_schedule(session=session, schedule_create=body, actor=admin.actor).id
    )


@router.post("/access-groups", response_model=Created, status_code=201)
def create_access_group(body: AccessGroupCreate, session: SessionDep, admin: AdminUser) -> Created:
    """Add an access group (zones on a schedule)."""
    group = crud.create_access_group(session=session, group_create=body, actor=admin.actor)
    return Created(id=str(group.id))


@router.post("/appointments", response_model=AppointmentPublic, status_code=201)
def create_appointment(body: AppointmentCreate, session: SessionDep, desk: DeskUser) -> Appointment:
    """Book a truck visit; the answer holds its one-time pass id."""
    return crud.create_appointment(session=session, appointment_create=body, actor=desk.actor)


@router.get("/appointments/{appointment_id}", response_model=AppointmentPublic)
def get_appointment(appointment_id: IdPath, session: SessionDep, desk: DeskUser) -> Appointment:
    """One appointment (whether its pass was used, and where)."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFoundError(f"appointment {appointment_id!r} not found")
    return appointment


@router.post("/watchlist", response_model=Created, status_code=201)
def add_watchlist_entry(body: WatchlistEntryCreate, session: SessionDep, desk: DeskUser) -> Created:
    """Put a person on the watchlist (alert only, or deny)."""
    entry = crud.add_watchlist_entry(session=session, entry_create=body, actor=desk.actor)
    return Created(id=str(entry.id))

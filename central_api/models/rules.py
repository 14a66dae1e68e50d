"""Access rules: schedules and holidays, access groups, appointments, watchlists."""

from datetime import date, datetime
from typing import Annotated

from gate_protocol.i18n.locales import LaneLanguage
from gate_protocol.ids import Id
from gate_protocol.records import WatchlistAction
from gate_protocol.schedule import TimeZoneName, WeeklyWindow
from pydantic import StringConstraints
from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import NameStr, TextStr, enum_column, time_field

PlateStr = Annotated[
    str, StringConstraints(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9 -]+$")
]
ContainerStr = Annotated[
    str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9-]+$")
]

__all__ = [
    "AccessGroup",
    "AccessGroupCreate",
    "AccessGroupZone",
    "Appointment",
    "AppointmentCreate",
    "AppointmentPublic",
    "Holiday",
    "PersonAccessGroup",
    "Schedule",
    "ScheduleCreate",
    "WatchlistEntry",
    "WatchlistEntryCreate",
]


class ScheduleCreate(SQLModel):
    """Weekly windows in a time zone, e.g. weekdays [0..4] from 06:00 to 18:00."""

    id: Id
    name: NameStr = Field(max_length=120)
    # None: the zone of the site whose access group uses the schedule (the usual case).
    timezone: TimeZoneName | None = Field(default=None, max_length=64)
    windows: list[WeeklyWindow] = Field(default_factory=list, max_length=64)
    holidays: list[date] = Field(default_factory=list, max_length=366)
    holidays_allowed: bool = False


class Schedule(SQLModel, table=True):
    """A schedule row; `windows` holds gate_protocol.schedule.WeeklyWindow JSON dumps."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=120)
    # None: evaluated in the zone of the site of each access group that uses it.
    timezone: str | None = Field(default=None, max_length=64)
    windows: list[dict[str, object]] = Field(default_factory=list, sa_type=JSON)
    holidays_allowed: bool = False


class Holiday(SQLModel, table=True):
    """A day on which a schedule grants nothing (unless it allows holidays)."""

    __table_args__ = (UniqueConstraint("schedule_id", "day", name="uq_holiday"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: str = Field(foreign_key="schedule.id", index=True, max_length=64)
    day: date
    name: str = Field(default="", max_length=120)


class AccessGroupCreate(SQLModel):
    """Zones on one schedule (no schedule: at any time)."""

    name: NameStr = Field(max_length=120)
    site_id: Id
    schedule_id: Id | None = None
    zone_ids: list[Id] = Field(default_factory=list, max_length=256)


class AccessGroup(SQLModel, table=True):
    """An access group row."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    site_id: str = Field(foreign_key="site.id", index=True, max_length=64)
    schedule_id: str | None = Field(default=None, foreign_key="schedule.id", max_length=64)


class AccessGroupZone(SQLModel, table=True):
    """A zone in an access group."""

    group_id: int = Field(foreign_key="accessgroup.id", primary_key=True)
    zone_id: str = Field(foreign_key="zone.id", primary_key=True, max_length=64)


class PersonAccessGroup(SQLModel, table=True):
    """A person's membership of an access group."""

    person_id: str = Field(foreign_key="person.id", primary_key=True, max_length=64)
    group_id: int = Field(foreign_key="accessgroup.id", primary_key=True)


class AppointmentCreate(SQLModel):
    """A truck visit: driver, plate, container, gates and a time window."""

    person_id: Id
    plate: PlateStr | None = Field(default=None, schema_extra={"examples": ["BX-482-K"]})
    container_ref: ContainerStr | None = None
    company_id: int | None = Field(
        default=None, description="The haulier company the driver works for on this visit."
    )
    gates: list[Id] = Field(min_length=1, max_length=64, sa_type=JSON)
    window_start: datetime
    window_end: datetime
    one_time: bool = True
    language: LaneLanguage | None = Field(
        default=None,
        description="The pass's own language on the lane display (None: the driver's).",
    )


class Appointment(SQLModel, table=True):
    """An appointment row; `pass_id` is the one-time QR pass id, consumed via `used_at`."""

    # The insider check "one plate, many drivers in a day" looks plates up by day.
    __table_args__ = (Index("ix_appointment_plate_window", "plate", "window_start"),)

    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(foreign_key="site.id", index=True, max_length=64)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    plate: str | None = Field(default=None, max_length=16)
    container_ref: str | None = Field(default=None, max_length=20)
    # The haulier on this visit (a driver may drive for several): insider patterns use it.
    company_id: int | None = Field(default=None, foreign_key="company.id")
    gates: list[str] = Field(default_factory=list, sa_type=JSON)
    window_start: datetime = time_field()
    window_end: datetime = time_field()
    one_time: bool = True
    pass_id: str | None = Field(default=None, max_length=64, unique=True)
    used_at: datetime | None = time_field(default=None)
    used_gate: str | None = Field(default=None, max_length=64)
    created_at: datetime = time_field(default_factory=utc_now)
    # The language the lane display speaks to whoever presents this visit's pass (issue 26.2).
    language: str | None = Field(default=None, max_length=8)


class AppointmentPublic(SQLModel):
    """An appointment as the API shows it."""

    id: str
    site_id: str
    person_id: str
    plate: str | None
    container_ref: str | None
    company_id: int | None
    gates: list[str]
    window_start: datetime
    window_end: datetime
    one_time: bool
    pass_id: str | None
    used_at: datetime | None
    language: str | None = None


class WatchlistEntryCreate(SQLModel):
    """Put a person on the watchlist."""

    person_id: Id
    action: WatchlistAction = WatchlistAction.ALERT
    reason: TextStr = ""


class WatchlistEntry(SQLModel, table=True):
    """A watchlist row; inactive rows are kept for the record."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    action: WatchlistAction = enum_column(WatchlistAction, default=WatchlistAction.ALERT)
    reason: str = Field(default="", max_length=500)
    active: bool = True
    created_at: datetime = time_field(default_factory=utc_now)

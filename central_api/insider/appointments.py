"""Insider patterns in appointment bookings: plates, hauliers and the hour of booking.

Run on each new appointment before its transaction commits: one plate booked for many
drivers in a day (a truck lent around, or a plate on a fake truck), one driver booked for
many haulier companies within days (a driver hired by front companies), and appointments
created at odd local hours (bookings slipped in when nobody watches). Each alarm names
the plate, the driver, the companies or the user, and is raised once (`once`).
"""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from central_api.insider.once import raise_once
from central_api.insider.rules import InsiderRules, site_rules
from central_api.models import Appointment, Company, Site

__all__ = ["check_appointment", "most_distinct_within"]

# Keys already alarmed stay quiet this long; their dates are part of the key anyway.
_PLATE_DEDUP = timedelta(days=400)


def check_appointment(
    *, session: Session, appointment: Appointment, actor: str, rules: InsiderRules
) -> int:
    """Run the booking patterns on a new appointment (added to `session`, not committed).

    `rules` are the defaults; the appointment's site may override any of them. Returns how
    many alarms were raised.
    """
    rules = site_rules(session=session, site_id=appointment.site_id, base=rules)
    zone = _site_zone(session, appointment.site_id)
    session.flush()
    raised = 0
    if appointment.plate:
        raised += _check_plate(session=session, appointment=appointment, rules=rules, zone=zone)
    if appointment.company_id is not None:
        raised += _check_companies(session=session, appointment=appointment, rules=rules)
    raised += _check_odd_hour(
        session=session, appointment=appointment, actor=actor, rules=rules, zone=zone
    )
    return raised


def most_distinct_within(
    points: Sequence[tuple[datetime, str]], *, anchor: datetime, width: timedelta
) -> set[str]:
    """The most distinct keys among `points` in any window of `width` that holds `anchor`."""
    best: set[str] = set()
    for start, _ in points:
        if not anchor - width < start <= anchor:
            continue
        keys = {key for at, key in points if start <= at < start + width}
        if len(keys) > len(best):
            best = keys
    return best


def _site_zone(session: Session, site_id: str) -> ZoneInfo:
    site = session.get(Site, site_id)
    try:
        return ZoneInfo(site.timezone if site is not None else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local_day_bounds(at: datetime, zone: ZoneInfo) -> tuple[date, datetime, datetime]:
    day = at.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone)
    return day, start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def _check_plate(
    *, session: Session, appointment: Appointment, rules: InsiderRules, zone: ZoneInfo
) -> int:
    day, start, end = _local_day_bounds(appointment.window_start, zone)
    drivers = session.exec(
        select(Appointment.person_id)
        .where(
            Appointment.site_id == appointment.site_id,
            Appointment.plate == appointment.plate,
            col(Appointment.window_start) >= start,
            col(Appointment.window_start) < end,
        )
        .distinct()
    ).all()
    if len(drivers) < rules.plate_drivers_per_day:
        return 0
    return raise_once(
        session=session,
        site_id=appointment.site_id,
        gate_id=appointment.gates[0] if appointment.gates else None,
        key=f"plate {appointment.plate} booked for several drivers on {day.isoformat()}: ",
        since=appointment.created_at - _PLATE_DEDUP,
        detail=f"{len(drivers)} different drivers ({', '.join(sorted(drivers))}); "
        f"threshold {rules.plate_drivers_per_day} a day (lent truck or cloned plate?)",
    )


def _check_companies(*, session: Session, appointment: Appointment, rules: InsiderRules) -> int:
    width = timedelta(days=rules.driver_companies_window_days)
    anchor = appointment.window_start
    rows = session.exec(
        select(Appointment.window_start, Appointment.company_id).where(
            Appointment.person_id == appointment.person_id,
            col(Appointment.company_id).is_not(None),
            col(Appointment.window_start) > anchor - width,
            col(Appointment.window_start) < anchor + width,
        )
    ).all()
    points = [(at, str(company)) for at, company in rows]
    companies = most_distinct_within(points, anchor=anchor, width=width)
    if len(companies) < rules.driver_companies:
        return 0
    names = session.exec(
        select(Company.name).where(col(Company.id).in_([int(c) for c in companies]))
    ).all()
    return raise_once(
        session=session,
        site_id=appointment.site_id,
        person_id=appointment.person_id,
        key=f"driver {appointment.person_id} booked for several haulier companies: ",
        since=appointment.created_at - width,
        detail=f"{len(companies)} companies within {rules.driver_companies_window_days} days "
        f"({', '.join(sorted(names))}); threshold {rules.driver_companies}",
    )


def _check_odd_hour(
    *,
    session: Session,
    appointment: Appointment,
    actor: str,
    rules: InsiderRules,
    zone: ZoneInfo,
) -> int:
    local = appointment.created_at.astimezone(zone)
    if not rules.is_odd_hour(local.hour):
        return 0
    # One alarm per user and night: the night is named by the date its band began.
    night = local.date()
    if rules.odd_hours_start > rules.odd_hours_end and local.hour < rules.odd_hours_end:
        night -= timedelta(days=1)
    return raise_once(
        session=session,
        site_id=appointment.site_id,
        person_id=appointment.person_id,
        key=f"appointments created at odd hours by {actor} (night of {night.isoformat()}): ",
        since=appointment.created_at - timedelta(days=2),
        detail=f"first: appointment {appointment.id} for driver {appointment.person_id}"
        f"{' plate ' + appointment.plate if appointment.plate else ''} created at "
        f"{local:%H:%M} local time (odd hours {rules.odd_hours_start:02d}:00-"
        f"{rules.odd_hours_end:02d}:00)",
    )

"""Rogue-company pattern on stored events: one company's one-time passes used again.

A one-time pass presented after it was used (`pass_already_used`) is one driver's slip; the
same from many drivers of one haulier within hours is a company handing passes around.
A driver's company on such a denial is the haulier named on the pass's appointment, else
the company the person is enrolled with. Queries about companies stay in this module.
"""

from datetime import timedelta

from gate_protocol.reasons import ReasonCode
from sqlalchemy import func
from sqlmodel import Session, col, select

from central_api.insider.once import raise_once
from central_api.insider.rules import InsiderRules
from central_api.models import AccessEventRecord, Appointment, Company, Person

__all__ = ["check_pass_reuse", "event_company"]


def event_company(*, session: Session, event: AccessEventRecord) -> Company | None:
    """The haulier of an event's driver: the pass's appointment's, else the person's."""
    company_id: int | None = None
    if event.credential_ref:
        company_id = session.exec(
            select(Appointment.company_id).where(Appointment.pass_id == event.credential_ref)
        ).first()
    if company_id is None and event.person_id:
        person = session.get(Person, event.person_id)
        company_id = person.company_id if person is not None else None
    return session.get(Company, company_id) if company_id is not None else None


def check_pass_reuse(*, session: Session, event: AccessEventRecord, rules: InsiderRules) -> int:
    """Alarm once when a company's drivers reach the threshold of reused one-time passes.

    `event` is a newly stored `pass_already_used` denial; `rules` are the site's.
    """
    company = event_company(session=session, event=event)
    if company is None or company.id is None:
        return 0
    window = timedelta(hours=rules.pass_reuse_window_hours)
    since = event.occurred_at - window
    pass_company = (
        select(Appointment.company_id)
        .where(Appointment.pass_id == AccessEventRecord.credential_ref)
        .limit(1)
        .scalar_subquery()
    )
    person_company = (
        select(Person.company_id).where(Person.id == AccessEventRecord.person_id).scalar_subquery()
    )
    rows = session.exec(
        select(AccessEventRecord.person_id).where(
            AccessEventRecord.site_id == event.site_id,
            AccessEventRecord.reason == ReasonCode.PASS_ALREADY_USED,
            col(AccessEventRecord.occurred_at) > since,
            col(AccessEventRecord.occurred_at) <= event.occurred_at,
            func.coalesce(pass_company, person_company) == company.id,
        )
    ).all()
    if len(rows) < rules.pass_reuse_per_company:
        return 0
    drivers = sorted({person for person in rows if person})
    return raise_once(
        session=session,
        site_id=event.site_id,
        gate_id=event.gate_id,
        at=event.occurred_at,
        key=f"company {company.name} (#{company.id}): one-time passes used again: ",
        since=since,
        detail=f"{len(rows)} pass_already_used denials of its drivers within "
        f"{rules.pass_reuse_window_hours} h (drivers: {', '.join(drivers) or 'unknown'}; "
        f"last at {event.gate_id} {event.occurred_at:%Y-%m-%d %H:%M} UTC); "
        f"threshold {rules.pass_reuse_per_company}",
    )

"""Per-company figures: what the people of one company did at the gates in a period.

Counted from what the gates reported (access events, alarms) and from the appointments
of the company's people. A site-bound user's session is site-scoped
(`central_api.security.site_scope`), so they count their own site only.
"""

from datetime import datetime, timedelta

from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode
from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from central_api.db import utc_now
from central_api.errors import InvalidError
from central_api.models import (
    AccessEventRecord,
    Alarm,
    Appointment,
    Company,
    CompanyFigures,
    Person,
)

__all__ = ["DEFAULT_PERIOD", "company_figures"]

DEFAULT_PERIOD = timedelta(days=30)
_LONGEST = timedelta(days=366)


def _period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = end or utc_now()
    if end.tzinfo is None or (start is not None and start.tzinfo is None):
        raise InvalidError("from and to need a time zone (e.g. 2026-12-01T00:00:00Z)")
    try:
        start = start or end - DEFAULT_PERIOD
    except OverflowError:
        raise InvalidError("to is too early for the default period: give from") from None
    if start >= end:
        raise InvalidError("from must be before to")
    if end - start > _LONGEST:
        raise InvalidError("the period is at most 366 days")
    return start, end


def company_figures(
    *, session: Session, company: Company, start: datetime | None, end: datetime | None
) -> CompanyFigures:
    """Passages, denials by reason, pass-reuse attempts, no-shows and alarms of `company`.

    Args:
        session: A session (site-scoped for a site-bound user).
        company: The company.
        start: From (inclusive); default: 30 days before `end`.
        end: Until (exclusive); default: now.

    Raises:
        InvalidError: A period without a time zone, empty or longer than 366 days.
    """
    start, end = _period(start, end)
    people = select(Person.id).where(Person.company_id == company.id)
    passages, denials = _outcomes(session=session, people=people, start=start, end=end)
    # An appointment never used within its window: counted once its window is over.
    no_shows = session.exec(
        select(func.count())
        .select_from(Appointment)
        .where(
            col(Appointment.person_id).in_(people),
            col(Appointment.used_at).is_(None),
            col(Appointment.window_end) >= start,
            col(Appointment.window_end) < min(end, utc_now()),
        )
    ).one()
    alarms = session.exec(
        select(func.count())
        .select_from(Alarm)
        .where(
            col(Alarm.person_id).in_(people),
            col(Alarm.raised_at) >= start,
            col(Alarm.raised_at) < end,
        )
    ).one()
    assert company.id is not None  # noqa: S101 (a stored company)
    return CompanyFigures(
        company_id=company.id,
        name=company.name,
        period_from=start,
        period_to=end,
        passages=passages,
        denials=sum(denials.values()),
        denials_by_reason=denials,
        pass_reuse_attempts=denials.get(ReasonCode.PASS_ALREADY_USED, 0),
        no_shows=int(no_shows),
        alarms=int(alarms),
    )


def _outcomes(
    *, session: Session, people: SelectOfScalar[str], start: datetime, end: datetime
) -> tuple[int, dict[ReasonCode, int]]:
    """Passages, and denials by reason, of `people`'s events in the period."""
    in_period = (
        col(AccessEventRecord.person_id).in_(people),
        col(AccessEventRecord.occurred_at) >= start,
        col(AccessEventRecord.occurred_at) < end,
    )
    by_outcome = session.exec(
        select(
            AccessEventRecord.decision,
            AccessEventRecord.reason,
            AccessEventRecord.passed,
            func.count(),
        )
        .where(*in_period)
        .group_by(
            col(AccessEventRecord.decision),
            col(AccessEventRecord.reason),
            col(AccessEventRecord.passed),
        )
    ).all()
    denials: dict[ReasonCode, int] = {}
    passages = 0
    for decision, reason, passed, count in by_outcome:
        if decision == Decision.GRANTED:
            # A grant whose person did not walk through (timed out) is no passage.
            passages += 0 if passed is False else int(count)
        else:
            denials[ReasonCode(reason)] = denials.get(ReasonCode(reason), 0) + int(count)
    return passages, dict(sorted(denials.items()))

"""The companies report: per transport company and contractor, what its people did.

Each company's figures are the dashboard's (`central_api.dashboard.company_figures`:
passages, denials, no-shows, pass-reuse attempts); incidents are the filed and draft
incident reports of the period that name the company. A company is listed when one of
its people is enrolled where the report looks (a site: activated there). Its kind is
read from its people: drivers make a transport company, contractors a contractor.
"""

from collections import Counter

from gate_protocol.records import PersonKind
from sqlalchemy import func
from sqlmodel import Session, col, select

from central_api.dashboard.company_figures import company_figures
from central_api.incidents.tables import Incident
from central_api.models import Company, Person
from central_api.reports.model import Chart, Table
from central_api.reports.period import Period
from central_api.reports.sql import within

__all__ = ["company_tables"]


def company_tables(session: Session, period: Period) -> tuple[Table, ...]:
    """The companies table over `period`."""
    kinds = _kinds(session)
    incidents = _incidents(session, period)
    companies = session.exec(
        select(Company).where(col(Company.id).in_(kinds)).order_by(col(Company.name))
    ).all()
    rows = []
    for company in companies:
        assert company.id is not None  # noqa: S101 (stored)
        figures = company_figures(
            session=session, company=company, start=period.start, end=period.end
        )
        rows.append(
            (
                company.name,
                _kind_label(kinds[company.id]),
                str(company.status),
                figures.passages,
                figures.denials,
                figures.no_shows,
                figures.pass_reuse_attempts,
                incidents[company.id],
            )
        )
    return (
        Table(
            key="companies",
            title="Per company",
            columns=(
                "company",
                "kind",
                "status",
                "passages",
                "denials",
                "no-shows",
                "pass-reuse attempts",
                "incidents",
            ),
            rows=rows,
            chart=Chart(label_column=0, value_columns=(3, 4)),
        ),
    )


def _kinds(session: Session) -> dict[int, set[str]]:
    """The person kinds of each company with people here."""
    found: dict[int, set[str]] = {}
    for company_id, kind, _ in session.exec(
        select(Person.company_id, Person.kind, func.count())
        .where(col(Person.company_id).is_not(None))
        .group_by(col(Person.company_id), col(Person.kind))
    ).all():
        if company_id is not None:
            found.setdefault(company_id, set()).add(str(kind))
    return found


def _kind_label(kinds: set[str]) -> str:
    labels = []
    if PersonKind.DRIVER in kinds:
        labels.append("transport")
    if PersonKind.CONTRACTOR in kinds:
        labels.append("contractor")
    return ", ".join(labels) or "other"


def _incidents(session: Session, period: Period) -> Counter[int]:
    """How many incident reports of the period name each company (by this installation's id)."""
    counted: Counter[int] = Counter()
    for companies in session.exec(
        select(Incident.companies).where(
            within(col(Incident.occurred_at), period.start, period.end)
        )
    ).all():
        ids = {entry.get("id") for entry in companies if isinstance(entry, dict)}
        counted.update(i for i in ids if isinstance(i, int))
    return counted

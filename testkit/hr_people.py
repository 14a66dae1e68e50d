"""What the HR sync tests read back: the people a sync enrolled, keyed by their HR id."""

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.enroll.tables import PersonExternalId
from central_api.models import Company, Person

__all__ = ["SyncedPerson", "synced_people"]

SyncedPerson = tuple[str, str | None, str, datetime | None]


def synced_people(engine: Engine) -> dict[str, SyncedPerson]:
    """External id -> (name, company, status, valid_until) of every person that has one."""
    with Session(engine) as session:
        rows = session.exec(
            select(PersonExternalId, Person)
            .where(PersonExternalId.person_id == Person.id)
            .order_by(col(PersonExternalId.external_id))
        ).all()
        out: dict[str, SyncedPerson] = {}
        for ext, person in rows:
            company = session.get(Company, person.company_id) if person.company_id else None
            out[ext.external_id] = (
                person.display_name,
                company.name if company else None,
                str(person.status),
                person.valid_until,
            )
        return out

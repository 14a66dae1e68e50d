"""Companies for the company-status tests: a company and the people who work for it."""

from sqlalchemy import Engine
from sqlmodel import Session

from central_api.crud.people import update_person
from central_api.models import Company, PersonUpdate


def company_of(engine: Engine, name: str, *person_ids: str) -> int:
    """Create the company `name`, make `person_ids` work for it; returns its id."""
    with Session(engine, expire_on_commit=False) as session:
        company = Company(name=name)
        session.add(company)
        session.commit()
        assert company.id is not None
        for person_id in person_ids:
            update_person(
                session=session,
                person_id=person_id,
                person_update=PersonUpdate(company_id=company.id),
                actor="test",
            )
        return company.id

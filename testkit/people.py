"""People inserted straight into the database by tests, as the crud would leave them.

Since one identity serves many terminals, a person reaches a site's users and gates only
through an activation at that site (central_api.models.identity): a bare `Person` row is
enrolled nowhere. `add_enrolled` adds both, at the person's enrolling site.
"""

from sqlmodel import Session

from central_api.models import Person
from central_api.models.identity import SiteActivation

__all__ = ["add_enrolled"]


def add_enrolled(session: Session, *people: Person) -> None:
    """Add `people` and activate each at its `site_id` (the caller commits)."""
    for person in people:
        session.add(person)
    session.flush()
    for person in people:
        session.add(
            SiteActivation(person_id=person.id, site_id=person.site_id, activated_by="test")
        )

"""Site scope: a site-bound user's session sees only that site's rows, whatever the route.

`RoleRequirement` scopes the request's session when the user belongs to a site. From then on
every ORM SELECT on that session (``select``, ``session.get``, counts) carries ``site_id =
<site>`` for each table that has a ``site_id`` column (``id = <site>`` for the site table
itself), and ``person_id IN (that site's people)`` for rows bound to a person (templates,
competencies, groups, watchlist, the desk's pending faces and kept photos). A site's people
are those with an activation there (`SiteActivation`, active or suspended at that site): one
identity is shared by every site that activated it, so the person table is filtered by
activation, not by its `site_id` (the enrolling site). Another site's gate, person, event or
alarm is simply not there: routes answer 404 and lists leave it out, with no per-route
filter to forget. Writes are not filtered: they go through lookups that already are.

Credentials are not scoped: badge numbers and pass ids are unique across sites, and the
uniqueness checks must see them all (they are reached through their person otherwise).
`unscoped()` lifts the filter for global checks such as "does this id exist anywhere".
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel, col

from central_api.models import Credential, Person, Site, SiteActivation

__all__ = ["current_scope", "scope_session", "unscoped"]

_SCOPE_KEY = "portgate_site_scope"
_UNSCOPED_KEY = "portgate_unscoped"
# Bound through their person (the check above catches a person of another site first).
_UNSCOPED_TABLES = frozenset({Credential.__tablename__})


def scope_session(session: Session, site_id: str) -> None:
    """Let `session` see only `site_id`'s rows from now on."""
    session.info[_SCOPE_KEY] = site_id


def current_scope(session: Session) -> str | None:
    """The site `session` is scoped to, if any."""
    scope: str | None = session.info.get(_SCOPE_KEY)
    return scope


@contextmanager
def unscoped(session: Session) -> Iterator[Session]:
    """Lift the site filter inside the block (global existence and uniqueness checks)."""
    previous = session.info.get(_UNSCOPED_KEY, False)
    session.info[_UNSCOPED_KEY] = True
    try:
        yield session
    finally:
        session.info[_UNSCOPED_KEY] = previous


def _table_models() -> Iterator[type[Any]]:
    """Every mapped SQLModel table class, whichever registry maps it (the desk's has its own)."""
    pending: list[type[Any]] = list(SQLModel.__subclasses__())
    seen: set[type[Any]] = set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        if inspect(cls, raiseerr=False) is not None and hasattr(cls, "__table__"):
            yield cls


@cache
def _scoped_classes() -> tuple[list[type[Any]], list[type[Any]]]:
    # First needed by a request, when the app has imported every table module.
    by_site: list[type[Any]] = []
    by_person: list[type[Any]] = []
    for cls in _table_models():
        if cls in (Site, Person) or cls.__table__.name in _UNSCOPED_TABLES:
            continue
        columns = cls.__table__.columns
        if "site_id" in columns:
            by_site.append(cls)
        elif "person_id" in columns:
            by_person.append(cls)
    return by_site, by_person


@event.listens_for(OrmSession, "do_orm_execute")
def _filter_by_site(state: ORMExecuteState) -> None:
    site_id = state.session.info.get(_SCOPE_KEY)
    if site_id is None or state.session.info.get(_UNSCOPED_KEY):
        return
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    by_site, by_person = _scoped_classes()
    people_here = select(SiteActivation.person_id).where(  # type: ignore[call-overload]
        SiteActivation.site_id == site_id
    )
    options = [
        with_loader_criteria(Site, Site.id == site_id, include_aliases=True),
        with_loader_criteria(Person, col(Person.id).in_(people_here), include_aliases=True),
        *(
            with_loader_criteria(cls, cls.site_id == site_id, include_aliases=True)
            for cls in by_site
        ),
        *(
            with_loader_criteria(cls, cls.person_id.in_(people_here), include_aliases=True)
            for cls in by_person
        ),
    ]
    state.statement = state.statement.options(*options)

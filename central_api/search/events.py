"""Access events that match a search: the statement, a page of it, every row of it.

A person's name and company come from an outer join on the person and their company (the
company a person has now: events keep no company of their own). Pages go newest first by
(occurred_at, id); the export goes oldest first, as a log is read.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, tuple_
from sqlmodel import Session, col, select

from central_api.dashboard.views import PersonInfo, event_view
from central_api.models import AccessEventRecord, Company, Gate, Person
from central_api.search.cursor import Cursor, decode_cursor, encode_cursor
from central_api.search.filters import EventFilters, check_page_size

__all__ = ["EXPORT_COLUMNS", "EventPage", "event_rows", "search_events"]

_E = AccessEventRecord
# What the export writes, in this order (never credential numbers or templates).
EXPORT_COLUMNS = (
    "event_id",
    "occurred_at",
    "site_id",
    "gate_id",
    "lane",
    "direction",
    "decision",
    "reason",
    "reason_detail",
    "person_id",
    "credential_kind",
    "decided_by",
    "face_score",
    "liveness_score",
    "passed",
    "anti_passback_violation",
    "latency_ms",
    "received_at",
)


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of results and the cursor of the next (None: this was the last)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def _conditions(filters: EventFilters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.time.since is not None:
        found.append(col(_E.occurred_at) >= filters.time.since)
    if filters.time.until is not None:
        found.append(col(_E.occurred_at) < filters.time.until)
    equal = (
        (_E.site_id, filters.site),
        (_E.gate_id, filters.gate),
        (_E.reason, filters.reason),
        (_E.decision, filters.decision),
        (_E.credential_kind, filters.credential_kind),
        (_E.decided_by, filters.decided_by),
    )
    found.extend(col(column) == value for column, value in equal if value is not None)
    if filters.zone is not None:
        found.append(col(_E.gate_id).in_(select(Gate.id).where(Gate.zone_id == filters.zone)))
    if filters.person is not None:
        found.append(_person_matches(filters.person))
    if filters.company is not None:
        found.append(_company_matches(filters.company))
    return found


def _person_matches(person: str) -> ColumnElement[bool]:
    # An id exactly, or a part of the name in any case (LIKE wildcards taken literally).
    named = func.lower(col(Person.display_name)).contains(person.lower(), autoescape=True)
    return or_(col(_E.person_id) == person, named)


def _company_matches(company: str) -> ColumnElement[bool]:
    named = func.lower(col(Company.name)).contains(company.lower(), autoescape=True)
    if company.isdigit():
        return or_(col(Company.id) == int(company), named)
    return named


def _joined(columns: Sequence[Any], filters: EventFilters) -> Any:
    # Any: sqlmodel's select() of a variable column list has no static row type.
    statement = (
        select(*columns)
        .join(Person, col(Person.id) == col(_E.person_id), isouter=True)
        .join(Company, col(Company.id) == col(Person.company_id), isouter=True)
    )
    return statement.where(*_conditions(filters))


def search_events(
    *, session: Session, filters: EventFilters, size: int = 100, after: str | None = None
) -> EventPage:
    """The page of `size` events after the cursor `after` (None: the newest), newest first.

    Raises:
        InvalidError: `size` is out of range or `after` is not a cursor of ours.
    """
    check_page_size(size)
    statement = _joined((_E, col(Person.display_name), col(Company.name)), filters)
    if after is not None:
        cursor = decode_cursor(after)
        statement = statement.where(
            tuple_(col(_E.occurred_at), col(_E.id)) < tuple_(cursor.at, cursor.row_id)
        )
    statement = statement.order_by(col(_E.occurred_at).desc(), col(_E.id).desc())
    rows = list(session.exec(statement.limit(size + 1)).all())
    more = len(rows) > size
    rows = rows[:size]
    items = [
        event_view(record, person=PersonInfo(name, company) if name is not None else None)
        for record, name, company in rows
    ]
    next_cursor = None
    if more:
        last = rows[-1][0]
        assert last.id is not None  # noqa: S101 (stored rows have ids)
        next_cursor = encode_cursor(Cursor(at=last.occurred_at, row_id=last.id))
    return EventPage(items=items, next_cursor=next_cursor)


def event_rows(
    *, session: Session, filters: EventFilters, batch: int = 1000
) -> Iterator[tuple[Any, ...]]:
    """Every matching event, oldest first: `EXPORT_COLUMNS`, then the person's name, company.

    Rows come `batch` at a time over a server-side cursor (``yield_per``), so memory stays
    the same whatever the number of rows; no ORM objects are built.
    """
    columns = [getattr(_E, name) for name in EXPORT_COLUMNS]
    statement = _joined((*columns, col(Person.display_name), col(Company.name)), filters)
    statement = statement.order_by(col(_E.occurred_at), col(_E.id))
    result = session.exec(statement.execution_options(yield_per=batch))
    for row in result:
        yield tuple(row)

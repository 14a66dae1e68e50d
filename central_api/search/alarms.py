"""Alarms that match a search: kind, state, gate, site and time range, newest first."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, tuple_
from sqlmodel import Session, col, select

from central_api.dashboard.queries import load_people
from central_api.dashboard.views import alarm_view
from central_api.models import Alarm
from central_api.search.cursor import Cursor, decode_cursor, encode_cursor
from central_api.search.filters import AlarmFilters, AlarmState, check_page_size

__all__ = ["AlarmPage", "search_alarms"]


@dataclass(frozen=True, slots=True)
class AlarmPage:
    """One page of alarms and the cursor of the next (None: this was the last)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def _conditions(filters: AlarmFilters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.time.since is not None:
        found.append(col(Alarm.raised_at) >= filters.time.since)
    if filters.time.until is not None:
        found.append(col(Alarm.raised_at) < filters.time.until)
    if filters.site is not None:
        found.append(col(Alarm.site_id) == filters.site)
    if filters.gate is not None:
        found.append(col(Alarm.gate_id) == filters.gate)
    if filters.kind is not None:
        found.append(col(Alarm.kind) == filters.kind)
    if filters.state is AlarmState.OPEN:
        found.append(col(Alarm.acknowledged_at).is_(None))
    elif filters.state is AlarmState.ACKNOWLEDGED:
        found.append(col(Alarm.acknowledged_at).is_not(None))
    return found


def search_alarms(
    *, session: Session, filters: AlarmFilters, size: int = 100, after: str | None = None
) -> AlarmPage:
    """The page of `size` alarms after the cursor `after` (None: the newest), newest first.

    Raises:
        InvalidError: `size` is out of range or `after` is not a cursor of ours.
    """
    check_page_size(size)
    statement = select(Alarm).where(*_conditions(filters))
    if after is not None:
        cursor = decode_cursor(after)
        statement = statement.where(
            tuple_(col(Alarm.raised_at), col(Alarm.id)) < tuple_(cursor.at, cursor.row_id)
        )
    statement = statement.order_by(col(Alarm.raised_at).desc(), col(Alarm.id).desc())
    alarms = list(session.exec(statement.limit(size + 1)).all())
    more = len(alarms) > size
    alarms = alarms[:size]
    people = load_people(session=session, person_ids=[a.person_id for a in alarms if a.person_id])
    items = [alarm_view(a, person=people.get(a.person_id) if a.person_id else None) for a in alarms]
    next_cursor = None
    if more:
        last = alarms[-1]
        assert last.id is not None  # noqa: S101 (stored rows have ids)
        next_cursor = encode_cursor(Cursor(at=last.raised_at, row_id=last.id))
    return AlarmPage(items=items, next_cursor=next_cursor)

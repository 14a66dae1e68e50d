"""SQL pieces the reports share: a period's condition, counts that hold a condition, hours."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, case, cast, func
from sqlmodel import Session

__all__ = ["count_when", "hour_of_day", "local_hour_key", "within"]


def within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    """`column` in [start, end)."""
    condition: ColumnElement[bool] = (column >= start) & (column < end)
    return condition


def count_when(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group hold `condition` (0, never NULL, for an empty group)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def hour_of_day(session: Session, column: Any) -> ColumnElement[int]:
    """The UTC hour (0-23) of a stored time, on SQLite and on PostgreSQL.

    PostgreSQL's EXTRACT reads a timestamptz in the session's time zone, so the value is
    turned to UTC first; SQLite stores UTC text already.
    """
    if session.get_bind().dialect.name == "postgresql":
        column = func.timezone("UTC", column)
    return cast(func.extract("hour", column), Integer)


def local_hour_key(
    session: Session, column: Any, zone: str
) -> tuple[ColumnElement[Any], Callable[[Any], int]]:
    """A key to group a stored time by, and what turns a key into its local hour in `zone`.

    PostgreSQL converts in SQL (`timezone(zone, column)`). SQLite has no time zones, so
    rows are grouped by their UTC quarter hour (every zone's offset is whole quarters)
    and each quarter is turned into its local hour here.
    """
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("hour", func.timezone(zone, column)), Integer), int
    if zone == "UTC":
        return hour_of_day(session, column), int
    quarter = func.printf(
        "%s%02d",
        func.strftime("%Y-%m-%d %H:", column),
        cast(func.strftime("%M", column), Integer) / 15 * 15,
    )
    local = ZoneInfo(zone)

    def hour(key: Any) -> int:
        at = datetime.strptime(str(key), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        return at.astimezone(local).hour

    return quarter, hour

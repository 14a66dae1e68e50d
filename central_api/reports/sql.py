"""SQL pieces the reports share: a period's condition, counts that hold a condition, hours."""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, func
from sqlmodel import Session

__all__ = ["count_when", "hour_of_day", "within"]


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

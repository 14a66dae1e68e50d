"""`column IN (ids)` for the replica's id lists, however many ids a gate keeps.

A gate of a port's main terminal keeps every identity: 100,000 people. Bound one parameter
each, such a list is refused by PostgreSQL (at most 65,535 parameters a statement; SQLite
builds with the default limit refuse 32,767): the gate's replica failed with an error.
Written into the statement as literals (escaped by the dialect, like any SQLAlchemy
literal) the list has no such limit, and psycopg no longer converts 100,000 placeholders
per query.
"""

from collections.abc import Collection
from typing import Any

from sqlalchemy import BindParameter, bindparam

__all__ = ["many_ids"]


def many_ids(ids: Collection[Any]) -> BindParameter[Any]:
    """The argument of ``col(...).in_(...)`` for a list of ids of any length."""
    return bindparam("ids", list(ids), expanding=True, literal_execute=True, unique=True)

"""Count the SQL statements an engine runs inside a block (round trips are a request's cost)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

__all__ = ["statements_run"]


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    """The statements `engine` runs while the block runs, lower-cased, in order."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)

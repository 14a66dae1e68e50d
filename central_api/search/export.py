"""Every event a search matches as CSV, streamed: a header row, then one row per event.

The rows come over a server-side cursor (`events.event_rows`) and leave as chunks of text
(`central_api.dashboard.csv_export.csv_chunks`, the one CSV writer: formula-looking cells
are defused), so an export of any size holds one chunk in memory and has no row cap.
"""

from collections.abc import Iterator
from datetime import datetime
from itertools import chain
from typing import Any

from gate_protocol.reasons import ReasonCode, describe_reason
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.dashboard.csv_export import csv_chunks
from central_api.search.events import EXPORT_COLUMNS, event_rows
from central_api.search.filters import EventFilters
from central_api.security.site_scope import scope_session

__all__ = ["EXPORT_HEADER", "export_filename", "stream_events_csv"]

EXPORT_HEADER = (*EXPORT_COLUMNS, "person_name", "company", "reason_text")
_REASON = EXPORT_COLUMNS.index("reason")
_DETAIL = EXPORT_COLUMNS.index("reason_detail")
_TIMES = tuple(EXPORT_COLUMNS.index(name) for name in ("occurred_at", "received_at"))
_FLAGS = tuple(EXPORT_COLUMNS.index(name) for name in ("passed", "anti_passback_violation"))


def _cells(row: tuple[Any, ...]) -> list[object]:
    cells: list[object] = list(row)
    for index in _TIMES:
        cells[index] = row[index].isoformat()
    for index in _FLAGS:
        if row[index] is not None:
            cells[index] = "true" if row[index] else "false"
    reason = row[_REASON]
    try:
        text = describe_reason(ReasonCode(reason), row[_DETAIL])
    except ValueError:  # a reason this version does not know: stored as it came
        text = str(reason)
    cells.append(text)
    return cells


def stream_events_csv(
    *, engine: Engine, filters: EventFilters, site_scope: str | None
) -> Iterator[str]:
    """The CSV text of every matching event, oldest first, in chunks.

    The session is the stream's own (open while the response is sent) and sees only
    `site_scope`'s rows when it is set, as the caller's request session would.
    """
    with Session(engine) as session:
        if site_scope is not None:
            scope_session(session, site_scope)
        rows = (_cells(row) for row in event_rows(session=session, filters=filters))
        yield from csv_chunks(chain([EXPORT_HEADER], rows))


def export_filename(now: datetime) -> str:
    """The download's file name, stamped with the time of the export."""
    return f"events-{now:%Y%m%dT%H%M%SZ}.csv"

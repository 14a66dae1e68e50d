"""Many access-event rows at once, written straight to the table (for search and export tests).

The ingest path (`central_api.ingest.store`) seals each batch into the audit chain and runs
the insider checks: right for the tests of ingest, far too slow to fill a table with 50,000
rows. These rows are what ingest would store, minus the chain leaf.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, text

from central_api.db import utc_now
from central_api.models import AccessEventRecord
from gate_protocol.messages import CredentialKind, DecidedBy, Decision, Direction
from gate_protocol.reasons import ReasonCode

__all__ = ["count_events", "event_row", "insert_event_rows", "insert_rows"]

_BATCH = 5000


def event_row(n: int, *, site: str, gate: str, at: datetime, **fields: Any) -> dict[str, Any]:
    """The row of event number `n` at `gate` at time `at`; `fields` override the defaults."""
    row: dict[str, Any] = {
        "event_id": f"bulk-{site}-{n}",
        "site_id": site,
        "gate_id": gate,
        "agent_seq": n,
        "occurred_at": at,
        "received_at": utc_now(),
        "lane": 0,
        "direction": Direction.ENTRY,
        "decision": Decision.GRANTED,
        "reason": ReasonCode.GRANTED,
        "person_id": None,
        "credential_kind": CredentialKind.BADGE,
        "decided_by": DecidedBy.CENTRAL,
        "latency": {},
        "anti_passback_violation": False,
    }
    row.update(fields)
    return row


def _rows(
    start: int, count: int, *, site: str, gate: str, first_at: datetime
) -> Iterator[dict[str, Any]]:
    for n in range(start, start + count):
        yield event_row(n, site=site, gate=gate, at=first_at + timedelta(seconds=n))


def insert_event_rows(
    engine: Engine, *, count: int, site: str, gate: str, first_at: datetime, start: int = 0
) -> None:
    """Insert events `start` .. `start + count - 1`, one second apart from `first_at` + start."""
    rows = _rows(start, count, site=site, gate=gate, first_at=first_at)
    with engine.begin() as conn:
        while batch := [row for _, row in zip(range(_BATCH), rows, strict=False)]:
            conn.execute(insert(AccessEventRecord), batch)


def insert_rows(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Insert these rows (made by `event_row`) in one transaction."""
    with engine.begin() as conn:
        conn.execute(insert(AccessEventRecord), rows)


def count_events(engine: Engine) -> int:
    """How many access events the table holds."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM access_event")).scalar_one())

"""Indexes for event and alarm search: time order with the id, reason + time; alarms by time.

The search (`central_api.search`) pages newest first by (occurred_at, id) and filters by a
time range with a gate or a reason; the alarm search by (raised_at, id) with a gate. Gate +
time and person + time had their indexes already. On PostgreSQL with 400,000 events a page
of each common filter went from a sequential scan and sort (100 to 480 ms) to an index scan
(under 1 ms); a site filter rides the time index (docs/api.md "Event search").

Revision ID: 0026
Revises: 0023
Create Date: 2026-12-06 14:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_access_event_time_id", "access_event", ["occurred_at", "id"]),
    ("ix_access_event_reason_time", "access_event", ["reason", "occurred_at"]),
    ("ix_alarm_time_id", "alarm", ["raised_at", "id"]),
    ("ix_alarm_gate_time", "alarm", ["gate_id", "raised_at"]),
)


def upgrade() -> None:
    """Apply."""
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    """Revert."""
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)

"""agentkey in the decision-data version: a key's insert, rotation or revocation bumps it.

The API keeps the gate-key check (key hash -> gate) in the same per-process generation
as the decision inputs (central_api.security.auth); with these triggers a revoked or rotated key
is refused by the very next request on every worker, exactly like a revoked credential.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 20:35:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "agentkey"
_BUMP = "UPDATE decision_data_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    """Apply."""
    if op.get_bind().dialect.name == "postgresql":
        # The function portgate_bump_decision_data() comes from migration 0003.
        op.execute(
            f"CREATE TRIGGER trg_{_TABLE}_decision_data "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION portgate_bump_decision_data()"
        )
    else:
        for verb in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_{_TABLE}_decision_data_{verb.lower()} "
                f"AFTER {verb} ON {_TABLE} BEGIN {_BUMP}; END"
            )
    op.execute(_BUMP)  # what any process cached before knew no key triggers


def downgrade() -> None:
    """Revert."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS trg_{_TABLE}_decision_data ON {_TABLE}")
        return
    for verb in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_{_TABLE}_decision_data_{verb}")

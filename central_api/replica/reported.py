"""What a gate agent last said about its replica, and the one rule that updates it.

An agent's `NodeStatus` carries its replica's version and `replica_synced_at`, the instant
its offline max-age rule counts from; the dashboard tiles show that age. The API keeps it
in two places: the stored node status (`central_api.ingest.store.store_status`) and each
process's gate board (`central_api.dashboard.board.GateBoard`, fed live and seeded from the
stored status). Both take it from `replica_after` and nowhere else, so a board seeded from
storage shows the replica a board that saw the same statuses live shows.
"""

from dataclasses import dataclass
from datetime import datetime

__all__ = ["ReportedReplica", "replica_after"]


@dataclass(frozen=True, slots=True)
class ReportedReplica:
    """An agent's replica as it reported it (both None: it has none, or never said)."""

    version: int | None
    synced_at: datetime | None


def replica_after(
    before: ReportedReplica | None, *, offline: bool, reported: ReportedReplica
) -> ReportedReplica:
    """The agent's replica once a status reporting `reported` arrived after `before`.

    A last will (offline, no replica) is composed when the agent connects and does not
    know the replica the agent went on to sync; the gate keeps deciding from that replica
    while it is away, so the one known before holds. Any other status says what the
    agent has now, none included.
    """
    if offline and reported.version is None and before is not None:
        return before
    return reported

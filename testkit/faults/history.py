"""The checker of a fault run: reads the whole history and lists every broken promise.

Sources: the API's database (what was stored), each agent's durable outbox (what was
recorded, with its per-agent sequence numbers), and each bridge's bus tap and executed-
command log (what opened, when, and the command's expiry).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from testkit.faults.fleet import Fleet


@dataclass
class History:
    """Counts and violations found over a fault run."""

    events_stored: int = 0
    events_recorded: int = 0
    by_decider: Counter[str] = field(default_factory=Counter)
    by_decision: Counter[str] = field(default_factory=Counter)
    openings: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unsent: list[str] = field(default_factory=list)
    double_openings: list[str] = field(default_factory=list)
    late_openings: list[str] = field(default_factory=list)
    untracked_openings: list[str] = field(default_factory=list)
    unrecorded_openings: list[str] = field(default_factory=list)
    outage_not_replica: list[str] = field(default_factory=list)
    outage_events: int = 0

    def violations(self) -> dict[str, list[str]]:
        """Every non-empty list of broken promises."""
        return {
            name: found
            for name, found in (
                ("lost", self.lost),
                ("duplicates", self.duplicates),
                ("unsent", self.unsent),
                ("double_openings", self.double_openings),
                ("late_openings", self.late_openings),
                ("untracked_openings", self.untracked_openings),
                ("unrecorded_openings", self.unrecorded_openings),
                ("outage_not_replica", self.outage_not_replica),
            )
            if found
        }


def _api_rows(path: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return list(
            db.execute(
                "SELECT event_id, gate_id, agent_seq, decision, decided_by, occurred_at,"
                " command_id FROM access_event"
            )
        )


def _outbox(path: Path) -> tuple[int, list[dict[str, object]], int]:
    """(highest sequence number, the rows still kept, unsent count)."""
    with sqlite3.connect(path) as db:
        rows = [json.loads(p) for (p,) in db.execute("SELECT payload FROM events ORDER BY seq")]
        (top,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        (unsent,) = db.execute("SELECT COUNT(*) FROM events WHERE sent = 0").fetchone()
    return int(top), rows, int(unsent)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))


def check_history(
    fleet: Fleet,
    *,
    outages: list[tuple[datetime, datetime]],
    margin_s: float = 0.5,
    stored_rows: Sequence[Mapping[str, Any]] | None = None,
) -> History:
    """Check the whole run (see the module docstring).

    Args:
        fleet: The stopped fleet.
        outages: API outage windows (down, back); events decided inside them (with
            `margin_s` either side) must come from the replica.
        margin_s: Slack for presentations that started right at an edge.
        stored_rows: The stored events (event_id, gate_id, agent_seq, decision, decided_by,
            command_id) when they are not in the fleet's SQLite file (a fleet on PostgreSQL).
    """
    history = History()
    rows: Sequence[Any] = _api_rows(fleet.database_path) if stored_rows is None else stored_rows
    history.events_stored = len(rows)
    ids = Counter(str(r["event_id"]) for r in rows)
    history.duplicates += [f"event {e} stored {n} times" for e, n in ids.items() if n > 1]
    seqs = Counter((str(r["gate_id"]), int(r["agent_seq"])) for r in rows)
    history.duplicates += [f"{g} seq {s} stored {n} times" for (g, s), n in seqs.items() if n > 1]
    for row in rows:
        history.by_decider[str(row["decided_by"])] += 1
        history.by_decision[str(row["decision"])] += 1
    recorded_commands: dict[str, set[str]] = {}
    for gate in fleet.agents:
        top, kept, unsent = _outbox(fleet.outbox_path(gate))
        recorded_commands[gate] = {str(e["command_id"]) for e in kept if e.get("command_id")}
        # The outbox prunes confirmed rows down to its last thousand: a stored event is a
        # record of its opening too.
        recorded_commands[gate] |= {
            str(r["command_id"]) for r in rows if r["gate_id"] == gate and r["command_id"]
        }
        history.events_recorded += top
        stored = {s for (g, s) in seqs if g == gate}
        missing = sorted(set(range(1, top + 1)) - stored)
        history.lost += [f"{gate} seq {s}" for s in missing]
        if unsent:
            history.unsent.append(f"{gate}: {unsent} events never sent")
        for event in kept:
            occurred = _when(str(event["occurred_at"]))
            for down, back in outages:
                if down.timestamp() + margin_s <= occurred.timestamp() <= back.timestamp():
                    history.outage_events += 1
                    if event["decided_by"] != "replica":
                        history.outage_not_replica.append(f"{gate} seq {event['agent_seq']}")
    for bridge in fleet.bridges:
        opened = Counter(bridge.tap.opened())
        history.openings += len(opened)
        history.double_openings += [
            f"{bridge.gate} {cid} opened {n} times" for cid, n in opened.items() if n > 1
        ]
        unrecorded = sorted(set(opened) - recorded_commands.get(bridge.gate, set()))
        history.unrecorded_openings += [f"{bridge.gate} {cid}" for cid in unrecorded]
        executed = bridge.executed()
        for cid in opened:
            command = bridge.tap.commands.get(cid)
            if command is None or cid not in executed:
                history.untracked_openings.append(f"{bridge.gate} {cid}")
                continue
            if executed[cid] > command.expires_at.timestamp():
                late = executed[cid] - command.expires_at.timestamp()
                history.late_openings.append(f"{bridge.gate} {cid} {late:.3f} s after expiry")
    return history

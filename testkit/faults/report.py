"""What the edge fault tests share: drain, read accounting, the one figures line per fault.

docs/production.md, "what survives what", quotes the figures lines.

A badge read is accounted for when the gate's agent recorded an event for it (its outbox
sequence) or its bridge kept it as a read the agent did not answer (firmware_bridge
agent_watch: refused or opened by the lane's fail mode, or unanswered).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field, replace

from firmware_bridge.agent_watch import read_counts
from testkit.faults.figures import fault_figures
from testkit.faults.fleet import Fleet
from testkit.faults.history import History

__all__ = ["ReadAccount", "account_reads", "drained", "figures_line"]


def drained(fleet: Fleet) -> bool:
    """Whether every agent has sent every event and the API has stored them all."""
    for gate in fleet.agents:
        path = fleet.outbox_path(gate)
        if not path.exists():
            return False
        with sqlite3.connect(path) as db:
            (unsent,) = db.execute("SELECT COUNT(*) FROM events WHERE sent = 0").fetchone()
            (top,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
            # An opening still waiting for its turnstile is a draft, not yet an event: stopping
            # the fleet then would leave it for the agent's next start, which never comes here.
            (drafts,) = db.execute("SELECT COUNT(*) FROM drafts").fetchone()
        with sqlite3.connect(fleet.database_path) as db:
            (stored,) = db.execute(
                "SELECT COUNT(*) FROM access_event WHERE gate_id = ?", (gate,)
            ).fetchone()
        if unsent or drafts or stored < top:
            return False
    return True


@dataclass
class ReadAccount:
    """Badge reads made by the crowd and where each went."""

    presented: int = 0
    by_agent: int = 0
    by_bridge: Counter[str] = field(default_factory=Counter)
    mismatches: list[str] = field(default_factory=list)

    @property
    def unaccounted(self) -> int:
        """Reads neither the agent nor the bridge kept (negative: counted twice)."""
        return self.presented - self.by_agent - sum(self.by_bridge.values())


def account_reads(fleet: Fleet) -> ReadAccount:
    """Match, per gate, the crowd's reads against agent events plus the bridge's kept reads."""
    assert fleet.crowd is not None  # noqa: S101 (started)
    account = ReadAccount()
    for bridge in fleet.bridges:
        presented = fleet.crowd.presented.get(bridge.gate, 0)
        with sqlite3.connect(fleet.outbox_path(bridge.gate)) as db:
            (events,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        kept = read_counts(bridge.config.state_dir)
        account.presented += presented
        account.by_agent += int(events)
        account.by_bridge.update(kept)
        if presented != int(events) + sum(kept.values()):
            account.mismatches.append(
                f"{bridge.gate}: {presented} reads, {events} agent events, "
                f"{dict(kept)} at the bridge"
            )
    return account


def figures_line(
    fault: str,
    history: History,
    *,
    scale: float,
    recover_s: float | None,
    sent: int | None = None,
    extra: str = "",
) -> str:
    """The fault's figures as one line (`testkit.faults.figures`); `sent` if not the outbox's."""
    figures = fault_figures(fault, history, scale=scale, recover_s=recover_s)
    if sent is not None:
        figures = replace(figures, sent=sent)
    return figures.line(extra)

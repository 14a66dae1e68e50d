"""Whether the gate's agent is there to answer card reads, and every read it did not answer.

The bridge reads its agent's retained status (``status/agent``; its last will is ``offline``,
so the broker reports a crashed agent as soon as its connection drops). While the agent is
away a card read is not published: nobody would decide it, and an agent that comes back must
not open for a read made long before. The lane's fail mode answers it instead: ``secure``
stays locked (red on the reader), ``safe`` lets the holder through (a local pulse). A read
published while the agent was present that gets no answer (an OpenCommand or a denial event
for its lane) within ``agent_answer_timeout_s``, or that was still waiting when the agent
went away, was lost with the agent; its lane stays as it is.

Every such read is logged and written, durably, to ``agent-away-reads.sqlite3`` in the
bridge's state dir, so each read is accounted for: by the agent's event, or here.
"""

import logging
import sqlite3
import threading
from collections import Counter, deque
from enum import StrEnum
from pathlib import Path

from gate_protocol.messages import MessageError, NodeState, NodeStatus, decode_message
from gate_protocol.topics import NodeKind

from firmware_bridge.lane_machine import FailMode

__all__ = ["AgentWatch", "AwayOutcome", "AwayReadLog", "read_counts"]

logger = logging.getLogger(__name__)
FILE_NAME = "agent-away-reads.sqlite3"


class AwayOutcome(StrEnum):
    """What became of a read that the agent did not answer."""

    REFUSED = "refused"  # agent away, fail-secure lane: stayed locked
    OPENED = "opened"  # agent away, fail-safe lane: released for the read
    UNANSWERED = "unanswered"  # published, but the agent went before answering


class AwayReadLog:
    """The reads the agent did not answer, on disk (WAL, ``synchronous=FULL``)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS reads (id INTEGER PRIMARY KEY, read_at REAL NOT NULL,"
            " lane INTEGER NOT NULL, reader TEXT NOT NULL, outcome TEXT NOT NULL)"
        )

    def record(self, *, read_at: float, lane: int, reader: str, outcome: AwayOutcome) -> None:
        """Keep one read (epoch seconds of the read)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO reads(read_at, lane, reader, outcome) VALUES (?, ?, ?, ?)",
                (read_at, lane, reader, outcome.value),
            )

    def counts(self) -> Counter[str]:
        """Reads kept, by outcome."""
        with self._lock:
            rows = self._db.execute("SELECT outcome, COUNT(*) FROM reads GROUP BY outcome")
            return Counter({str(o): int(n) for o, n in rows})

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def read_counts(state_dir: Path) -> Counter[str]:
    """The kept reads by outcome of a bridge's state dir (none if the file does not exist)."""
    path = state_dir / FILE_NAME
    if not path.exists():
        return Counter()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT outcome, COUNT(*) FROM reads GROUP BY outcome")
        return Counter({str(o): int(n) for o, n in rows})


class AgentWatch:
    """The agent's presence and the reads waiting for its answer (used by the worker only)."""

    def __init__(self, *, state_dir: Path, answer_timeout_s: float) -> None:
        self.log = AwayReadLog(state_dir / FILE_NAME)
        self.present = True  # until its retained status says otherwise
        self._timeout_s = answer_timeout_s
        self._pending: dict[int, deque[tuple[float, float, str]]] = {}

    def on_status(self, payload: bytes) -> None:
        """The agent's retained status arrived (bad payloads are ignored and logged)."""
        try:
            status = decode_message(payload, NodeStatus)
        except MessageError as exc:
            logger.warning("agent status not understood: %s", exc.detail)
            return
        if not isinstance(status, NodeStatus) or status.node is not NodeKind.AGENT:
            return
        present = status.state is NodeState.ONLINE
        if present != self.present:
            logger.warning("agent %s: card reads %s", status.state.value, _how(present))
        self.present = present
        if not present:
            self._flush_pending()

    def sent(self, *, lane: int, reader: str, now: float, read_at: float) -> None:
        """A read went to the agent (`now` monotonic, `read_at` epoch seconds)."""
        self._pending.setdefault(lane, deque()).append((now, read_at, reader))

    def answered(self, lane: int) -> None:
        """The agent answered the oldest waiting read of `lane`."""
        waiting = self._pending.get(lane)
        if waiting:
            waiting.popleft()

    def expire(self, *, now: float) -> None:
        """Reads waiting longer than the timeout were not answered."""
        for lane, waiting in self._pending.items():
            while waiting and now - waiting[0][0] > self._timeout_s:
                _, read_at, reader = waiting.popleft()
                self._unanswered(lane=lane, reader=reader, read_at=read_at)

    def away_read(
        self, *, lane: int, reader: str, fail_mode: FailMode, read_at: float
    ) -> AwayOutcome:
        """A read while the agent is away: what the lane's fail mode does, kept and logged."""
        outcome = AwayOutcome.OPENED if fail_mode is FailMode.SAFE else AwayOutcome.REFUSED
        logger.warning("card read on lane %d while the agent is away: %s", lane, outcome.value)
        self.log.record(read_at=read_at, lane=lane, reader=reader, outcome=outcome)
        return outcome

    def close(self) -> None:
        """Close the read log."""
        self.log.close()

    def _flush_pending(self) -> None:
        for lane, waiting in self._pending.items():
            while waiting:
                _, read_at, reader = waiting.popleft()
                self._unanswered(lane=lane, reader=reader, read_at=read_at)

    def _unanswered(self, *, lane: int, reader: str, read_at: float) -> None:
        logger.warning("card read on lane %d got no answer from the agent", lane)
        self.log.record(read_at=read_at, lane=lane, reader=reader, outcome=AwayOutcome.UNANSWERED)


def _how(present: bool) -> str:
    return "go to the agent again" if present else "answered by each lane's fail mode"

"""The demo checks its own script: each announced outcome against the event the gate recorded.

A step marks where the stored events stand, presents, then `check` waits for the gate's
event for that credential to reach the API and compares its reason with the one the step
announced (a step that announces an alarm, the forced door, waits for that alarm:
`check_alarm`). A miss is said in one line (``EXPECTED face_mismatch, GOT granted``) and kept
in `failures`, so `portgate demo --once` can exit non-zero.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from central_api.models import AccessEventRecord, Alarm
from gate_protocol.messages import AlarmKind, DecidedBy
from gate_protocol.reasons import ReasonCode

__all__ = ["Expectations"]

_POLL_S = 0.2


@dataclass
class Expectations:
    """Checks the demo's announced outcomes against the API's stored access events.

    Args:
        engine: The demo's database (the API stores what the gates report in it).
        say: Where a miss is reported.
        timeout_s: How long an event may take to reach the API (an offline gate's
            events arrive after the link is back).
    """

    engine: Engine
    say: Callable[[str], None]
    timeout_s: float = 20.0
    checked: int = 0
    failures: list[str] = field(default_factory=list)

    def mark(self) -> int:
        """Where the stored events stand now: `check` looks only at later ones."""
        with Session(self.engine) as session:
            return int(session.exec(select(func.max(AccessEventRecord.id))).one() or 0)

    def check(
        self,
        *,
        step: str,
        gate: str,
        ref: str | None,
        since: int,
        expected: ReasonCode,
        decided_by: DecidedBy | None = None,
    ) -> bool:
        """Wait for the first event of `gate` for credential `ref` after `since`; compare.

        Args:
            step: The step's name, for the report line.
            gate: The gate the credential was presented at.
            ref: The badge number the event names (None: any credential at `gate`).
            since: A `mark` taken before the presentation.
            expected: The reason the step announced.
            decided_by: Who must have decided (the replica while the API is away), if it
                matters to the step.
        """
        self.checked += 1
        got = self._wait_for(gate=gate, ref=ref, since=since)
        if got is None:
            return self._miss(
                step, f"EXPECTED {expected.value}, GOT no event within {self.timeout_s:.0f} s"
            )
        if got.reason is not expected:
            return self._miss(step, f"EXPECTED {expected.value}, GOT {got.reason.value}")
        if decided_by is not None and got.decided_by is not decided_by:
            return self._miss(
                step,
                f"EXPECTED {expected.value} decided by {decided_by.value}, "
                f"GOT it decided by {got.decided_by.value}",
            )
        checks = [
            f"{name} score {score:.2f}"
            for name, score in (("face", got.face_score), ("liveness", got.liveness_score))
            if score is not None
        ]
        scores = f" [{', '.join(checks)}]" if checks else ""
        self.say(f"as expected: {expected.value} ({step}){scores}")
        return True

    def mark_alarms(self) -> int:
        """Where the stored alarms stand now: `check_alarm` looks only at later ones."""
        with Session(self.engine) as session:
            return int(session.exec(select(func.max(Alarm.id))).one() or 0)

    def check_alarm(self, *, step: str, gate: str, since: int, expected: AlarmKind) -> bool:
        """Wait for an alarm of kind `expected` at `gate` stored after `since` (`mark_alarms`)."""
        self.checked += 1
        query = (
            select(Alarm)
            .where(col(Alarm.id) > since)
            .where(Alarm.gate_id == gate)
            .where(Alarm.kind == expected)
        )
        deadline = time.monotonic() + self.timeout_s
        while True:
            with Session(self.engine) as session:
                found = session.exec(query).first()
            if found is not None:
                self.say(f"as expected: {expected.value} alarm ({step})")
                return True
            if time.monotonic() > deadline:
                return self._miss(
                    step,
                    f"EXPECTED a {expected.value} alarm, GOT none within {self.timeout_s:.0f} s",
                )
            time.sleep(_POLL_S)

    def _wait_for(self, *, gate: str, ref: str | None, since: int) -> AccessEventRecord | None:
        query = (
            select(AccessEventRecord)
            .where(col(AccessEventRecord.id) > since)
            .where(AccessEventRecord.gate_id == gate)
            .order_by(col(AccessEventRecord.id))
        )
        if ref is not None:
            query = query.where(AccessEventRecord.credential_ref == ref)
        deadline = time.monotonic() + self.timeout_s
        while True:
            with Session(self.engine) as session:
                found = session.exec(query).first()
            if found is not None or time.monotonic() > deadline:
                return found
            time.sleep(_POLL_S)

    def _miss(self, step: str, line: str) -> bool:
        self.failures.append(f"{line} ({step})")
        self.say(f"{line} ({step})")
        return False

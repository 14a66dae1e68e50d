"""The figures of one fault, as one line in the test output (issue 25's list).

Every fault test of tests/faults prints ``fault_line(...)`` for its fault: events sent
(the agents' outbox sequence numbers), stored, lost, duplicated; openings, double or late;
decisions by the central API and by the gates' replicas; and how long the service took to
recover (from the fault to the first central decision after it, or whatever the test names
as recovered). The line starts with ``[<name>] scale S:`` so a long run's output can be
grepped into docs/production.md's "what survives what" table; it is the format of the
edge fault tests' ``figures_line`` (testkit/faults/report.py), which is built on it, so
that every fault's line reads alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from testkit.faults.history import History

__all__ = ["FaultFigures", "fault_figures"]


@dataclass(frozen=True, slots=True)
class FaultFigures:
    """One fault's figures (see the module docstring)."""

    name: str
    scale: float
    sent: int
    stored: int
    lost: int
    duplicated: int
    openings: int
    double_openings: int
    late_openings: int
    central: int
    replica: int
    recover_s: float | None

    def line(self, extra: str = "") -> str:
        """``[name] scale S: ...`` in one line, `extra` after it."""
        recover = "n/a" if self.recover_s is None else f"{self.recover_s:.2f} s"
        line = (
            f"[{self.name}] scale {self.scale:g}: events sent {self.sent}, stored "
            f"{self.stored}, lost {self.lost}, duplicated {self.duplicated}; openings "
            f"{self.openings}, double {self.double_openings}, late {self.late_openings}; "
            f"decided central {self.central}, replica {self.replica}; time to recover {recover}"
        )
        return f"{line}; {extra}" if extra else line


def fault_figures(
    name: str, history: History, *, scale: float, recover_s: float | None
) -> FaultFigures:
    """The figures of a checked run (`testkit.faults.history.check_history`)."""
    return FaultFigures(
        name=name,
        scale=scale,
        sent=history.events_recorded,
        stored=history.events_stored,
        lost=len(history.lost),
        duplicated=len(history.duplicates),
        openings=history.openings,
        double_openings=len(history.double_openings),
        late_openings=len(history.late_openings),
        central=history.by_decider["central"],
        replica=history.by_decider["replica"],
        recover_s=recover_s,
    )

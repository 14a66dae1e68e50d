"""The pure access decision shared by the central API and the gate agents' offline replica.

`decide()` reads only its arguments: no clock, no database, no I/O. The API calls it over
current database rows; an agent whose API did not answer in time calls it over its replica
with ``decided_by=REPLICA``. The order of the checks is part of the contract: the first
failing check names the reason, so an operator always sees the most fundamental problem
(an unknown badge before an expired competency).
"""

from gate_protocol.policy.checks import decide, face_threshold
from gate_protocol.policy.request import (
    PASS_REJECTION_REASONS,
    SOFT_ANTI_PASSBACK,
    DecisionContext,
    DecisionRequest,
    DecisionResult,
    FaceEvidence,
)

__all__ = [
    "PASS_REJECTION_REASONS",
    "SOFT_ANTI_PASSBACK",
    "DecisionContext",
    "DecisionRequest",
    "DecisionResult",
    "FaceEvidence",
    "decide",
    "face_threshold",
]

"""The whole story of one presentation, and the one AccessEvent that tells it.

A `Story` is opened when a decision is made and closed when the turnstile has answered (or
not, within its timeouts); closing it builds the event. Pure: the caller passes the sequence
number, ids and times.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from biometrics.models import encoder_model_id
from gate_protocol.messages import AccessEvent, LatencyBreakdown

from gate_agent.decision.presentation import Presentation, Verdict
from gate_agent.face.step import FaceOutcome

__all__ = ["RESTART_DETAIL", "Story", "build_event", "finish_draft", "join_detail"]

_MAX_DETAIL = 500
RESTART_DETAIL = "agent restarted before the turnstile answered"


def join_detail(*parts: str | None) -> str | None:
    """Join the non-empty detail parts with '; ' (cut to the event's 500 characters)."""
    text = "; ".join(part for part in parts if part)
    return text[:_MAX_DETAIL] or None


@dataclass(frozen=True, slots=True)
class Story:
    """A presentation, its verdict, and what the turnstile did."""

    presentation: Presentation
    verdict: Verdict
    face: FaceOutcome | None
    decision_ms: float
    decided_at: float
    event_id: str
    command_id: str | None = None
    passed: bool | None = None
    turnstile_detail: str | None = None

    def closed(self, *, passed: bool | None, detail: str | None) -> Story:
        """The story with the turnstile's ending."""
        return replace(self, passed=passed, turnstile_detail=detail)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(min(max(value, 0.0), 600_000.0), 3)


def build_event(story: Story, *, seq: int) -> AccessEvent:
    """The AccessEvent for a closed story.

    `total_ms` runs from the credential reaching the agent to the decision being acted on
    (open command sent, or denial recorded); the turnstile's own time is not in it.
    """
    presentation, verdict, face = story.presentation, story.verdict, story.face
    seen = face is not None and face.evidence.seen
    return AccessEvent(
        event_id=story.event_id,
        agent_seq=seq,
        occurred_at=presentation.occurred_at,
        lane=presentation.lane,
        direction=presentation.direction,
        decision=verdict.decision,
        reason=verdict.reason,
        reason_detail=join_detail(
            verdict.detail, face.note if face is not None else None, story.turnstile_detail
        ),
        person_id=verdict.person_id,
        credential_kind=presentation.credential_kind,
        credential_ref=presentation.credential_ref,
        face_score=face.face_score if face is not None else None,
        liveness_score=face.liveness_score if face is not None else None,
        face_model=encoder_model_id() if seen else None,
        face_threshold=verdict.face_threshold if seen else None,
        decided_by=verdict.decided_by,
        replica_version=verdict.replica_version,
        command_id=story.command_id,
        passed=story.passed,
        anti_passback_violation=verdict.anti_passback_violation,
        latency=LatencyBreakdown(
            decode_ms=_ms(presentation.decode_ms),
            face_ms=_ms(face.face_ms) if face is not None else None,
            liveness_ms=_ms(face.liveness_ms) if face is not None else None,
            decision_ms=_ms(story.decision_ms),
            total_ms=_ms((story.decided_at - presentation.started) * 1000),
        ),
    )


def finish_draft(draft: AccessEvent, *, seq: int) -> AccessEvent:
    """The event of an opening whose agent died before the turnstile answered."""
    return draft.model_copy(
        update={
            "agent_seq": seq,
            "passed": None,
            "reason_detail": join_detail(draft.reason_detail, RESTART_DETAIL),
        }
    )

"""A decision through a database session: blocking, so it runs on a worker thread.

`decide_in_session` is the worker-thread way of `central_api.decisions.entry.decide` (and
the benchmark's "service alone"): every read goes through the session it is given. The
pure judgement (`judge_presentation`, the shared `gate_protocol.policy.decide()`) and the
answer with what it writes (`finish_decision`) are shared with the event-loop way.

A granted one-time pass is consumed with a conditional UPDATE (``used_at IS NULL``) in the
same transaction, so of two gates racing the same pass exactly one is granted. Loading the
inputs lives in `central_api.decisions.inputs` and `central_api.decisions.live_state`; this
module decides and records.
"""

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime

from gate_protocol.api_models import DecisionAnswer, DecisionQuery
from gate_protocol.messages import Decision
from gate_protocol.policy import (
    DecisionContext,
    DecisionRequest,
    DecisionResult,
    FaceEvidence,
    decide,
    face_threshold,
)
from gate_protocol.reasons import ReasonCode, describe_reason
from sqlalchemy import update
from sqlmodel import Session, col

from central_api.alarms.raise_alarm import raise_alarm
from central_api.audit.chain import append_audit
from central_api.config import Settings
from central_api.db import utc_now
from central_api.decision_data.cache import DecisionCache, GateInputs, Generation
from central_api.decision_data.changes import change_reader
from central_api.decisions.inputs import Presenter, load_decision_inputs
from central_api.decisions.live_state import LiveState
from central_api.metrics import DECISION_SECONDS, DECISIONS_TOTAL
from central_api.models import Appointment
from central_api.replica.records import appointment_record
from central_api.replica.versions import bump_replica

__all__ = [
    "decide_in_session",
    "finish_decision",
    "judge_presentation",
    "needs_writes",
]


def decide_in_session(
    *,
    session: Session,
    settings: Settings,
    gate_id: str,
    request: DecisionQuery,
    cache: DecisionCache | None = None,
    generation: Generation | None = None,
    recheck_gate: Callable[[Generation], str] | None = None,
    open_write: Callable[[], AbstractContextManager[Session]] | None = None,
) -> DecisionAnswer:
    """Decide one presentation at `gate_id` over current data; commits what it consumed.

    Blocking (database reads through `session`): called on a worker thread, never on the
    event loop.

    Args:
        session: The session every read goes through.
        settings: Pass keys.
        gate_id: The calling gate.
        request: The presentation.
        cache: The app's decision-input cache (None: everything is read from the database).
        generation: The generation to try first (default: the cache's current one).
        recheck_gate: When the data version moved since `generation`, called with the
            fresh generation before anything is loaded into it; returns the gate the
            caller may still act for (or raises: a gate key revoked meanwhile).
        open_write: The session a pass or an alarm is written in (default: `session`).
    """
    started = time.perf_counter()
    now = utc_now()
    cache = cache or DecisionCache()
    generation = generation or cache.current()
    gate, presenter, live = load_decision_inputs(
        session=session,
        settings=settings,
        generation=generation,
        gate_id=gate_id,
        request=request,
        now=now,
    )
    if live.data_version is None or live.data_version != generation.version:
        # The data changed since this process loaded it (or it never did): load again
        # under the version just read; what is loaded now is at least that current.
        generation = cache.generation(live.data_version, changes=change_reader(session))
        if recheck_gate is not None:
            gate_id = recheck_gate(generation)
        gate, presenter, live = load_decision_inputs(
            session=session,
            settings=settings,
            generation=generation,
            gate_id=gate_id,
            request=request,
            now=now,
        )
    return finish_decision(
        open_write=open_write or (lambda: nullcontext(session)),
        gate=gate,
        presenter=presenter,
        live=live,
        request=request,
        now=now,
        started=started,
    )


def judge_presentation(
    *,
    gate: GateInputs,
    presenter: Presenter,
    live: LiveState,
    request: DecisionQuery,
    now: datetime,
) -> DecisionResult:
    """Run the shared `decide()` over the inputs (pure: nothing read or written)."""
    appointment = presenter.appointment
    face = request.face
    return decide(
        DecisionRequest(
            gate=gate.policy,
            zone=gate.zone,
            direction=request.direction,
            credential_kind=request.credential_kind,
            credential=presenter.credential,
            person=presenter.person,
            appointment=appointment_record(appointment) if appointment is not None else None,
            last_passage=live.last,
            face=FaceEvidence(
                seen=face.seen,
                distance=face.distance,
                liveness_passed=face.liveness_passed,
                liveness_score=face.liveness_score,
                watchlist_entry_id=face.watchlist_entry_id,
            )
            if face is not None
            else None,
            pass_rejection=presenter.pass_rejection,
            lane=request.lane,
            recent_presentations=live.recent,
        ),
        DecisionContext(now=now, threat_level=live.threat_level),
    )


def needs_writes(result: DecisionResult) -> bool:
    """Whether recording `result` writes: a one-time pass to consume or alarms to raise."""
    return result.consume_appointment_id is not None or bool(result.alarms)


def finish_decision(
    *,
    open_write: Callable[[], AbstractContextManager[Session]],
    gate: GateInputs,
    presenter: Presenter,
    live: LiveState,
    request: DecisionQuery,
    now: datetime,
    started: float,
    result: DecisionResult | None = None,
) -> DecisionAnswer:
    """Run `decide()`; consume a one-time pass and raise alarms in one transaction; answer.

    Args:
        open_write: Gives the session to write in (and commit) when the decision consumes
            a pass or raises an alarm; most decisions write nothing and never call it.
        gate: The gate's inputs.
        presenter: Who presented what.
        live: The live state read for this decision.
        request: The presentation.
        now: The decision's time.
        started: `time.perf_counter()` when the request began (the latency metric).
        result: `judge_presentation`'s result when the caller already has it.
    """
    gate_id, person_id, person = gate.policy.gate_id, presenter.person_id, presenter.person
    if result is None:
        result = judge_presentation(
            gate=gate, presenter=presenter, live=live, request=request, now=now
        )
    decision, reason, detail = result.decision, result.reason, result.detail
    replica_version = live.replica_version
    if needs_writes(result):
        with open_write() as session:
            if result.consume_appointment_id is not None:
                consumed = session.exec(
                    update(Appointment)
                    .where(
                        col(Appointment.id) == result.consume_appointment_id,
                        col(Appointment.used_at).is_(None),
                    )
                    .values(used_at=now, used_gate=gate_id)
                )
                if consumed.rowcount != 1:
                    decision, reason, detail = Decision.DENIED, ReasonCode.PASS_ALREADY_USED, None
                else:
                    replica_version = bump_replica(
                        session=session, site_id=gate.site_id, person_id=person_id
                    )
            _audit_watchlist_hit(session, gate_id=gate_id, request=request, reason=reason)
            for alarm in result.alarms:
                raise_alarm(
                    session=session,
                    site_id=gate.site_id,
                    gate_id=gate_id,
                    kind=alarm,
                    person_id=person_id,
                    detail=f"decision at {gate_id}: {describe_reason(reason, detail)}",
                    lane=request.lane,
                )
            session.commit()
    DECISIONS_TOTAL.labels(decision=decision.value).inc()
    DECISION_SECONDS.observe(time.perf_counter() - started)
    return DecisionAnswer(
        request_id=request.request_id,
        decision=decision,
        reason=reason,
        reason_text=describe_reason(reason, detail),
        detail=detail,
        person_id=person_id if person is not None else None,
        alarms=tuple(result.alarms),
        replica_version=replica_version,
        anti_passback_violation=result.anti_passback_violation and decision is Decision.GRANTED,
        face_threshold=(
            face_threshold(gate.policy, request.credential_kind)
            if request.face is not None and request.face.seen
            else None
        ),
    )


def _audit_watchlist_hit(
    session: Session, *, gate_id: str, request: DecisionQuery, reason: ReasonCode
) -> None:
    """A face the gate matched to the watchlist is audited with the decision it caused."""
    face = request.face
    if reason is not ReasonCode.WATCHLIST or face is None or face.watchlist_entry_id is None:
        return
    append_audit(
        session=session,
        actor=f"gate:{gate_id}",
        action="watchlist.hit",
        target=face.watchlist_entry_id,
        after={"lane": request.lane, "credential_kind": str(request.credential_kind)},
    )

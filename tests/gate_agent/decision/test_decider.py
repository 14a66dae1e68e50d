import time
from datetime import UTC, datetime

import httpx

from gate_agent.decision.decider import PresentationDecider, ReplicaView
from gate_agent.decision.presentation import Presentation
from gate_agent.links.api_client import ApiClient
from gate_protocol.api_models import DecisionAnswer, DecisionQuery
from gate_protocol.messages import CredentialKind, DecidedBy, Decision, Direction
from gate_protocol.reasons import ReasonCode
from gate_protocol.replica import ReplicaIndex
from testkit.agent.doubles import GATE_KEY, GOOD_BADGE, make_snapshot


def presentation() -> Presentation:
    return Presentation(
        lane=0,
        direction=Direction.ENTRY,
        credential_kind=CredentialKind.BADGE,
        occurred_at=datetime.now(UTC),
        started=time.monotonic(),
        badge_number=GOOD_BADGE,
    )


def decider(handler: object, retry_after_s: float) -> PresentationDecider:
    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
    )
    view = ReplicaView(ReplicaIndex(make_snapshot()), datetime.now(UTC))
    return PresentationDecider(
        api=api,
        replica=lambda: view,
        face=None,
        clock=lambda: datetime.now(UTC),
        retry_after_s=retry_after_s,
    )


def test_central_answer_is_used_when_the_api_answers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        query = DecisionQuery.model_validate_json(request.content)
        answer = DecisionAnswer(
            request_id=query.request_id,
            decision=Decision.DENIED,
            reason=ReasonCode.COMPETENCY_EXPIRED,
            reason_text="x",
            replica_version=8,
        )
        return httpx.Response(200, content=answer.model_dump_json())

    decided = decider(handler, 5).decide(presentation())
    assert decided.verdict.decided_by is DecidedBy.CENTRAL
    assert decided.verdict.reason is ReasonCode.COMPETENCY_EXPIRED
    assert decided.face is None and decided.decision_ms >= 0


def test_after_a_timeout_the_replica_decides_alone_for_a_while() -> None:
    calls: list[int] = []

    def timing_out(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ReadTimeout("slow", request=request)

    quick = decider(timing_out, 60)
    first, second = quick.decide(presentation()), quick.decide(presentation())
    assert len(calls) == 1
    for decided in (first, second):
        assert decided.verdict.decided_by is DecidedBy.REPLICA and decided.verdict.granted
    eager = decider(timing_out, 0)
    eager.decide(presentation())
    eager.decide(presentation())
    assert len(calls) == 3

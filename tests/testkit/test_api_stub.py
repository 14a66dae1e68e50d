"""The agent tests' API stub answers decisions over real HTTP: who it grants, for whom."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from gate_protocol.api_models import DecisionAnswer, DecisionQuery
from gate_protocol.messages import CredentialKind, Decision, Direction
from testkit.agent.api_stub import ApiStub
from testkit.agent.doubles import GATE_KEY, GOOD_BADGE, REVOKED_BADGE


def _ask(stub: ApiStub, badge: str) -> DecisionAnswer:
    query = DecisionQuery(
        request_id=f"r-{badge}",
        direction=Direction.ENTRY,
        credential_kind=CredentialKind.BADGE,
        badge_number=badge,
        occurred_at=datetime.now(UTC),
    )
    reply = httpx.post(
        f"{stub.url}/api/v1/decisions",
        content=query.model_dump_json(),
        headers={"X-Gate-Key": GATE_KEY, "Content-Type": "application/json"},
        timeout=5,
    )
    assert reply.status_code == 200, reply.text
    return DecisionAnswer.model_validate_json(reply.content)


def test_each_holders_badge_is_granted_for_its_own_person_and_no_other_badge_is() -> None:
    stub = ApiStub(holders={"5001": "L1", "5002": "L2"})
    try:
        answers = {badge: _ask(stub, badge) for badge in ("5001", "5002", GOOD_BADGE)}
        assert {b: (a.decision, a.person_id) for b, a in answers.items()} == {
            "5001": (Decision.GRANTED, "L1"),
            "5002": (Decision.GRANTED, "L2"),
            GOOD_BADGE: (Decision.GRANTED, "P1"),  # the default holder stays
        }
        for badge in (REVOKED_BADGE, "5003"):
            denied = _ask(stub, badge)
            assert (denied.decision, denied.person_id) == (Decision.DENIED, None)
    finally:
        stub.stop()

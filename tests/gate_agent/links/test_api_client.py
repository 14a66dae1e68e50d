from datetime import UTC, datetime

import httpx
import pytest

from gate_agent.links.api_client import ApiClient, ApiRejected, ApiUnavailable
from gate_protocol.api_models import DecisionAnswer, DecisionQuery
from gate_protocol.messages import CredentialKind, Decision, Direction
from gate_protocol.reasons import ReasonCode
from testkit.agent.doubles import GATE_KEY, make_snapshot

QUERY = DecisionQuery(
    request_id="r1",
    direction=Direction.ENTRY,
    credential_kind=CredentialKind.BADGE,
    badge_number="1234",
    occurred_at=datetime.now(UTC),
)


def client(handler: object) -> ApiClient:
    return ApiClient(
        base_url="http://api.test/",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
    )


def answer(request_id: str = "r1") -> bytes:
    return (
        DecisionAnswer(
            request_id=request_id,
            decision=Decision.GRANTED,
            reason=ReasonCode.GRANTED,
            reason_text="ok",
            replica_version=3,
        )
        .model_dump_json()
        .encode()
    )


def test_decision_posts_the_query_with_the_gate_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=answer())

    result = client(handler).decide(QUERY)
    assert result.decision is Decision.GRANTED
    assert seen[0].url.path == "/api/v1/decisions"
    assert seen[0].headers["X-Gate-Key"] == GATE_KEY
    assert DecisionQuery.model_validate_json(seen[0].content) == QUERY
    assert seen[0].extensions["timeout"]["read"] == 0.3


@pytest.mark.parametrize(
    "handler",
    [
        lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r)),
        lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r)),
        lambda r: httpx.Response(503),
        lambda r: httpx.Response(200, content=b"{}"),
        lambda r: httpx.Response(200, content=answer("someone-else")),
    ],
    ids=["timeout", "connect", "5xx", "bad-body", "wrong-request"],
)
def test_unusable_answers_mean_unavailable(handler: object) -> None:
    with pytest.raises(ApiUnavailable):
        client(handler).decide(QUERY)


def test_4xx_is_a_rejection() -> None:
    with pytest.raises(ApiRejected, match="401"):
        client(lambda r: httpx.Response(401)).decide(QUERY)


def test_replica_fetch_asks_since_the_current_version() -> None:
    urls: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(request.url)
        return httpx.Response(200, content=make_snapshot().model_dump_json().encode())

    api = client(handler)
    assert api.fetch_replica(7).version == 7
    api.fetch_replica(None)
    assert urls[0].path == "/api/v1/gates/g1/replica" and urls[0].params["since"] == "7"
    assert "since" not in urls[1].params

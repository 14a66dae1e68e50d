from pathlib import Path

import httpx

from gate_agent.links.api_client import ApiClient
from gate_agent.outbox.sender import OutboxSender
from gate_agent.outbox.store import Outbox
from gate_protocol.api_models import EventBatch, EventBatchResult
from gate_protocol.messages import AccessEvent
from testkit.agent.doubles import GATE_KEY
from testkit.agent.doubles import make_event as event


class FakePublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.refuse = False

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        if self.refuse:
            return None
        self.sent.append((topic, payload))
        return len(self.sent)


def sender(
    tmp_path: Path, handler: object, window: int = 2
) -> tuple[OutboxSender[AccessEvent], Outbox, FakePublisher]:
    outbox = Outbox(tmp_path / "o.db", max_unsent=100)
    publisher = FakePublisher()
    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
    )
    return (
        OutboxSender(
            rows=outbox.events,
            publisher=publisher,
            topic="ev",
            window=window,
            api=api,
            batch_size=2,
        ),
        outbox,
        publisher,
    )


def ok(request: httpx.Request) -> httpx.Response:
    batch = EventBatch.model_validate_json(request.content)
    return httpx.Response(
        200, content=EventBatchResult(stored=len(batch.events), duplicates=0).model_dump_json()
    )


def test_window_bounds_what_mqtt_holds_and_puback_marks_sent(tmp_path: Path) -> None:
    events, outbox, publisher = sender(tmp_path, ok)
    for _ in range(3):
        outbox.events.append(event)
    assert events.pump_mqtt() == 2 and events.pump_mqtt() == 0
    assert events.in_flight == 2
    assert events.on_puback(1) and not events.on_puback(1) and not events.on_puback(99)
    assert outbox.events.unsent == 2 and outbox.events.unconfirmed == 3
    assert events.pump_mqtt() == 1
    assert [p for _, p in publisher.sent][2].count(b'"agent_seq":3') == 1


def test_refused_publish_keeps_the_event_for_later(tmp_path: Path) -> None:
    events, outbox, publisher = sender(tmp_path, ok)
    outbox.events.append(event)
    publisher.refuse = True
    assert events.pump_mqtt() == 0
    publisher.refuse = False
    assert events.pump_mqtt() == 1


def test_http_replay_sends_batches_and_marks_them_confirmed(tmp_path: Path) -> None:
    posted: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        posted.append(len(EventBatch.model_validate_json(request.content).events))
        return ok(request)

    events, outbox, _ = sender(tmp_path, handler)
    for _ in range(3):
        outbox.events.append(event)
    assert events.replay_http() == 2 and events.replay_http() == 1 and events.replay_http() == 0
    assert posted == [2, 1] and outbox.events.unsent == 0 and events.replayed_over_http == 3
    # The API's batch answer is its word: nothing left to confirm.
    assert outbox.events.unconfirmed == 0


def test_http_replay_failure_keeps_events(tmp_path: Path) -> None:
    events, outbox, _ = sender(tmp_path, lambda r: httpx.Response(503))
    outbox.events.append(event)
    assert events.replay_http() == 0 and outbox.events.unsent == 1

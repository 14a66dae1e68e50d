"""The reconcile exchange with a fake API, and the sender's and delivery's side of it."""

from collections.abc import Iterable, Sequence
from pathlib import Path

import httpx
import pytest

from gate_agent.links.api_client import (
    EVENT_UPLOAD,
    ApiClient,
    ApiError,
    ApiRejected,
    ApiUnavailable,
    Upload,
)
from gate_agent.outbox.confirm import (
    CONFIRM_BATCH,
    ConfirmBatch,
    ConfirmJob,
    ConfirmOutcome,
    reconcile,
)
from gate_agent.outbox.delivery import Delivery
from gate_agent.outbox.kinds import EVENTS
from gate_agent.outbox.rows import Pending
from gate_agent.outbox.sender import OutboxSender
from gate_agent.outbox.store import Outbox
from gate_protocol.api_models import EventBatchResult, EventIdAnswer, EventIdQuery
from gate_protocol.messages import AccessEvent
from testkit.agent.doubles import GATE_KEY, agent_config
from testkit.agent.doubles import make_event as event
from testkit.agent.loop import FakeWorkers


class FakeApi:
    """Stores events by id; can fail either call."""

    def __init__(self, stored: Iterable[str] = ()) -> None:
        self.stored = set(stored)
        self.asked: list[list[str]] = []
        self.sent: list[list[str]] = []
        self.fail_known: ApiError | None = None
        self.fail_send: ApiError | None = None

    def known(self, wire: Upload[AccessEvent], event_ids: Sequence[str]) -> frozenset[str]:
        assert wire is EVENT_UPLOAD
        self.asked.append(list(event_ids))
        if self.fail_known is not None:
            raise self.fail_known
        return frozenset(self.stored & set(event_ids))

    def upload(self, wire: Upload[AccessEvent], events: Sequence[AccessEvent]) -> EventBatchResult:
        assert wire is EVENT_UPLOAD
        self.sent.append([e.event_id for e in events])
        if self.fail_send is not None:
            raise self.fail_send
        new = {e.event_id for e in events} - self.stored
        self.stored |= new
        return EventBatchResult(stored=len(new), duplicates=len(events) - len(new))


def job(*seqs: int) -> ConfirmJob:
    return ConfirmJob((ConfirmBatch(EVENTS, tuple(Pending(s, event(s)) for s in seqs)),))


def events_of(api: FakeApi, *seqs: int) -> ConfirmOutcome:
    [outcome] = reconcile(api=api, job=job(*seqs)).outcomes
    return outcome


def test_known_events_are_confirmed_without_resending() -> None:
    api = FakeApi(stored={"e1", "e2"})
    result = events_of(api, 1, 2)
    assert result.confirmed == (1, 2) and (result.known, result.resent) == (2, 0)
    assert api.asked == [["e1", "e2"]] and api.sent == []
    assert result.error is None


def test_unknown_events_are_resent_and_then_confirmed() -> None:
    api = FakeApi(stored={"e2"})
    result = events_of(api, 1, 2, 3)
    assert api.sent == [["e1", "e3"]]
    assert sorted(result.confirmed) == [1, 2, 3] and (result.known, result.resent) == (1, 2)
    assert api.stored == {"e1", "e2", "e3"}


def test_an_api_that_cannot_answer_confirms_nothing() -> None:
    api = FakeApi(stored={"e1"})
    api.fail_known = ApiUnavailable("timeout")
    result = events_of(api, 1, 2)
    assert result.confirmed == () and result.error == "timeout" and api.sent == []


def test_a_failed_resend_confirms_only_what_the_api_knew() -> None:
    api = FakeApi(stored={"e1"})
    api.fail_send = ApiRejected("HTTP 422")
    result = events_of(api, 1, 2)
    assert result.confirmed == (1,) and result.resent == 0 and result.error == "HTTP 422"


def test_an_empty_job_asks_nothing() -> None:
    api = FakeApi()
    assert events_of(api).confirmed == ()
    assert api.asked == []


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingPublisher:
    def __init__(self) -> None:
        self.count = 0

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        self.count += 1
        return self.count


def sender(tmp_path: Path, clock: Clock) -> tuple[Delivery, Outbox]:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10_000)
    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(lambda r: httpx.Response(503)),
    )
    publisher = CountingPublisher()
    events = OutboxSender(
        rows=outbox.events,
        publisher=publisher,
        topic="ev",
        window=1000,
        api=api,
        batch_size=10,
        confirm_grace_s=3.0,
        wall=clock,
    )
    alarms = OutboxSender(rows=outbox.alarms, publisher=publisher, topic="al", wall=clock)
    config = agent_config(tmp_path, mqtt_port=1, api_url="http://api.test")
    delivery = Delivery(
        events=events, alarms=alarms, workers=FakeWorkers(), api=config.api, now=0.0
    )
    return delivery, outbox


def test_sender_asks_only_after_the_grace_period_one_job_at_a_time(tmp_path: Path) -> None:
    clock = Clock()
    delivery, outbox = sender(tmp_path, clock)
    events = delivery.events
    for _ in range(3):
        outbox.events.append(event)
    events.pump_mqtt()
    events.on_puback(1)
    events.on_puback(2)
    assert delivery.confirm_job() is None  # published just now
    clock.now += 3.0
    first = delivery.confirm_job()
    assert first is not None and [p.seq for p in first.batches[0].pending] == [1, 2]
    assert delivery.confirming and delivery.confirm_job() is None
    api = FakeApi(stored={"e1"})
    assert delivery.on_confirmed(reconcile(api=api, job=first)) == 2
    assert (events.confirmed_known, events.resent_unknown) == (1, 1)
    assert outbox.events.unconfirmed == 1 and not delivery.confirming
    assert delivery.confirm_job() is None  # event 3 was never PUBACKed


def test_a_job_that_never_reached_the_worker_is_retried(tmp_path: Path) -> None:
    clock = Clock()
    delivery, outbox = sender(tmp_path, clock)
    outbox.events.append(event)
    delivery.events.pump_mqtt()
    delivery.events.on_puback(1)
    clock.now += 10
    refusing = FakeWorkers()
    refusing.confirm = lambda job: False  # type: ignore[method-assign]
    delivery._workers = refusing
    delivery.request_confirm()
    assert not delivery.confirming
    again = delivery.confirm_job()
    assert again is not None and [p.seq for p in again.batches[0].pending] == [1]


def test_a_job_holds_at_most_one_batch(tmp_path: Path) -> None:
    clock = Clock()
    delivery, outbox = sender(tmp_path, clock)
    for _ in range(CONFIRM_BATCH + 5):
        outbox.events.append(event)
    outbox.events.mark_published(range(1, CONFIRM_BATCH + 6), at=clock.now)
    clock.now += 5
    first = delivery.confirm_job()
    assert first is not None and len(first.batches[0].pending) == CONFIRM_BATCH


def test_api_client_known_events_speaks_the_contract() -> None:
    seen: list[EventIdQuery] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/events/known"
        assert request.headers["X-Gate-Key"] == GATE_KEY
        query = EventIdQuery.model_validate_json(request.content)
        seen.append(query)
        # An answer naming ids that were not asked about confirms nothing extra.
        answer = EventIdAnswer(known=(query.event_ids[0], "someone-elses"))
        return httpx.Response(200, content=answer.model_dump_json())

    client = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(handler),
    )
    assert client.known(EVENT_UPLOAD, ["a", "b"]) == frozenset({"a"})
    assert seen[0].event_ids == ("a", "b")


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(503), ApiUnavailable),
        (httpx.Response(422), ApiRejected),
        (httpx.Response(200, content=b'{"nope": 1}'), ApiUnavailable),
    ],
)
def test_api_client_known_events_errors(response: httpx.Response, error: type[ApiError]) -> None:
    client = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(lambda r: response),
    )
    with pytest.raises(error):
        client.known(EVENT_UPLOAD, ["a"])

"""Alarms go through the durable outbox: on disk first, published in order, kept until the API
confirms them (a PUBACK is not enough), replayed over HTTP while MQTT is down."""

import sqlite3
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from gate_agent.links.api_client import ApiUnavailable
from gate_agent.loop.inbox import (
    EventsConfirmed,
    MqttConnected,
    MqttDisconnected,
    MqttPublished,
    PresentationDecided,
)
from gate_agent.outbox.alarms import AlarmSender
from gate_agent.outbox.confirm import ConfirmJob, ConfirmResult, reconcile_events
from gate_agent.outbox.events import Outbox
from gate_protocol.api_models import AlarmBatchResult, EventBatchResult
from gate_protocol.messages import (
    AccessEvent,
    AlarmKind,
    AlarmRaised,
    Decision,
    decode_message,
    new_id,
)
from gate_protocol.topics import GateChannel
from testkit.agent.doubles import topic
from testkit.agent.loop import FakeWorkers, build, decided


def alarm(kind: AlarmKind = AlarmKind.TAILGATING, detail: str = "") -> AlarmRaised:
    return AlarmRaised(alarm_id=new_id(), alarm=kind, at=datetime.now(UTC), detail=detail)


class Recorder:
    def __init__(self, refuse_after: int | None = None) -> None:
        self.published: list[tuple[str, bytes]] = []
        self.refuse_after = refuse_after

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        if self.refuse_after is not None and len(self.published) >= self.refuse_after:
            return None
        self.published.append((topic, payload))
        return len(self.published)


def kinds(payloads: list[bytes]) -> list[str]:
    out = []
    for payload in payloads:
        message = decode_message(payload, expected=AlarmRaised)
        assert isinstance(message, AlarmRaised)
        out.append(message.detail)
    return out


def test_alarms_survive_a_reopen_in_order_and_a_puback_only_marks_them(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    for n in range(3):
        assert outbox.alarms.append(alarm(detail=f"a{n}"))
    outbox.close()  # as after kill -9: nothing was acknowledged
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    assert outbox.alarms.waiting == 3
    bus = Recorder()
    sender = AlarmSender(
        alarms=outbox.alarms, publisher=bus, topic="t/alarm", window=2, confirm_grace_s=0.0
    )
    assert sender.pump_mqtt() == 2  # the window
    assert kinds([p for _, p in bus.published]) == ["a0", "a1"]
    assert sender.on_puback(1) and not sender.on_puback(99)
    assert sender.pump_mqtt() == 1
    assert kinds([p for _, p in bus.published]) == ["a0", "a1", "a2"]
    # The broker has a0, but the API has not said so: it stays on disk, asked about.
    assert outbox.alarms.waiting == 3
    assert [p.alarm.detail for p in sender.confirm_batch()] == ["a0"]
    outbox.close()
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    assert [p.alarm.detail for p in outbox.alarms.pending(limit=10)] == ["a1", "a2"]
    [published] = outbox.alarms.published_unconfirmed(limit=10, published_before=time.time())
    assert published.alarm.detail == "a0"
    assert outbox.alarms.delete([published.seq]) == 1 and outbox.alarms.waiting == 2


def test_the_grace_period_holds_back_fresh_pubacks(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    outbox.alarms.append(alarm(detail="a0"))
    now = [1000.0]
    sender = AlarmSender(
        alarms=outbox.alarms,
        publisher=Recorder(),
        topic="t/alarm",
        confirm_grace_s=3.0,
        wall=lambda: now[0],
    )
    sender.pump_mqtt()
    sender.on_puback(1)
    assert sender.confirm_batch() == ()
    now[0] += 3.0
    assert [p.alarm.detail for p in sender.confirm_batch()] == ["a0"]


def test_a_table_from_before_confirmation_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE alarms (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " alarm_id TEXT NOT NULL UNIQUE, payload TEXT NOT NULL);"
    )
    old = alarm(detail="old")
    db.execute(
        "INSERT INTO alarms (alarm_id, payload) VALUES (?, ?)",
        (old.alarm_id, old.model_dump_json()),
    )
    db.commit()
    db.close()
    outbox = Outbox(path, max_unsent=10)
    # Left over from the PUBACK-deletes era: never acknowledged, so published again.
    assert [p.alarm for p in outbox.alarms.pending(limit=10)] == [old]


class FakeAlarmApi:
    def __init__(self) -> None:
        self.stored: dict[str, AlarmRaised] = {}
        self.down = False

    def known_alarms(self, alarm_ids: list[str]) -> frozenset[str]:
        if self.down:
            raise ApiUnavailable("HTTP 503")
        return frozenset(i for i in alarm_ids if i in self.stored)

    def send_alarms(self, alarms: list[AlarmRaised]) -> AlarmBatchResult:
        if self.down:
            raise ApiUnavailable("HTTP 503")
        new = [a for a in alarms if a.alarm_id not in self.stored]
        self.stored.update((a.alarm_id, a) for a in alarms)
        return AlarmBatchResult(stored=len(new), duplicates=len(alarms) - len(new))


def test_http_replay_sends_the_oldest_alarms_and_forgets_them_once_stored(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    api = FakeAlarmApi()
    sender = AlarmSender(
        alarms=outbox.alarms, publisher=Recorder(), topic="t/alarm", api=api, batch_size=2
    )
    for n in range(3):
        outbox.alarms.append(alarm(detail=f"a{n}"))
    api.down = True
    assert sender.replay_http() == 0 and outbox.alarms.waiting == 3
    api.down = False
    assert sender.replay_http() == 2
    assert sender.replay_http() == 1
    assert sender.replay_http() == 0
    assert sorted(a.detail for a in api.stored.values()) == ["a0", "a1", "a2"]
    assert outbox.alarms.waiting == 0 and sender.replayed_over_http == 3


def test_reconcile_confirms_known_alarms_and_resends_the_lost_ones(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    api = FakeAlarmApi()
    for n in range(3):
        outbox.alarms.append(alarm(detail=f"a{n}"))
    pending = tuple(outbox.alarms.oldest(limit=10))
    api.stored[pending[1].alarm.alarm_id] = pending[1].alarm  # only a1 reached the API
    result = reconcile_events(api=NoEvents(), job=ConfirmJob((), pending), alarm_api=api)
    assert result.alarms_confirmed == tuple(p.seq for p in (pending[1], pending[0], pending[2]))
    assert result.alarms_resent == 2 and result.alarm_error is None
    assert set(api.stored) == {p.alarm.alarm_id for p in pending}
    api.down = True
    failed = reconcile_events(api=NoEvents(), job=ConfirmJob((), pending), alarm_api=api)
    assert failed.alarms_confirmed == () and failed.alarm_error == "HTTP 503"


class NoEvents:
    def known_events(self, event_ids: list[str]) -> frozenset[str]:
        raise AssertionError("no events in the job")

    def send_events(self, events: list[AccessEvent]) -> EventBatchResult:
        raise AssertionError("no events in the job")


def test_alarm_table_is_bounded_and_a_refused_publish_is_retried(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10, max_alarms=2)
    assert outbox.alarms.append(alarm(detail="a0")) and outbox.alarms.append(alarm(detail="a1"))
    assert not outbox.alarms.append(alarm(detail="a2"))
    bus = Recorder(refuse_after=1)
    sender = AlarmSender(alarms=outbox.alarms, publisher=bus, topic="t/alarm")
    assert sender.pump_mqtt() == 1
    bus.refuse_after = None
    assert sender.pump_mqtt() == 1
    assert kinds([p for _, p in bus.published]) == ["a0", "a1"]


def test_agent_keeps_alarms_raised_offline_and_publishes_them_after_reconnect(
    tmp_path: Path,
) -> None:
    agent, outbox, bus = build(tmp_path)
    agent.connected = False
    item = decided(Decision.DENIED)
    for kind in (AlarmKind.LIVENESS, AlarmKind.WATCHLIST):
        verdict = replace(item.verdict, alarms=(kind,))
        agent.handle(PresentationDecided(item.presentation, verdict, None, 1.0))
    assert bus.on(GateChannel.ALARM) == []
    assert outbox.alarms.waiting == 2
    agent.handle(MqttConnected(session_present=False))
    agent.tick()
    raw = bus.on(GateChannel.ALARM)
    alarms = [decode_message(p, expected=AlarmRaised) for p in raw]
    assert [a.alarm for a in alarms if isinstance(a, AlarmRaised)] == [
        AlarmKind.LIVENESS,
        AlarmKind.WATCHLIST,
    ]
    mids = [n + 1 for n, (t, _) in enumerate(bus.published) if t == topic(GateChannel.ALARM)]
    for mid in mids:
        agent.handle(MqttPublished(mid=mid))
    assert outbox.alarms.waiting == 2  # until the API confirms them


def test_pubacked_alarms_go_to_the_confirm_worker_and_are_forgotten_when_confirmed(
    tmp_path: Path,
) -> None:
    workers = FakeWorkers()
    agent, outbox, bus = build(tmp_path, workers=workers, confirm_interval_s=0.01)
    item = decided(Decision.DENIED)
    verdict = replace(item.verdict, alarms=(AlarmKind.LIVENESS,))
    agent.handle(PresentationDecided(item.presentation, verdict, None, 1.0))
    for mid in range(1, len(bus.published) + 1):
        agent.handle(MqttPublished(mid=mid))
    time.sleep(0.02)
    agent.tick()
    [job] = workers.confirms
    [pending] = job.alarms
    assert pending.alarm.alarm == AlarmKind.LIVENESS
    agent.handle(EventsConfirmed(ConfirmResult(0, (), 0, 0, alarm_error="HTTP 503")))
    assert outbox.alarms.waiting == 1
    agent.handle(EventsConfirmed(ConfirmResult(0, (), 0, 0, alarms_confirmed=(pending.seq,))))
    assert outbox.alarms.waiting == 0


def test_alarms_raised_while_mqtt_is_down_reach_the_api_over_http(tmp_path: Path) -> None:
    api = FakeAlarmApi()
    agent, outbox, bus = build(tmp_path, alarm_api=api)
    agent.handle(MqttDisconnected(reason="broker away"))
    item = decided(Decision.DENIED)
    verdict = replace(item.verdict, alarms=(AlarmKind.WATCHLIST,))
    agent.handle(PresentationDecided(item.presentation, verdict, None, 1.0))
    assert outbox.alarms.waiting == 1
    deadline = time.monotonic() + 5
    while outbox.alarms.waiting and time.monotonic() < deadline:
        agent.tick()
        time.sleep(0.05)
    assert [a.alarm for a in api.stored.values()] == [AlarmKind.WATCHLIST]
    assert outbox.alarms.waiting == 0 and bus.on(GateChannel.ALARM) == []


def test_agent_restarted_before_the_puback_publishes_the_alarm_again(tmp_path: Path) -> None:
    agent, outbox, bus = build(tmp_path)
    item = decided(Decision.DENIED)
    verdict = replace(item.verdict, alarms=(AlarmKind.LIVENESS,))
    agent.handle(PresentationDecided(item.presentation, verdict, None, 1.0))
    [first] = bus.on(GateChannel.ALARM)
    outbox.close()  # killed before the broker's PUBACK
    time.sleep(0.01)
    agent2, outbox2, bus2 = build(tmp_path)
    agent2.tick()
    [again] = bus2.on(GateChannel.ALARM)
    assert again == first  # same alarm_id: the API stores it once
    assert outbox2.alarms.waiting == 1

"""Alarms go through the durable outbox: on disk first, published in order, kept until the API
confirms them (a PUBACK is not enough), replayed over HTTP while MQTT is down."""

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gate_agent.decision.decider import PresentationDecided
from gate_agent.links.api_client import ALARM_UPLOAD, ApiUnavailable, Upload
from gate_agent.links.bus import MqttConnected, MqttDisconnected, MqttPublished
from gate_agent.loop.inbox import OutboxConfirmed
from gate_agent.outbox.confirm import (
    ConfirmBatch,
    ConfirmJob,
    ConfirmOutcome,
    ConfirmResult,
    reconcile,
)
from gate_agent.outbox.kinds import ALARMS
from gate_agent.outbox.rows import OutboxFull
from gate_agent.outbox.sender import OutboxSender
from gate_agent.outbox.store import Outbox
from gate_protocol.api_models import AlarmBatchResult
from gate_protocol.messages import (
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


def details(batch: ConfirmBatch | None) -> list[str]:
    assert batch is not None and batch.kind is ALARMS
    return [p.message.detail for p in batch.pending]


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
    assert outbox.alarms.unconfirmed == 3
    bus = Recorder()
    sender = OutboxSender(
        rows=outbox.alarms, publisher=bus, topic="t/alarm", window=2, confirm_grace_s=0.0
    )
    assert sender.pump_mqtt() == 2  # the window
    assert kinds([p for _, p in bus.published]) == ["a0", "a1"]
    assert sender.on_puback(1) and not sender.on_puback(99)
    assert sender.pump_mqtt() == 1
    assert kinds([p for _, p in bus.published]) == ["a0", "a1", "a2"]
    # The broker has a0, but the API has not said so: it stays on disk, asked about.
    assert outbox.alarms.unconfirmed == 3
    assert details(sender.confirm_batch()) == ["a0"]
    outbox.close()
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    assert [p.message.detail for p in outbox.alarms.pending(limit=10)] == ["a1", "a2"]
    [published] = outbox.alarms.published_unconfirmed(limit=10, published_before=time.time())
    assert published.message.detail == "a0"
    assert outbox.alarms.mark_confirmed([published.seq]) == 1
    assert outbox.alarms.unconfirmed == 2


def test_the_grace_period_holds_back_fresh_pubacks(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    outbox.alarms.append(alarm(detail="a0"))
    now = [1000.0]
    sender = OutboxSender(
        rows=outbox.alarms,
        publisher=Recorder(),
        topic="t/alarm",
        confirm_grace_s=3.0,
        wall=lambda: now[0],
    )
    sender.pump_mqtt()
    sender.on_puback(1)
    assert sender.confirm_batch() is None
    now[0] += 3.0
    assert details(sender.confirm_batch()) == ["a0"]


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
    assert [p.message for p in outbox.alarms.pending(limit=10)] == [old]


def test_an_alarm_table_of_the_previous_release_is_upgraded_without_losing_a_row(
    tmp_path: Path,
) -> None:
    # The release before events and alarms were one design: its own AUTOINCREMENT table,
    # published_at set on the PUBACK, a confirmed alarm deleted (so seq 2 is gone).
    path = tmp_path / "o.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE alarms (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " alarm_id TEXT NOT NULL UNIQUE, payload TEXT NOT NULL, published_at REAL);"
    )
    published, confirmed, unpublished = alarm(detail="p"), alarm(detail="c"), alarm(detail="u")
    for row in ((1, published, 1000.0), (2, confirmed, 1000.0), (3, unpublished, None)):
        seq, old, at = row
        db.execute(
            "INSERT INTO alarms (seq, alarm_id, payload, published_at) VALUES (?, ?, ?, ?)",
            (seq, old.alarm_id, old.model_dump_json(), at),
        )
    db.execute("DELETE FROM alarms WHERE seq = 2")
    db.commit()
    db.close()
    outbox = Outbox(path, max_unsent=10)
    assert (outbox.alarms.unsent, outbox.alarms.unconfirmed) == (1, 2)
    assert [p.message for p in outbox.alarms.pending(limit=10)] == [unpublished]
    due = outbox.alarms.published_unconfirmed(limit=10, published_before=1000.0)
    assert [p.message for p in due] == [published]
    # New alarms come after the ones waiting, in the order they were raised.
    outbox.alarms.append(alarm(detail="new"))
    assert [p.seq for p in outbox.alarms.pending(limit=10)] == [3, 4]
    outbox.close()
    again = Outbox(path, max_unsent=10)
    assert (again.alarms.unsent, again.alarms.unconfirmed) == (2, 3)


class FakeAlarmApi:
    def __init__(self) -> None:
        self.stored: dict[str, AlarmRaised] = {}
        self.down = False

    def known(self, wire: Upload[AlarmRaised], alarm_ids: Sequence[str]) -> frozenset[str]:
        assert wire is ALARM_UPLOAD
        if self.down:
            raise ApiUnavailable("HTTP 503")
        return frozenset(i for i in alarm_ids if i in self.stored)

    def upload(self, wire: Upload[AlarmRaised], alarms: Sequence[AlarmRaised]) -> AlarmBatchResult:
        assert wire is ALARM_UPLOAD
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
    sender = OutboxSender(
        rows=outbox.alarms, publisher=Recorder(), topic="t/alarm", api=api, batch_size=2
    )
    for n in range(3):
        outbox.alarms.append(alarm(detail=f"a{n}"))
    api.down = True
    assert sender.replay_http() == 0 and outbox.alarms.unconfirmed == 3
    api.down = False
    assert sender.replay_http() == 2
    assert sender.replay_http() == 1
    assert sender.replay_http() == 0
    assert sorted(a.detail for a in api.stored.values()) == ["a0", "a1", "a2"]
    assert outbox.alarms.unconfirmed == 0 and sender.replayed_over_http == 3


def test_reconcile_confirms_known_alarms_and_resends_the_lost_ones(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    api = FakeAlarmApi()
    for n in range(3):
        outbox.alarms.append(alarm(detail=f"a{n}"))
    pending = tuple(outbox.alarms.pending(limit=10))
    api.stored[pending[1].message.alarm_id] = pending[1].message  # only a1 reached the API
    job = ConfirmJob((ConfirmBatch(ALARMS, pending),))
    [result] = reconcile(api=api, job=job).outcomes
    assert result.kind is ALARMS
    assert result.confirmed == tuple(p.seq for p in (pending[1], pending[0], pending[2]))
    assert result.resent == 2 and result.error is None
    assert set(api.stored) == {p.message.alarm_id for p in pending}
    api.down = True
    [failed] = reconcile(api=api, job=job).outcomes
    assert failed.confirmed == () and failed.error == "HTTP 503"


def test_alarm_table_is_bounded_and_a_refused_publish_is_retried(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10, max_alarms=2)
    assert outbox.alarms.append(alarm(detail="a0")) and outbox.alarms.append(alarm(detail="a1"))
    with pytest.raises(OutboxFull):
        outbox.alarms.append(alarm(detail="a2"))
    bus = Recorder(refuse_after=1)
    sender = OutboxSender(rows=outbox.alarms, publisher=bus, topic="t/alarm")
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
    assert outbox.alarms.unconfirmed == 2
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
    assert outbox.alarms.unconfirmed == 2  # until the API confirms them


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
    [batch] = [b for b in job.batches if b.kind is ALARMS]
    [pending] = batch.pending
    assert batch.kind is ALARMS and pending.message.alarm == AlarmKind.LIVENESS
    failed = ConfirmOutcome(ALARMS, 1, error="HTTP 503")
    agent.handle(OutboxConfirmed(ConfirmResult((failed,))))
    assert outbox.alarms.unconfirmed == 1
    confirmed = ConfirmOutcome(ALARMS, 1, confirmed=(pending.seq,))
    agent.handle(OutboxConfirmed(ConfirmResult((confirmed,))))
    assert outbox.alarms.unconfirmed == 0


def test_alarms_raised_while_mqtt_is_down_reach_the_api_over_http(tmp_path: Path) -> None:
    api = FakeAlarmApi()
    agent, outbox, bus = build(tmp_path, alarm_api=api)
    agent.handle(MqttDisconnected(reason="broker away"))
    item = decided(Decision.DENIED)
    verdict = replace(item.verdict, alarms=(AlarmKind.WATCHLIST,))
    agent.handle(PresentationDecided(item.presentation, verdict, None, 1.0))
    assert outbox.alarms.unconfirmed == 1
    deadline = time.monotonic() + 5
    while outbox.alarms.unconfirmed and time.monotonic() < deadline:
        agent.tick()
        time.sleep(0.05)
    assert [a.alarm for a in api.stored.values()] == [AlarmKind.WATCHLIST]
    assert outbox.alarms.unconfirmed == 0 and bus.on(GateChannel.ALARM) == []


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
    assert outbox2.alarms.unconfirmed == 1

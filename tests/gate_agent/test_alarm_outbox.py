"""Alarms go through the durable outbox: on disk first, published in order, gone on PUBACK."""

import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from agent_support import topic
from test_agent_loop import build, decided

from gate_agent.alarm_outbox import AlarmSender
from gate_agent.inbox import MqttConnected, MqttPublished, PresentationDecided
from gate_agent.outbox import Outbox
from gate_protocol.messages import AlarmKind, AlarmRaised, Decision, decode_message, new_id
from gate_protocol.topics import GateChannel


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


def test_alarms_survive_a_reopen_in_order_and_are_deleted_on_puback(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    for n in range(3):
        assert outbox.alarms.append(alarm(detail=f"a{n}"))
    outbox.close()  # as after kill -9: nothing was acknowledged
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    assert outbox.alarms.waiting == 3
    bus = Recorder()
    sender = AlarmSender(alarms=outbox.alarms, publisher=bus, topic="t/alarm", window=2)
    assert sender.pump_mqtt() == 2  # the window
    assert kinds([p for _, p in bus.published]) == ["a0", "a1"]
    assert sender.on_puback(1) and not sender.on_puback(99)
    assert sender.pump_mqtt() == 1
    assert kinds([p for _, p in bus.published]) == ["a0", "a1", "a2"]
    assert outbox.alarms.waiting == 2
    outbox.close()
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    assert [p.alarm.detail for p in outbox.alarms.pending(limit=10)] == ["a1", "a2"]


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
    assert outbox.alarms.waiting == 0


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

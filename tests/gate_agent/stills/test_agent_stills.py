"""The agent's alarm stills: opt-in, small JPEGs, a capped file, and always behind events."""

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from gate_agent.camera.frames import Frame
from gate_agent.config import ConfigError
from gate_agent.links.bus import MqttConnected, MqttPublished
from gate_agent.stills.encode import jpeg_of
from gate_agent.stills.sender import StillSender
from gate_agent.stills.settings import STILLS_ENV, stills_enabled
from gate_agent.stills.store import StillStore
from gate_agent.stills.taker import AgentStills, StillTaker
from gate_protocol.messages import AlarmKind, AlarmRaised, Decision, decode_message
from gate_protocol.stills import decode_still
from gate_protocol.topics import GateChannel
from testkit.agent.doubles import topic
from testkit.agent.loop import FakeBus, build, decided
from testkit.polling import wait_until


class Camera:
    """The camera ring as the taker sees it: one newest frame, or none yet."""

    def __init__(self, frame: Frame | None) -> None:
        self.frame = frame

    def newest(self, *, after: float, timeout_s: float) -> Frame | None:
        assert timeout_s == 0  # never waits on the loop's thread
        return self.frame


class Publisher:
    """Records publishes; refuses them while `refusing`."""

    def __init__(self) -> None:
        self.published: list[tuple[str, bytes]] = []
        self.refusing = False

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        if self.refusing:
            return None
        self.published.append((topic, payload))
        return len(self.published)


def frame(width: int = 1280, height: int = 720) -> Frame:
    image = np.zeros((height, width, 3), dtype=np.uint8)
    cv2.circle(image, (width // 2, height // 2), height // 4, (200, 180, 160), -1)
    return Frame(image=image, number=1, at=1.0)


@pytest.mark.parametrize(
    ("value", "on"), [(None, False), ("", False), ("0", False), ("off", False), ("1", True)]
)
def test_stills_are_off_unless_the_variable_says_on(value: str | None, on: bool) -> None:
    assert stills_enabled({} if value is None else {STILLS_ENV: value}) is on


def test_a_misspelled_value_stops_the_start_with_a_config_error() -> None:
    with pytest.raises(ConfigError, match=STILLS_ENV):
        stills_enabled({STILLS_ENV: "perhaps"})


def test_a_frame_becomes_a_jpeg_at_most_640_px_wide() -> None:
    wide = cv2.imdecode(np.frombuffer(jpeg_of(frame().image), np.uint8), cv2.IMREAD_COLOR)
    assert wide is not None and wide.shape[:2] == (360, 640)  # aspect kept
    small = cv2.imdecode(np.frombuffer(jpeg_of(frame(320, 240).image), np.uint8), 1)
    assert small is not None and small.shape[:2] == (240, 320)  # never upscaled


def test_the_store_is_capped_and_a_still_leaves_it_only_at_its_puback(tmp_path: Path) -> None:
    store = StillStore(tmp_path / "o.db.stills", max_bytes=250)
    assert store.add("a1", b"x" * 100) and store.add("a2", b"y" * 100)
    assert not store.add("a3", b"z" * 100)  # over the cap: dropped, the others stay
    publisher = Publisher()
    sender = StillSender(store=store, publisher=publisher, topic="t", window=1)
    assert sender.pump_mqtt() == 1 and sender.pump_mqtt() == 0  # the window is full
    assert not sender.on_puback(99)  # not a still's message id
    assert sender.on_puback(1) and store.waiting == 1
    publisher.refusing = True
    assert sender.pump_mqtt() == 0 and store.waiting == 1  # waits on disk
    store.close()
    reopened = StillStore(tmp_path / "o.db.stills", max_bytes=250)  # a restart
    again = StillSender(store=reopened, publisher=Publisher(), topic="t")
    assert again.pump_mqtt() == 1 and reopened.pending(limit=5, after_seq=0)[0][1] == b"y" * 100


def test_a_lane_alarm_takes_a_still_that_goes_out_after_the_events(tmp_path: Path) -> None:
    store = StillStore(tmp_path / "o.db.stills", max_bytes=1 << 20)
    camera = Camera(None)
    # The encoder thread writes through a connection of its own, as agent_stills wires it.
    taker = StillTaker(frames=camera, store=StillStore(store.path, max_bytes=1 << 20))

    def wire(bus: FakeBus) -> AgentStills:
        sender = StillSender(store=store, publisher=bus, topic=topic(GateChannel.STILL))
        return AgentStills(taker=taker, sender=sender, store=store)

    agent, _, bus = build(tmp_path, stills=wire)
    agent.connected = False
    item = decided(Decision.DENIED)
    watchlist = replace(item, verdict=replace(item.verdict, alarms=(AlarmKind.WATCHLIST,)))
    agent.handle(watchlist)
    assert taker.counts == {"no_frame": 1} and store.waiting == 0  # no frame yet: no still
    camera.frame = frame()
    agent.handle(watchlist)
    assert wait_until(lambda: store.waiting == 1, 10)  # encoded off the loop's thread
    assert taker.counts == {"no_frame": 1, "taken": 1}
    agent.handle(MqttConnected(session_present=False))
    agent.tick()
    assert bus.on(GateChannel.STILL) == []  # the events and alarms first
    alarms = [decode_message(p, expected=AlarmRaised) for p in bus.on(GateChannel.ALARM)]
    assert len(alarms) == 2 and len(bus.on(GateChannel.EVENT)) == 2
    for mid in range(1, len(bus.published) + 1):
        agent.handle(MqttPublished(mid=mid))
    agent.tick()
    [payload] = bus.on(GateChannel.STILL)
    still = decode_still(payload)
    assert isinstance(alarms[1], AlarmRaised) and still.alarm_id == alarms[1].alarm_id
    assert still.lane == 0 and len(still.jpeg_bytes()) > 1000
    agent.handle(MqttPublished(mid=len(bus.published)))
    assert store.waiting == 0

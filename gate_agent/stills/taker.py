"""Taking the still of a lane alarm: the camera's newest frame, as JPEG, into the still file.

`AlarmRecorder` calls `StillTaker` on the agent loop's thread once the alarm is on disk.
Only alarms of a lane (tailgating, watchlist, liveness, a decision's alarms) get one: an
outbox or clock alarm has no lane and no picture to show. The frame is the newest the
camera's ring holds (never waited for); the JPEG is made on a thread of its own.
Nothing that goes wrong here may stop the alarm: it is already recorded.
"""

from __future__ import annotations

import base64
import logging
import queue
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from gate_protocol.messages import AlarmRaised
from gate_protocol.stills import StillTaken, encode_still
from gate_protocol.topics import GateChannel, GateTopic, build_topic

from gate_agent.camera.frames import Frame
from gate_agent.config import AgentConfig
from gate_agent.outbox.publish_window import Publisher
from gate_agent.stills.encode import jpeg_of
from gate_agent.stills.sender import StillSender
from gate_agent.stills.settings import STILL_SPACE_BYTES, stills_enabled
from gate_agent.stills.store import StillStore

__all__ = ["AgentStills", "NewestFrame", "StillTaker", "agent_stills"]

_log = logging.getLogger(__name__)


class NewestFrame(Protocol):
    """The camera's ring of recent frames (`gate_agent.camera.frame_pump.FramePump`)."""

    def newest(self, *, after: float, timeout_s: float) -> Frame | None:
        """The newest frame captured after `after`, waiting at most `timeout_s`."""
        ...


class StillTaker:
    """Takes the still of each lane alarm: the frame on the loop's thread, the JPEG on its own.

    The loop only picks the newest frame (a reference, no copy) and queues it; a daemon
    thread, started at the first still, encodes it and writes it through its own
    connection to the still file (`store`; SQLite in WAL mode serves both connections), so
    the loop never waits for an encoder. A still that finds the queue full is dropped.

    Attributes:
        counts: ``taken``, ``no_frame``, ``busy``, ``no_room``, ``failed``.
    """

    def __init__(self, *, frames: NewestFrame, store: StillStore, queue_size: int = 4) -> None:
        self._frames = frames
        self._store = store
        self._jobs: queue.Queue[tuple[AlarmRaised, Frame]] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def __call__(self, alarm: AlarmRaised) -> None:
        """Queue the still of `alarm` if it is a lane's (never raises, never waits)."""
        if alarm.lane is None:
            return
        frame = self._frames.newest(after=float("-inf"), timeout_s=0)
        if frame is None:
            self._count("no_frame")
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="agent-stills", daemon=True)
            self._thread.start()
        try:
            self._jobs.put_nowait((alarm, frame))
        except queue.Full:
            self._count("busy")

    def _count(self, outcome: str) -> None:
        with self._lock:
            self.counts[outcome] += 1

    def _run(self) -> None:
        while True:
            alarm, frame = self._jobs.get()
            try:
                outcome = self._keep(alarm, frame)
            except Exception:  # the alarm is recorded already; a still is a bonus
                _log.exception("camera still for alarm %s failed", alarm.alarm_id)
                outcome = "failed"
            self._count(outcome)

    def _keep(self, alarm: AlarmRaised, frame: Frame) -> str:
        jpeg = base64.b64encode(jpeg_of(frame.image)).decode()
        still = StillTaken(alarm_id=alarm.alarm_id, lane=alarm.lane, at=alarm.at, jpeg=jpeg)
        if not self._store.add(alarm.alarm_id, encode_still(still)):
            _log.warning("no room for the camera still of alarm %s: dropped", alarm.alarm_id)
            return "no_room"
        return "taken"


@dataclass(frozen=True, slots=True)
class AgentStills:
    """The still parts an agent wires: the recorder hook and the sender."""

    taker: StillTaker
    sender: StillSender
    store: StillStore


def agent_stills(
    config: AgentConfig, bus: Publisher, frames: NewestFrame | None
) -> AgentStills | None:
    """The stills of an agent with a camera whose ``PORTGATE_AGENT_ALARM_STILLS`` is on.

    Raises:
        StillsSettingError: the variable is neither on nor off.
    """
    if not stills_enabled() or frames is None:
        return None
    path = config.outbox.path.with_name(config.outbox.path.name + ".stills")
    store = StillStore(path, max_bytes=STILL_SPACE_BYTES)  # the loop's connection
    writer = StillStore(path, max_bytes=STILL_SPACE_BYTES)  # the encoder thread's
    topic = build_topic(GateTopic(site=config.site, gate=config.gate, channel=GateChannel.STILL))
    sender = StillSender(store=store, publisher=bus, topic=topic)
    return AgentStills(taker=StillTaker(frames=frames, store=writer), sender=sender, store=store)

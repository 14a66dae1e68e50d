"""Taking the still of a lane alarm: the camera's newest frame, as JPEG, into the still file.

`AlarmRecorder` calls `StillTaker` on the agent loop's thread once the alarm is on disk.
Only alarms of a lane (tailgating, watchlist, liveness, a decision's alarms) get one: an
outbox or clock alarm has no lane and no picture to show. The frame is the newest the
camera's ring holds (never waited for); encoding a 640 px frame takes milliseconds.
Nothing that goes wrong here may stop the alarm: it is already recorded.
"""

from __future__ import annotations

import base64
import logging
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
    """Keeps the still of each lane alarm for the sender (loop thread only).

    Attributes:
        counts: ``taken``, ``no_frame``, ``no_room``, ``failed``.
    """

    def __init__(self, *, frames: NewestFrame, store: StillStore) -> None:
        self._frames = frames
        self._store = store
        self.counts: Counter[str] = Counter()

    def __call__(self, alarm: AlarmRaised) -> None:
        """Take and keep the still of `alarm` if it is a lane's (never raises)."""
        if alarm.lane is None:
            return
        try:
            outcome = self._take(alarm)
        except Exception:  # the alarm is recorded already; a still is a bonus
            _log.exception("camera still for alarm %s failed", alarm.alarm_id)
            outcome = "failed"
        self.counts[outcome] += 1

    def _take(self, alarm: AlarmRaised) -> str:
        frame = self._frames.newest(after=float("-inf"), timeout_s=0)
        if frame is None:
            return "no_frame"
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
    path = config.outbox.path
    store = StillStore(path.with_name(path.name + ".stills"), max_bytes=STILL_SPACE_BYTES)
    topic = build_topic(GateTopic(site=config.site, gate=config.gate, channel=GateChannel.STILL))
    sender = StillSender(store=store, publisher=bus, topic=topic)
    return AgentStills(taker=StillTaker(frames=frames, store=store), sender=sender, store=store)

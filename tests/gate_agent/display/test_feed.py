"""From a verdict to a lane screen: a first name on a grant only, guidance and language."""

import base64
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from gate_agent.display.board import LaneBoard, ScreenState
from gate_agent.display.feed import LaneFeed
from gate_agent.display.guidance import FaceHint
from gate_protocol.reasons import ReasonCode
from gate_protocol.replica import ReplicaIndex
from testkit.agent.lane_world import lane_world

WORLD = lane_world(base64.b64encode(bytes(512)).decode())
INDEX = ReplicaIndex(WORLD.snapshot)


@dataclass(frozen=True)
class Shown:
    lane: int
    pass_id: str | None = None


@dataclass(frozen=True)
class Decided:
    presentation: Shown


@dataclass(frozen=True)
class Said:
    reason: ReasonCode
    person_id: str | None = None
    detail: str | None = None

    @property
    def granted(self) -> bool:
        return self.reason is ReasonCode.GRANTED


def _feed() -> tuple[LaneFeed, LaneBoard]:
    board = LaneBoard((0, 1), show_s=60)
    now = WORLD.opens_at - timedelta(hours=2)
    return LaneFeed(board, lambda: INDEX, zone=ZoneInfo("Europe/Vilnius"), clock=lambda: now), board


def test_a_grant_shows_the_first_name_and_a_denial_shows_none() -> None:
    feed, board = _feed()
    feed.on_decided(Decided(Shown(1)), Said(ReasonCode.GRANTED, "P1"))
    granted = board.current(1)
    assert granted.state is ScreenState.GRANTED and granted.name == "Anna"
    assert board.current(0).state is ScreenState.IDLE  # nothing on the other lane
    feed.on_decided(Decided(Shown(1)), Said(ReasonCode.PORT_BAN, "P8", "PA 7/2026"))
    denied = board.current(1)
    assert denied.state is ScreenState.DENIED and denied.name is None
    assert denied.message == "Please see the security desk."
    assert "PA 7/2026" not in str(denied.as_json()) and "P8" not in str(denied.as_json())


def test_the_appointment_opening_comes_from_the_replica_in_the_sites_zone() -> None:
    feed, board = _feed()
    said = Said(ReasonCode.OUTSIDE_APPOINTMENT_WINDOW, "P4", "window 22:00-23:00")
    feed.on_decided(Decided(Shown(0, "PASS4")), said)
    screen = board.current(0)
    local = WORLD.opens_at.astimezone(ZoneInfo("Europe/Vilnius"))
    assert screen.params == {"time": f"{local:%H:%M}"} and screen.language == "pl"


def test_a_grant_the_gate_cannot_open_is_not_a_welcome() -> None:
    feed, board = _feed()
    feed.on_decided(Decided(Shown(0)), Said(ReasonCode.GRANTED, "P1"), can_open=False)
    screen = board.current(0)
    assert screen.state is ScreenState.DENIED and screen.name is None
    assert screen.message == "This gate cannot check you right now."


def test_the_face_step_asks_in_the_holders_language() -> None:
    feed, board = _feed()
    feed.looking(0, "P9", hint=FaceHint.TOO_SMALL)
    screen = board.current(0)
    assert screen.state is ScreenState.LOOK and screen.language == "ro"
    assert screen.hint == "Come closer to the camera."
    feed.looking(0, None)
    assert board.current(0).language == "en" and board.current(0).hint == "Look at the camera."


def test_a_pass_issued_in_a_language_speaks_it_over_the_holder_s() -> None:
    feed, board = _feed()
    granted = Said(ReasonCode.GRANTED, "P2")
    feed.on_decided(Decided(Shown(0, "PASS2")), granted)  # Sam reads English; pass: Turkish
    assert board.current(0).language == "tr" and board.current(0).name == "Sam"
    said = Said(ReasonCode.OUTSIDE_APPOINTMENT_WINDOW, "P2", "window")
    feed.on_decided(Decided(Shown(0, "PASS3")), said)  # his Polish pass, for later
    denied = board.current(0)
    assert denied.state is ScreenState.DENIED and denied.language == "pl"
    assert denied.params == {
        "time": f"{WORLD.opens_at.astimezone(ZoneInfo('Europe/Vilnius')):%H:%M}"
    }
    feed.looking(1, "P2", "PASS2")  # the face step's wait speaks the pass's language too
    assert board.current(1).language == "tr"
    feed.on_decided(Decided(Shown(1)), granted)  # his badge, no pass: his own English
    assert board.current(1).language == "en"
    feed.on_decided(Decided(Shown(1, "NOSUCHPASS")), Said(ReasonCode.UNKNOWN_CREDENTIAL))
    assert board.current(1).language == "en"  # an unknown pass: English

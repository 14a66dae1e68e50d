"""The face step's hint on the lane screen: one map from the quality reasons, "look" only."""

import base64
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from biometrics.quality import QualityReason
from gate_agent.display.board import LaneBoard, ScreenState
from gate_agent.display.feed import LaneFeed
from gate_agent.display.guidance import FaceHint, face_hint_for, face_hint_text
from gate_agent.display.service import LaneDisplay
from gate_agent.display.settings import DisplayConfig
from gate_protocol.reasons import ReasonCode
from gate_protocol.replica import ReplicaIndex
from testkit.agent.lane_world import lane_world

INDEX = ReplicaIndex(lane_world(base64.b64encode(bytes(512)).decode()).snapshot)


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
    granted: bool = False


def _feed() -> tuple[LaneFeed, LaneBoard]:
    board = LaneBoard((0, 1), show_s=60)
    return LaneFeed(board, lambda: INDEX, zone=ZoneInfo("UTC")), board


@pytest.mark.parametrize("reason", list(QualityReason))
def test_every_quality_reason_maps_to_its_own_hint(reason: QualityReason) -> None:
    hint = face_hint_for(reason)
    assert hint is not FaceHint.LOOK and hint.value == reason.value


def test_a_good_face_or_an_unknown_reason_asks_to_look_at_the_camera() -> None:
    assert face_hint_for(None) is FaceHint.LOOK
    assert face_hint_for("something_new") is FaceHint.LOOK


def test_a_hint_changes_the_look_screen_in_the_holders_language() -> None:
    feed, board = _feed()
    feed.looking(0, "P9")  # Ion reads Romanian
    before = board.current(0)
    feed.hint(0, QualityReason.TOO_DARK)
    screen = board.current(0)
    assert screen.state is ScreenState.LOOK and screen.language == "ro"
    assert screen.hint == face_hint_text(FaceHint.TOO_DARK) == "Move into the light."
    assert screen.seq > before.seq  # a new screen: the waiting pages are told
    assert "P9" not in str(screen.as_json()) and "Ion" not in str(screen.as_json())
    feed.hint(0, None)  # the face is good again
    assert board.current(0).hint == "Look at the camera."
    assert board.current(1).state is ScreenState.IDLE  # the other lane is untouched


def test_a_hint_never_replaces_an_outcome_or_an_idle_screen() -> None:
    feed, board = _feed()
    feed.hint(1, QualityReason.TOO_BRIGHT)
    assert board.current(1).state is ScreenState.IDLE and board.current(1).hint is None
    feed.looking(0, None)
    feed.on_decided(Decided(Shown(0)), Said(ReasonCode.FACE_MISMATCH, "P9"))
    shown = board.current(0)
    feed.hint(0, QualityReason.TOO_DARK)  # a late hint of the step that just ended
    assert board.current(0) == shown
    feed.hint(7, QualityReason.TOO_DARK)  # a lane without a screen: nothing, no error


def test_the_same_hint_twice_is_not_a_new_screen() -> None:
    feed, board = _feed()
    feed.looking(0, None)
    feed.hint(0, QualityReason.TURNED_AWAY)
    first = board.current(0)
    feed.hint(0, QualityReason.TURNED_AWAY)
    assert board.current(0).seq == first.seq


@dataclass(frozen=True)
class NoReplica:
    index: ReplicaIndex | None = None


def test_only_a_served_display_takes_hints() -> None:
    quiet = LaneDisplay(DisplayConfig(), lanes=(0,), replica=NoReplica)
    assert quiet.hint_callback is None
    served = LaneDisplay(
        DisplayConfig(port=0),
        lanes=(0,),
        replica=NoReplica,
        tokens={0: "lane0-tQ7xVb2LmN9cR4sK8wYe1ZuH6jD3fG5a"},
    )
    assert served.hint_callback is not None
    served.looking(0)
    served.hint_callback(0, QualityReason.TOO_SMALL)
    assert served.board.current(0).hint == "Come closer to the camera."

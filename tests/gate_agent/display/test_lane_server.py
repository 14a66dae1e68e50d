"""The lane pages' server: the lane's token or nothing, the screen of its own lane only."""

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.client import HTTPResponse

import pytest

from gate_agent.display.board import LaneBoard, Screen, ScreenState
from gate_agent.display.server import DisplayConfigError, LaneDisplayServer, read_lane_tokens
from gate_agent.display.settings import DisplayConfig

TOKENS = {0: "lane0-Vq9sLw2xRt7yPz4kE3uA8cN1mB6hT0jW", 1: "lane1-Hb3nMc8dJf6gKs1qX5vZ9pL2wR7yD4fG"}


@pytest.fixture
def served() -> Iterator[LaneDisplayServer]:
    board = LaneBoard((0, 1), show_s=30)
    server = LaneDisplayServer(DisplayConfig(port=0, sound=True), board, TOKENS)
    server.start()
    yield server
    server.stop()


def _get(
    server: LaneDisplayServer, path: str, method: str = "GET"
) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310 (local test)
            return reply.status, reply.read().decode(), dict(reply.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def test_the_page_is_served_with_its_token_under_a_strict_policy(served: LaneDisplayServer) -> None:
    status, body, headers = _get(served, f"/lane/1?token={TOKENS[1]}")
    assert status == 200 and 'data-lane="1"' in body and 'data-sound="1"' in body
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    assert "Polski" in body and "Türkçe" in body  # the picker names each language in itself
    assert "http" not in body.split("<body")[1]  # nothing from elsewhere
    status, script, headers = _get(served, "/lane/assets/lane.js")
    assert status == 200 and "EventSource" in script and "javascript" in headers["Content-Type"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/lane/1", 403),  # no token
        (f"/lane/1?token={TOKENS[0]}", 403),  # another lane's token
        ("/lane/1?token=x", 403),
        (f"/lane/1/events?token={TOKENS[0]}", 403),
        (f"/lane/7?token={TOKENS[1]}", 404),  # a lane without a screen
        ("/lane/abc", 404),
        ("/lane/assets/../server.py", 404),
        ("/", 404),
    ],
)
def test_a_wrong_token_or_unknown_lane_gets_the_one_page_that_says_nothing(
    served: LaneDisplayServer, path: str, status: int
) -> None:
    served.board.show(1, Screen(state=ScreenState.GRANTED, name="Anna"))
    got, body, _ = _get(served, path)
    assert got == status
    assert "This display is not available." in body
    assert "Anna" not in body and "lane-texts" not in body and "EventSource" not in body


def test_the_page_takes_no_writes(served: LaneDisplayServer) -> None:
    assert _get(served, f"/lane/1?token={TOKENS[1]}", method="POST")[0] == 405


def _stream(server: LaneDisplayServer, lane: int) -> HTTPResponse:
    url = f"http://127.0.0.1:{server.port}/lane/{lane}/events?token={TOKENS[lane]}"
    return urllib.request.urlopen(url, timeout=5)  # type: ignore[no-any-return]  # noqa: S310


def _next_screen(reply: HTTPResponse) -> dict[str, object]:
    while True:
        line = reply.readline().decode()
        if line.startswith("data: "):
            return json.loads(line[6:])  # type: ignore[no-any-return]


def test_the_stream_gives_the_screen_now_then_each_change_of_its_own_lane(
    served: LaneDisplayServer,
) -> None:
    with _stream(served, 0) as reply:
        assert reply.headers["Content-Type"].startswith("text/event-stream")
        assert _next_screen(reply)["state"] == "idle"
        served.board.show(1, Screen(state=ScreenState.GRANTED, name="Other"))  # not lane 0's
        threading.Timer(
            0.2, served.board.show, (0, Screen(state=ScreenState.DENIED, message="m"))
        ).start()
        screen = _next_screen(reply)
        assert screen["state"] == "denied" and screen["message"] == "m" and screen["name"] is None


def test_an_outcome_goes_back_to_idle_after_its_time() -> None:
    now = [0.0]
    board = LaneBoard((0,), show_s=8, clock=lambda: now[0])
    board.show(0, Screen(state=ScreenState.GRANTED, name="Anna"))
    shown = board.current(0)
    assert shown.state is ScreenState.GRANTED
    now[0] = 8.5
    idle = board.current(0)
    assert idle.state is ScreenState.IDLE and idle.name is None and idle.seq > shown.seq
    board.show(5, Screen(state=ScreenState.GRANTED))  # a lane without a screen: nothing
    with pytest.raises(KeyError):
        board.current(5)


def test_a_missing_or_weak_lane_token_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTGATE_DEV_MODE", raising=False)
    with pytest.raises(DisplayConfigError, match="PORTGATE_LANE_TOKEN_1 is not set"):
        read_lane_tokens((0, 1), env={"PORTGATE_LANE_TOKEN_0": TOKENS[0]})
    with pytest.raises(DisplayConfigError, match="PORTGATE_LANE_TOKEN_0"):
        read_lane_tokens((0,), env={"PORTGATE_LANE_TOKEN_0": "password"})
    assert read_lane_tokens((1,), env={"PORTGATE_LANE_TOKEN_1": TOKENS[1]}) == {1: TOKENS[1]}

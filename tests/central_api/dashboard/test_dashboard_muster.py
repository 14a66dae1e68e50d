"""Pure parts of the dashboard: presence folding, CSV escaping, per-minute buckets, board."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central_api.dashboard.board import GateBoard, GateMeta, NodeView
from central_api.dashboard.charts import bucket_per_minute
from central_api.dashboard.csv_export import escape_cell, render_csv
from central_api.dashboard.muster import Passage, fold_presence
from gate_protocol.messages import Direction

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def passage(person: str, zone: str, direction: Direction, minute: int, eid: str = "") -> Passage:
    return Passage(
        person_id=person,
        zone_id=zone,
        gate_id=f"{zone}-gate",
        direction=direction,
        at=T0 + timedelta(minutes=minute),
        event_id=eid,
    )


def test_the_latest_passage_per_person_and_zone_decides() -> None:
    rows = [
        passage("ana", "quay", Direction.ENTRY, 0),
        passage("ana", "quay", Direction.EXIT, 30),
        passage("ben", "quay", Direction.EXIT, 5),
        passage("ben", "quay", Direction.ENTRY, 40),
        passage("ana", "yard", Direction.ENTRY, 35),
        passage("cem", "yard", Direction.ENTRY, 1),
    ]
    present = fold_presence(reversed(rows))
    assert [(p.person_id, p.zone_id) for p in present] == [
        ("ben", "quay"),
        ("cem", "yard"),
        ("ana", "yard"),
    ]
    assert present[0].at == T0 + timedelta(minutes=40)


@given(st.permutations(range(6)))
def test_the_result_does_not_depend_on_input_order(order: list[int]) -> None:
    rows = [
        passage("ana", "quay", Direction.ENTRY, 0, "a"),
        passage("ana", "quay", Direction.EXIT, 0, "b"),  # same instant: the later id wins
        passage("ben", "quay", Direction.ENTRY, 3, "c"),
        passage("ben", "quay", Direction.EXIT, 2, "d"),
        passage("cem", "yard", Direction.EXIT, 1, "e"),
        passage("cem", "yard", Direction.ENTRY, 9, "f"),
    ]
    present = fold_presence([rows[i] for i in order])
    assert [(p.person_id, p.zone_id) for p in present] == [("ben", "quay"), ("cem", "yard")]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_that_could_start_a_formula_are_defused(start: str) -> None:
    assert escape_cell(start + "SUM(A1:A9)") == "'" + start + "SUM(A1:A9)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Ana Costa", "Ana Costa"), ("a=b", "a=b"), (None, ""), (42, "42"), ("", ""), (" =x", " =x")],
)
def test_ordinary_cells_are_kept(value: object, expected: str) -> None:
    assert escape_cell(value) == expected


def test_csv_quotes_and_escapes_every_cell() -> None:
    text = render_csv([["name", "company"], ['=HYPERLINK("http://x","y")', "Quay, Movers\nLtd"]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "company"], ['\'=HYPERLINK("http://x","y")', "Quay, Movers\nLtd"]]
    assert text.endswith("\r\n")


def test_per_minute_buckets_cover_the_window_only() -> None:
    rows = [
        ("g1", T0),
        ("g1", T0 + timedelta(seconds=59)),
        ("g2", T0 + timedelta(minutes=2, seconds=1)),
        ("g1", T0 - timedelta(seconds=1)),  # before the window
        ("g2", T0 + timedelta(minutes=3)),  # at the end: outside
    ]
    assert bucket_per_minute(rows, start=T0, minutes=3) == {"g1": [2, 0, 0], "g2": [0, 0, 1]}


def test_the_board_turns_a_gate_red_on_its_last_will() -> None:
    board = GateBoard(clock=lambda: 1000.0)
    board.set_gates([GateMeta("g1", "t1", "quay", "North", 2)])
    # The will is composed at connect time, so it is older than the "online" it replaces.
    will = NodeView(state="offline", since=T0, version="1.0", replica_version=None)
    online = NodeView(
        state="online", since=T0 + timedelta(seconds=1), version="1.0", replica_version=7
    )
    assert board.apply_status("g1", "agent", online)
    assert board.tile("g1")["online"] is True
    assert board.apply_status("g1", "agent", will)
    tile = board.tile("g1")
    assert tile["online"] is False and tile["agent"]["state"] == "offline"
    assert datetime.fromisoformat(tile["agent"]["since"]) > online.since  # when it dropped
    assert tile["agent"]["replica_version"] == 7  # the will does not know it; kept


def test_stored_status_never_overrides_a_live_one() -> None:
    board = GateBoard(clock=lambda: 1000.0)
    offline = NodeView(state="offline", since=T0, version="1.0", replica_version=None)
    stale = NodeView(
        state="online", since=T0 + timedelta(hours=1), version="1.0", replica_version=3
    )
    assert board.apply_status("g1", "agent", offline)
    assert not board.apply_status("g1", "agent", stale, seed=True)
    assert board.tile("g1")["online"] is False
    assert board.apply_status("g2", "agent", stale, seed=True)
    assert board.tile("g2")["online"] is True
    assert not board.apply_status("g2", "agent", stale)  # nothing new


def test_the_board_counts_events_of_the_last_minute_and_keeps_the_newest() -> None:
    now = [1000.0]
    board = GateBoard(clock=lambda: now[0])
    board.set_gates([GateMeta("g1", "t1", "quay", "", 1)])
    newer = {"occurred_at": (T0 + timedelta(seconds=10)).isoformat(), "decision": "denied"}
    older = {"occurred_at": T0.isoformat(), "decision": "granted"}
    board.apply_event("g1", newer)
    now[0] += 30
    board.apply_event("g1", older)  # arrives late: counted, but not the last event
    tile = board.tile("g1")
    assert tile["events_per_minute"] == 2 and tile["last_event"] == newer
    assert tile["name"] == "g1"  # no name: the id
    now[0] += 45
    assert board.tile("g1")["events_per_minute"] == 1
    assert [t["gate_id"] for t in board.tiles()] == ["g1"]

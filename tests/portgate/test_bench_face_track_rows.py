"""`portgate bench face_track`: the runner reads bench_face_track's figures and its goal."""

from __future__ import annotations

from bench.runner_adapters import ADAPTERS, parse_face_track

OUTPUT = """dlib: dlib-bin 20.0.0 (no BLAS)
  (track: {tracked} of 6 decided from the track)
  (frames: 0 of 6 decided from the track)
credential -> open command, 6 badge reads each, face required:
  frames after the tap (baseline): p50   295.5 ms  p95   340.0 ms
  face already in the track:      p50    10.2 ms  p95    {p95} ms  ratio 0.035
"""


def test_the_track_figures_carry_the_baseline_and_the_goal() -> None:
    p50, p95 = parse_face_track(OUTPUT.format(tracked=6, p95="20.3"))
    assert (p50.name, p50.value, p50.anchor_value, p50.goal, p50.met) == (
        "credential -> open, face in the track p50",
        10.2,
        295.5,
        "",
        None,
    )
    assert p50.ratio is not None and abs(p50.ratio - 10.2 / 295.5) < 1e-9
    assert p95.value == 20.3 and p95.met is True
    assert p95.goal == "<= 50 ms p95 when the face was verified before the tap"
    assert p95.note == "6/6 taps decided from the track"


def test_the_goal_is_missed_when_slow_or_when_a_tap_fell_back_to_frames() -> None:
    [_, slow] = parse_face_track(OUTPUT.format(tracked=6, p95="61.0"))
    assert slow.met is False
    [_, fallback] = parse_face_track(OUTPUT.format(tracked=5, p95="20.3"))
    assert fallback.met is False and fallback.note == "5/6 taps decided from the track"


def test_garbage_gives_no_rows_and_the_adapter_is_registered() -> None:
    assert parse_face_track("Traceback (most recent call last):\n") == []
    adapter = ADAPTERS["bench_face_track"]
    assert adapter.parse is parse_face_track and adapter.quick_args == ("--taps", "6")

"""`portgate bench`: the runner reads each script's figures and prints one table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.runner import render_table
from bench.runner_adapters import (
    Figure,
    parse_agent,
    parse_bridge,
    parse_figure_lines,
    parse_matching,
)

BENCH = Path(__file__).resolve().parents[2] / "bench"

PORTGATE = Path(sys.executable).parent / "portgate"

MATCHING = """numpy 2.1.0; repeats 3; medians
templates  face_distance   peak MB | identify   peak MB  index MB | speed-up  same top-1
   10,000        4.1 ms       10 |   0.30 ms      0.1         5 |    13.7x  True
1,000,000      412.0 ms     1500 |  20.00 ms      3.0       512 |    20.6x  True
"""


def test_matching_rows_carry_the_anchor_and_the_1m_goal() -> None:
    small, million = parse_matching(MATCHING)
    assert small.anchor_value == 4.1 and small.value == 0.30 and small.met is None
    assert million.ratio == 20.6 and million.met is True
    assert "512 MB" in million.note


def test_matching_goal_is_missed_when_the_index_is_too_big() -> None:
    text = MATCHING.replace("       512 |", "       700 |")
    assert parse_matching(text)[1].met is False


def test_agent_and_bridge_parsers_compute_ratios() -> None:
    agent = parse_agent(
        "  plain scan_codes loop (baseline):     38.0 frames/s\n"
        "  agent FramePump scanned:              27.0 frames/s  ratio 0.71\n"
        "  MQTT echo, two hops (baseline): p50   0.28 ms  p95   0.50 ms\n"
        "  agent (HTTP decision + outbox):  p50   5.60 ms  p95  15.00 ms  ratio 20.0\n"
    )
    assert [f.name for f in agent] == [
        "frame loop (QR scan) fps",
        "credential -> open command p50",
        "credential -> open command p95",
    ]
    assert agent[0].met is True and agent[1].ratio == pytest.approx(20.0)
    bridge = parse_bridge(
        "baseline: echo client        median    0.50 ms   p95    1.00 ms   n=50\n"
        "bridge: OpenCommand->ack     median    2.00 ms   p95    4.00 ms   n=50\n"
    )
    assert bridge[0].ratio == pytest.approx(4.0)


def test_figure_lines_and_garbage() -> None:
    rows = parse_figure_lines(
        "noise\nFIGURE ingest|events/s|2500|events/s|mosquitto|5000|>= 2000|yes\n"
    )
    assert rows == [
        Figure("ingest", "events/s", 2500.0, "events/s", "mosquitto", 5000.0, 0.5, ">= 2000", True)
    ]
    assert parse_matching("Traceback: boom") == []


def test_table_has_one_row_per_figure() -> None:
    table = render_table(
        [Figure("x", "a", 1.0, "ms", "b", 2.0, 0.5, "<= 3 ms", True), Figure("y", "c", None, "")]
    )
    lines = table.splitlines()
    assert len(lines) == 4 and "MET" in lines[2] and "0.50x" in lines[2]


@pytest.mark.slow
def test_portgate_bench_quick_runs_a_script_and_prints_the_table() -> None:
    done = subprocess.run(  # noqa: S603 (the project's own CLI)
        [str(PORTGATE), "bench", "passes", "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("passes")]
    assert any("pass verify" in row and "raw Ed25519 verify" in row for row in rows), done.stdout
    assert all("x " in row or row.endswith("x") for row in rows)


def test_unknown_benchmark_is_refused() -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(BENCH / "runner.py"), "no_such_bench"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "unknown benchmark 'no_such_bench'" in done.stderr

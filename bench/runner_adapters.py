"""How the runner calls each benchmark script and reads its figures from what it prints.

Each bench script keeps its own measurements and output; an `Adapter` names the script, its
quick and full arguments, and a parser that turns the printed lines into `Figure` rows
(the measured value, the anchor measured in the same run, the ratio and the goal). The
parsers live by area: biometric_parsers (biometrics and the gate agent), bridge_parsers,
service_parsers (central API, ingest, passes, dashboard); figure_rows holds what they share.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.biometric_parsers import (
    parse_agent,
    parse_face_track,
    parse_faces,
    parse_liveness,
    parse_matching,
    parse_scan,
)
from bench.bridge_parsers import parse_bridge
from bench.figure_rows import Figure, Parser, parse_figure_lines
from bench.service_parsers import parse_api_decisions, parse_dashboard, parse_passes

__all__ = [
    "ADAPTERS",
    "Adapter",
    "Figure",
    "Parser",
    "parse_agent",
    "parse_api_decisions",
    "parse_bridge",
    "parse_dashboard",
    "parse_face_track",
    "parse_faces",
    "parse_figure_lines",
    "parse_liveness",
    "parse_matching",
    "parse_passes",
    "parse_scan",
]


@dataclass(frozen=True)
class Adapter:
    """A bench script, its arguments and the parser of its output."""

    name: str
    quick_args: tuple[str, ...]
    full_args: tuple[str, ...]
    parse: Parser
    timeout_s: float = 600.0


ADAPTERS: dict[str, Adapter] = {
    a.name: a
    for a in (
        Adapter("bench_passes", ("--seconds", "0.2", "--samples", "20"), (), parse_passes),
        Adapter(
            "bench_matching",
            ("--sizes", "10000,100000", "--repeats", "3"),
            ("--full",),
            parse_matching,
        ),
        Adapter("bench_bridge", ("--commands", "50"), (), parse_bridge),
        Adapter(
            "bench_agent", ("--seconds", "2", "--reads", "30", "--face-reads", "6"), (), parse_agent
        ),
        Adapter("bench_frames", ("--repeats", "3", "--frames", "12"), (), parse_figure_lines),
        Adapter(
            "bench_gate_accuracy",
            ("--impostors", "5000"),
            ("--old",),
            parse_figure_lines,
            timeout_s=2400.0,
        ),
        Adapter("bench_face_track", ("--taps", "6"), ("--taps", "20"), parse_face_track),
        Adapter("bench_window", ("--windows", "4"), ("--windows", "12"), parse_figure_lines),
        Adapter("bench_face_hint", ("--windows", "1"), ("--windows", "4"), parse_figure_lines),
        Adapter(
            "bench_lanes",
            ("--lanes", "1,2", "--cycles", "2", "--idle-s", "2", "--reads", "10"),
            (),
            parse_figure_lines,
            timeout_s=1800.0,
        ),
        Adapter("bench_scan", ("--screens", "1", "--rounds", "3"), ("--rotations",), parse_scan),
        Adapter("bench_faces", ("--repeats", "2"), (), parse_faces),
        Adapter("bench_liveness", ("--sources", "3", "--frames", "6"), (), parse_liveness),
        Adapter(
            "bench_dashboard",
            ("--clients", "20", "--items", "1000", "--events", "1000"),
            (),
            parse_dashboard,
        ),
        Adapter(
            "bench_ingest",
            ("--connections", "200", "--events", "5"),
            ("--connections", "1000", "--events", "20"),
            parse_figure_lines,
        ),
        Adapter("bench_revocation", ("--rounds", "3"), ("--rounds", "10"), parse_figure_lines),
        Adapter(
            "bench_broker_restart", ("--gates", "200", "--rounds", "1"), (), parse_figure_lines
        ),
        Adapter(
            "bench_port_bans",
            ("--sites", "3", "--gates", "5", "--rounds", "2"),
            ("--rounds", "5"),
            parse_figure_lines,
        ),
        Adapter("bench_enroll", ("--people", "8"), (), parse_figure_lines),
        Adapter("bench_gallery", ("--people", "20000", "--repeats", "1"), (), parse_figure_lines),
        Adapter(
            "bench_sharing",
            ("--rounds", "3", "--incidents", "500"),
            (),
            parse_figure_lines,
            timeout_s=1200.0,
        ),
        Adapter("bench_watchlist", ("--repeats", "50"), (), parse_figure_lines, timeout_s=1200.0),
        Adapter(
            "bench_index",
            ("--sizes", "20000", "--probes", "3000", "--timed", "100"),
            (),
            parse_figure_lines,
            timeout_s=7200.0,
        ),
        Adapter(
            "bench_api_decisions",
            ("--people", "2000", "--gates", "20", "--seconds", "3", "--concurrency", "50")
            + ("--events", "1000"),
            (),
            parse_api_decisions,
        ),
        Adapter(
            "bench_replica_build", ("--people", "2000", "--rounds", "2"), (), parse_figure_lines
        ),
        Adapter(
            "bench_port_scale",
            ("--scale", "0.01", "--seconds", "3", "--events", "500", "--rounds", "1"),
            (),
            parse_figure_lines,
            timeout_s=3600.0,
        ),
    )
}

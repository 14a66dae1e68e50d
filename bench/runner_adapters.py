"""How the runner calls each benchmark script and reads its figures from what it prints.

Each bench script keeps its own measurements and output; an `Adapter` names the script, its
quick and full arguments, and a parser that turns the printed lines into `Figure` rows
(the measured value, the anchor measured in the same run, the ratio and the goal).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

__all__ = ["ADAPTERS", "Adapter", "Figure"]

_NUM = r"([-+]?\d[\d,]*\.?\d*)"


@dataclass(frozen=True)
class Figure:
    """One row of the table.

    Attributes:
        bench: The script it came from.
        name: What was measured.
        value: The measured value (None: not measured in this run).
        unit: Its unit.
        anchor: What it is compared with, measured in the same run.
        anchor_value: The anchor's value.
        ratio: value / anchor (or the script's own ratio).
        goal: The issue's goal, in words ("" if none).
        met: Whether the goal holds (None: no goal, or not decidable here).
        note: Anything else worth a word.
    """

    bench: str
    name: str
    value: float | None
    unit: str
    anchor: str = ""
    anchor_value: float | None = None
    ratio: float | None = None
    goal: str = ""
    met: bool | None = None
    note: str = ""


Parser = Callable[[str], list[Figure]]


@dataclass(frozen=True)
class Adapter:
    """A bench script, its arguments and the parser of its output."""

    name: str
    quick_args: tuple[str, ...]
    full_args: tuple[str, ...]
    parse: Parser
    timeout_s: float = 600.0


def _f(text: str) -> float:
    return float(text.replace(",", ""))


def _search(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text, flags=re.MULTILINE)


def _ratio(value: float | None, anchor: float | None) -> float | None:
    if value is None or anchor in (None, 0):
        return None
    return value / anchor


def parse_matching(text: str) -> list[Figure]:
    """bench_matching: one row per size: face_distance ms | identify ms, peak, index MB."""
    rows = []
    pattern = (
        rf"^\s*{_NUM}\s+{_NUM} ms\s+{_NUM} \|\s+{_NUM} ms\s+{_NUM}\s+{_NUM} \|\s+{_NUM}x\s+(\w+)"
    )
    for match in re.finditer(pattern, text, flags=re.MULTILINE):
        n, base_ms, _, ours_ms, _, index_mb, speedup, same = match.groups()
        size = int(_f(n))
        at_million = size >= 1_000_000
        rows.append(
            Figure(
                bench="matching",
                name=f"1:N identify, {size:,} templates",
                value=_f(ours_ms),
                unit="ms",
                anchor="face_recognition.face_distance",
                anchor_value=_f(base_ms),
                ratio=_f(speedup),
                goal=">= 15x and <= 600 MB at 1M" if at_million else "(goal is at 1M: --full)",
                met=(_f(speedup) >= 15 and _f(index_mb) <= 600) if at_million else None,
                note=f"index {_f(index_mb):.0f} MB, same top-1 {same}",
            )
        )
    return rows


def parse_bridge(text: str) -> list[Figure]:
    """bench_bridge: OpenCommand -> ack through the bridge against an MQTT echo."""
    rows = _parse_osdp_dead_reader(text)
    base = _search(rf"baseline: echo client\s+median\s+{_NUM} ms\s+p95\s+{_NUM} ms", text)
    ours = _search(rf"bridge: OpenCommand->ack\s+median\s+{_NUM} ms\s+p95\s+{_NUM} ms", text)
    if not base or not ours:
        return rows
    return [
        Figure(
            bench="bridge",
            name="OpenCommand -> ack p50 (bridge)",
            value=_f(ours.group(1)),
            unit="ms",
            anchor="MQTT echo client",
            anchor_value=_f(base.group(1)),
            ratio=_ratio(_f(ours.group(1)), _f(base.group(1))),
            note=f"p95 {_f(ours.group(2)):.1f} ms",
        ),
        *rows,
    ]


def _parse_osdp_dead_reader(text: str) -> list[Figure]:
    """bench_bridge: one dead OSDP reader on a shared bus, reported vs libosdp alone."""
    base = _search(rf"baseline: libosdp alone\s+median\s+{_NUM} s\s+max\s+{_NUM} s", text)
    ours = _search(rf"osdp: dead reader reported\s+median\s+{_NUM} s\s+max\s+{_NUM} s", text)
    if not base or not ours:
        return []
    worst = _f(ours.group(2))
    return [
        Figure(
            bench="bridge",
            name="OSDP dead reader (shared bus) reported",
            value=_f(ours.group(1)),
            unit="s",
            anchor="libosdp alone",
            anchor_value=_f(base.group(1)),
            ratio=_ratio(_f(ours.group(1)), _f(base.group(1))),
            goal="<= 2 s",
            met=worst <= 2.0,
            note=f"max {worst:.2f} s",
        )
    ]


def parse_agent(text: str) -> list[Figure]:
    """bench_agent: frame loop fps, credential -> open command p50/p95, -> event."""
    rows = []
    plain = _search(rf"plain scan_codes loop \(baseline\):\s+{_NUM} frames/s", text)
    pump = _search(rf"agent FramePump scanned:\s+{_NUM} frames/s", text)
    if plain and pump:
        fps = _f(pump.group(1))
        rows.append(
            Figure(
                bench="agent",
                name="frame loop (QR scan) fps",
                value=fps,
                unit="fps",
                anchor="plain scan_codes loop",
                anchor_value=_f(plain.group(1)),
                ratio=_ratio(fps, _f(plain.group(1))),
                goal=">= 10 fps (the camera rate)",
                met=fps >= 10,
            )
        )
    echo = _search(rf"MQTT echo, two hops \(baseline\): p50\s+{_NUM} ms", text)
    agent = _search(
        rf"agent \(HTTP decision \+ outbox\):\s+p50\s+{_NUM} ms\s+p95\s+{_NUM} ms", text
    )
    if echo and agent:
        p50, p95 = _f(agent.group(1)), _f(agent.group(2))
        for label, value in (("p50", p50), ("p95", p95)):
            rows.append(
                Figure(
                    bench="agent",
                    name=f"credential -> open command {label}",
                    value=value,
                    unit="ms",
                    anchor="MQTT two-hop echo p50",
                    anchor_value=_f(echo.group(1)),
                    ratio=_ratio(value, _f(echo.group(1))),
                    goal="<= 300 ms (decision timeout)",
                    met=value <= 300,
                )
            )
    rows += _parse_agent_face(text, _f(agent.group(1)) if agent else None)
    event = _search(rf"credential -> AccessEvent.*?p50\s+{_NUM} ms\s+p95\s+{_NUM} ms", text)
    if event:
        rows.append(
            Figure(
                bench="agent",
                name="credential -> AccessEvent p50",
                value=_f(event.group(1)),
                unit="ms",
                note=f"p95 {_f(event.group(2)):.1f} ms",
            )
        )
    return rows


_FACE_PATHS = {
    "face + liveness over the next frames": ("<= 250 ms p95", 250.0),
    "face verified before the tap": ("<= 50 ms p95", 50.0),
}


def _parse_agent_face(text: str, badge_p50: float | None) -> list[Figure]:
    """bench_agent's face paths: credential -> open command p50/p95 against badge-only."""
    rows = []
    for label, (goal, limit) in _FACE_PATHS.items():
        found = _search(
            rf"open command, {re.escape(label)}: (\d+) of (\d+) reads.*\n\s+p50\s+{_NUM} ms"
            rf"\s+p95\s+{_NUM} ms",
            text,
        )
        if not found:
            continue
        p50, p95 = _f(found.group(3)), _f(found.group(4))
        for name, value in (("p50", p50), ("p95", p95)):
            rows.append(
                Figure(
                    bench="agent",
                    name=f"credential -> open, {label} {name}",
                    value=value,
                    unit="ms",
                    anchor="badge-only p50 (same run)",
                    anchor_value=badge_p50,
                    ratio=_ratio(value, badge_p50),
                    goal=goal if name == "p95" else "",
                    met=(value <= limit) if name == "p95" else None,
                    note=f"{found.group(1)}/{found.group(2)} reads verified",
                )
            )
    return rows


def parse_face_track(text: str) -> list[Figure]:
    """bench_face_track: credential -> open with the face tracked before the tap, vs after it."""
    tracked = _search(rf"face already in the track:\s+p50\s+{_NUM} ms\s+p95\s+{_NUM} ms", text)
    if not tracked:
        return []
    base = _search(rf"frames after the tap \(baseline\):\s+p50\s+{_NUM} ms", text)
    base_p50 = _f(base.group(1)) if base else None
    decided = _search(r"\(track: (\d+) of (\d+) decided from the track\)", text)
    # A tap the track did not decide went through the frames: the figure is not the track's.
    all_tracked = decided is None or decided.group(1) == decided.group(2)
    note = f"{decided.group(1)}/{decided.group(2)} taps decided from the track" if decided else ""
    rows = []
    for name, value in (("p50", _f(tracked.group(1))), ("p95", _f(tracked.group(2)))):
        rows.append(
            Figure(
                bench="face_track",
                name=f"credential -> open, face in the track {name}",
                value=value,
                unit="ms",
                anchor="frames after the tap p50 (same run)",
                anchor_value=base_p50,
                ratio=_ratio(value, base_p50),
                goal="<= 50 ms p95 when the face was verified before the tap"
                if name == "p95"
                else "",
                met=(value <= 50 and all_tracked) if name == "p95" else None,
                note=note,
            )
        )
    return rows


def parse_passes(text: str) -> list[Figure]:
    """bench_passes: verify/issue per second against raw Ed25519."""
    rates = {
        m.group(1).strip(): _f(m.group(2))
        for m in re.finditer(rf"^(.{{40}})\s+{_NUM} /s", text, flags=re.MULTILINE)
    }
    rows = []
    for ours, anchor, name in (
        ("verify (verify_pass)", "anchor: raw Ed25519 verify", "pass verify"),
        ("issue (PassSigner.issue)", "anchor: raw Ed25519 sign", "pass issue"),
    ):
        if ours in rates and anchor in rates:
            rows.append(
                Figure(
                    bench="passes",
                    name=name,
                    value=rates[ours],
                    unit="/s",
                    anchor=anchor.removeprefix("anchor: "),
                    anchor_value=rates[anchor],
                    ratio=_ratio(rates[ours], rates[anchor]),
                )
            )
    return rows


def parse_faces(text: str) -> list[Figure]:
    """bench_faces: detection and encoding against face_recognition's defaults."""
    rows = []
    base = _search(rf"detect\s+face_recognition default.*?:\s+{_NUM} ms", text)
    ours = _search(rf"detect\s+ours.*?:\s+{_NUM} ms", text)
    if base and ours:
        rows.append(
            Figure(
                bench="faces",
                name="face detection (gate)",
                value=_f(ours.group(1)),
                unit="ms",
                anchor="face_recognition defaults",
                anchor_value=_f(base.group(1)),
                ratio=_ratio(_f(ours.group(1)), _f(base.group(1))),
            )
        )
    base = _search(rf"encode\s+face_recognition.*?:\s+{_NUM} ms", text)
    gate = _search(rf"gate pipeline, frame to encoding:\s+{_NUM} ms", text)
    if base and gate:
        rows.append(
            Figure(
                bench="faces",
                name="frame -> encoding (gate pipeline)",
                value=_f(gate.group(1)),
                unit="ms",
                anchor="face_recognition encode only",
                anchor_value=_f(base.group(1)),
                ratio=_ratio(_f(gate.group(1)), _f(base.group(1))),
            )
        )
    return rows


def parse_scan(text: str) -> list[Figure]:
    """bench_scan: decode rate of scan_codes against pyzbar and zxing-cpp alone."""
    rates = {
        m.group(1): (_f(m.group(2)), _f(m.group(3)))
        for m in re.finditer(
            rf"^(\S+)\s+decoded \d+/\d+ = {_NUM}%\s+{_NUM} ms/image", text, flags=re.MULTILINE
        )
    }
    if "scan_codes" not in rates:
        return []
    rate, ms = rates["scan_codes"]
    rows = [
        Figure(
            bench="scan",
            name="QR photos decoded (scan_codes)",
            value=rate,
            unit="%",
            anchor=name,
            anchor_value=rates[name][0],
            ratio=_ratio(rate, rates[name][0]),
            goal=">= 95%",
            met=rate >= 95,
            note=f"{ms:.1f} ms/image",
        )
        for name in ("pyzbar", "zxing-cpp")
        if name in rates
    ]
    return rows + parse_figure_lines(text)


def parse_liveness(text: str) -> list[Figure]:
    """bench_liveness: attack acceptance and live rejection (simulated sequences)."""
    rows = []
    attacks = _search(rf"overall attack acceptance: \d+/\d+ = {_NUM}%", text)
    live = _search(rf"live\s+n=\s*\d+\s+live rejected \(BPCER\): \d+/\d+ = {_NUM}%", text)
    if attacks:
        rows.append(
            Figure("liveness", "attacks accepted (APCER, simulated)", _f(attacks.group(1)), "%")
        )
    if live:
        rows.append(Figure("liveness", "live rejected (BPCER, simulated)", _f(live.group(1)), "%"))
    return rows


def parse_dashboard(text: str) -> list[Figure]:
    """bench_dashboard: hub deliveries/s against plain asyncio queues."""
    hub = _search(rf"LiveHub\s+{_NUM} deliveries/s", text)
    base = _search(rf"baseline queues\s+{_NUM} deliveries/s", text)
    if not hub or not base:
        return []
    return [
        Figure(
            bench="dashboard",
            name="live hub fan-out",
            value=_f(hub.group(1)),
            unit="deliveries/s",
            anchor="plain asyncio queues",
            anchor_value=_f(base.group(1)),
            ratio=_ratio(_f(hub.group(1)), _f(base.group(1))),
        )
    ]


def parse_figure_lines(text: str) -> list[Figure]:
    """Scripts written for this runner print ``FIGURE name|value|unit|anchor|anchor|goal|met``."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("FIGURE "):
            continue
        bench, name, value, unit, anchor, anchor_value, goal, met = (
            line.removeprefix("FIGURE ").split("|") + [""] * 8
        )[:8]
        number = float(value) if value else None
        anchor_number = float(anchor_value) if anchor_value else None
        rows.append(
            Figure(
                bench=bench,
                name=name,
                value=number,
                unit=unit,
                anchor=anchor,
                anchor_value=anchor_number,
                ratio=_ratio(number, anchor_number),
                goal=goal,
                met={"yes": True, "no": False}.get(met),
            )
        )
    return rows


_API_GOALS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "decisions_per_s": (">= 1000/s on PostgreSQL", lambda v: v >= 1000),
    "decision_p99_ms": ("<= 50 ms on PostgreSQL", lambda v: v <= 50),
    "mqtt_ingest_events_per_s": (">= 2000 events/s", lambda v: v >= 2000),
}


def parse_api_decisions(text: str) -> list[Figure]:
    """bench_api_decisions: its FIGURE lines, with the issue's goals attached."""
    rows = []
    for figure in parse_figure_lines(text):
        goal = _API_GOALS.get(figure.name)
        # The script's own verdict wins (e.g. MQTT ingest: fast enough AND none lost).
        if goal is not None and figure.value is not None and figure.met is None:
            figure = replace(figure, goal=goal[0], met=goal[1](figure.value))
        rows.append(figure)
    return rows


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
            (),
            parse_figure_lines,
            timeout_s=1200.0,
        ),
        Adapter("bench_face_track", ("--taps", "6"), ("--taps", "20"), parse_face_track),
        Adapter("bench_scan", (), ("--rotations",), parse_scan),
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
        Adapter("bench_enroll", ("--people", "8"), (), parse_figure_lines),
        Adapter(
            "bench_api_decisions",
            ("--people", "2000", "--gates", "20", "--seconds", "3", "--concurrency", "50")
            + ("--events", "1000"),
            (),
            parse_api_decisions,
        ),
    )
}

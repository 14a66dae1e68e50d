"""Output parsers of the central API and service benchmarks.

Pass signing and verification, the dashboard's live hub, and the central API's decisions and
ingest (its ``FIGURE`` lines, with the issue's goals attached where the script gave none).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from bench.figure_rows import NUM, Figure, matched_figure, number, parse_figure_lines, search

__all__ = ["parse_api_decisions", "parse_dashboard", "parse_passes"]


def parse_passes(text: str) -> list[Figure]:
    """bench_passes: verify/issue per second against raw Ed25519."""
    rates = {
        m.group(1).strip(): number(m.group(2))
        for m in re.finditer(rf"^(.{{40}})\s+{NUM} /s", text, flags=re.MULTILINE)
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
                )
            )
    return rows


def parse_dashboard(text: str) -> list[Figure]:
    """bench_dashboard: hub deliveries/s against plain asyncio queues."""
    hub = search(rf"LiveHub\s+{NUM} deliveries/s", text)
    base = search(rf"baseline queues\s+{NUM} deliveries/s", text)
    if not hub or not base:
        return []
    return [
        matched_figure(
            bench="dashboard",
            name="live hub fan-out",
            unit="deliveries/s",
            value=hub,
            anchor="plain asyncio queues",
            anchor_value=base,
        )
    ]


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

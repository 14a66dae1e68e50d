"""Output parser of the firmware bridge benchmark (bench_bridge).

Two measurements print the same shape, ``label  median X unit  p95|max Y unit``, once for the
bridge and once for its anchor: OpenCommand -> ack against an MQTT echo client, and a dead
OSDP reader on a shared bus reported against libosdp alone.
"""

from __future__ import annotations

import re

from bench.figure_rows import NUM, Figure, matched_figure, number, search

__all__ = ["parse_bridge"]


def _median_pair(
    text: str, *, anchor: str, ours: str, unit: str, spread: str
) -> tuple[re.Match[str], re.Match[str]] | None:
    """The anchor's and our ``median``/`spread` lines, or None unless both were printed."""
    shape = rf"\s+median\s+{NUM} {unit}\s+{spread}\s+{NUM} {unit}"
    base = search(anchor + shape, text)
    mine = search(ours + shape, text)
    if not base or not mine:
        return None
    return base, mine


def parse_bridge(text: str) -> list[Figure]:
    """bench_bridge: OpenCommand -> ack through the bridge against an MQTT echo."""
    rows = _parse_osdp_dead_reader(text)
    pair = _median_pair(
        text,
        anchor="baseline: echo client",
        ours="bridge: OpenCommand->ack",
        unit="ms",
        spread="p95",
    )
    if pair is None:
        return rows
    base, ours = pair
    return [
        matched_figure(
            bench="bridge",
            name="OpenCommand -> ack p50 (bridge)",
            unit="ms",
            value=ours,
            anchor="MQTT echo client",
            anchor_value=base,
            note=f"p95 {number(ours.group(2)):.1f} ms",
        ),
        *rows,
    ]


def _parse_osdp_dead_reader(text: str) -> list[Figure]:
    """bench_bridge: one dead OSDP reader on a shared bus, reported vs libosdp alone."""
    pair = _median_pair(
        text,
        anchor="baseline: libosdp alone",
        ours="osdp: dead reader reported",
        unit="s",
        spread="max",
    )
    if pair is None:
        return []
    base, ours = pair
    worst = number(ours.group(2))
    return [
        matched_figure(
            bench="bridge",
            name="OSDP dead reader (shared bus) reported",
            unit="s",
            value=ours,
            anchor="libosdp alone",
            anchor_value=base,
            goal="<= 2 s",
            met=worst <= 2.0,
            note=f"max {worst:.2f} s",
        )
    ]

"""Output parser of the firmware bridge benchmark (bench_bridge).

Two measurements print the same shape, ``label  median X unit  p95|max Y unit``, once for the
bridge and once for its anchor: OpenCommand -> ack against an MQTT echo client, and a dead
OSDP reader on a shared bus reported against libosdp alone.
"""

from __future__ import annotations

import re

from figure_rows import NUM, Figure, number, ratio, search

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
        Figure(
            bench="bridge",
            name="OpenCommand -> ack p50 (bridge)",
            value=number(ours.group(1)),
            unit="ms",
            anchor="MQTT echo client",
            anchor_value=number(base.group(1)),
            ratio=ratio(number(ours.group(1)), number(base.group(1))),
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
        Figure(
            bench="bridge",
            name="OSDP dead reader (shared bus) reported",
            value=number(ours.group(1)),
            unit="s",
            anchor="libosdp alone",
            anchor_value=number(base.group(1)),
            ratio=ratio(number(ours.group(1)), number(base.group(1))),
            goal="<= 2 s",
            met=worst <= 2.0,
            note=f"max {worst:.2f} s",
        )
    ]

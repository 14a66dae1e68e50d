"""The rows of the benchmark table and the small helpers every output parser shares.

A `Figure` is one row (the measured value, the anchor measured in the same run, the ratio and
the goal); a `Parser` turns what a bench script printed into rows. Scripts written for the
runner print ``FIGURE`` lines, read by `parse_figure_lines`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "NUM",
    "Figure",
    "Parser",
    "matched_figure",
    "number",
    "parse_figure_lines",
    "ratio",
    "search",
]

NUM = r"([-+]?\d[\d,]*\.?\d*)"


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
        ratio: value / anchor_value unless given (the script's own ratio).
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

    def __post_init__(self) -> None:
        """Derive the ratio from the value and its anchor when the script gave none."""
        if self.ratio is None:
            object.__setattr__(self, "ratio", ratio(self.value, self.anchor_value))


Parser = Callable[[str], list[Figure]]


def number(text: str) -> float:
    """A printed number, thousands separators allowed."""
    return float(text.replace(",", ""))


def search(pattern: str, text: str) -> re.Match[str] | None:
    """The first match of `pattern` in `text`, ``^`` and ``$`` at each line."""
    return re.search(pattern, text, flags=re.MULTILINE)


def ratio(value: float | None, anchor: float | None) -> float | None:
    """Value / anchor, or None when either is missing (or the anchor is 0)."""
    if value is None or anchor in (None, 0):
        return None
    return value / anchor


def matched_figure(
    *,
    bench: str,
    name: str,
    unit: str,
    value: re.Match[str],
    anchor: str,
    anchor_value: re.Match[str],
    goal: str = "",
    met: bool | None = None,
    note: str = "",
) -> Figure:
    """A row from two matches whose first group is the number: the value and its anchor."""
    measured, base = number(value.group(1)), number(anchor_value.group(1))
    return Figure(
        bench=bench,
        name=name,
        value=measured,
        unit=unit,
        anchor=anchor,
        anchor_value=base,
        goal=goal,
        met=met,
        note=note,
    )


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
                goal=goal,
                met={"yes": True, "no": False}.get(met),
            )
        )
    return rows

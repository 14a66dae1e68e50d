"""What the files say about gates and lanes that the API's gate table does not (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["GateFacts", "LaneClaim", "gate_differences", "site_config_differences"]


@dataclass(frozen=True, slots=True)
class GateFacts:
    """A gate as the API's table has it."""

    gate_id: str
    site_id: str
    lanes: int
    direction: str  # entry, exit or both


@dataclass(frozen=True, slots=True)
class LaneClaim:
    """A lane as a file describes it: its number and direction."""

    lane: int
    direction: str


def site_config_differences(
    where: str, site: str, listed: Iterable[str], gates: Mapping[str, GateFacts]
) -> list[str]:
    """A site config's gates against the site's gates in the API (both ways)."""
    listed = set(listed)
    known = {g.gate_id for g in gates.values() if g.site_id == site}
    problems = [
        f"{where}: gate {gate!r} is not a gate of site {site!r} in the API"
        for gate in sorted(listed - known)
    ]
    problems += [
        f"{where}: the API's gate {gate!r} is missing (it gets no broker accounts)"
        for gate in sorted(known - listed)
    ]
    return problems


def gate_differences(
    where: str,
    *,
    site: str,
    gate: str,
    lanes: Iterable[LaneClaim],
    gates: Mapping[str, GateFacts],
) -> list[str]:
    """An agent's or bridge's site, gate and lanes against the API's gate."""
    facts = gates.get(gate)
    if facts is None:
        return [f"{where}: gate {gate!r} is not in the API (portgate gates list)"]
    if facts.site_id != site:
        return [f"{where}: gate {gate!r} is at site {facts.site_id!r} in the API, not {site!r}"]
    problems = []
    for claim in lanes:
        if claim.lane >= facts.lanes:
            problems.append(
                f"{where}: lane {claim.lane} does not exist: gate {gate!r} has lanes 0 to "
                f"{facts.lanes - 1} in the API"
            )
        elif facts.direction != "both" and claim.direction != facts.direction:
            problems.append(
                f"{where}: lane {claim.lane} is {claim.direction}, gate {gate!r} is "
                f"{facts.direction} only in the API"
            )
    return problems

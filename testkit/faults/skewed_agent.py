"""A gate agent child process whose host clock is off by a given number of seconds.

The agent reads the host's wall clock in one place, `gate_agent.links.clock.system_now`;
this child replaces it before the agent starts, as a host whose clock drifted would. Used by
the clock-skew fault test, with `Fleet`'s agents.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import gate_agent.links.clock as agent_clock
from gate_agent.service import run_service
from testkit.faults.fleet import ChildProcess

__all__ = ["main", "skew_agent"]

_MAIN = "import sys; from testkit.faults.skewed_agent import main; main(sys.argv[1:])"


def main(argv: list[str]) -> None:
    """Child entry: ``CONFIG_PATH OFFSET_S``."""
    offset = timedelta(seconds=float(argv[1]))
    host_now = agent_clock.system_now
    agent_clock.system_now = lambda: host_now() + offset
    logging.basicConfig(level=logging.WARNING)
    run_service(Path(argv[0]))


def skew_agent(agent: ChildProcess, offset_s: float) -> None:
    """Make `agent` (stopped) start with its host clock `offset_s` seconds off."""
    config_path = agent.args[-1]
    agent.args = ["-c", _MAIN, config_path, str(offset_s)]

"""A swarm of simulated gates spread over child processes: a thousand links on a small machine.

One Python process with a thousand paho clients (a network thread each) starved them: a
third of the CONNECTs were not answered within paho's connect timeout and backed off
(docs/production.md, "what survives what"). Here each child process runs a `GateSwarm`
slice (testkit/faults/gate_swarm.py: the agent's own `MqttLink` per gate, doing on every
(re)connect what the agent loop does: subscribe, publish its retained status, take the
retained sync notice) and prints its slice's state as one JSON line whenever it changes;
the parent adds the slices up. A child stops when its stdin closes. Used by the broker
restart fault test and bench/bench_broker_restart.py.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import IO

from testkit.faults.gate_swarm import GateSwarm

__all__ = ["SwarmProcesses", "main", "raise_open_files"]

_MAIN = "import sys; from testkit.faults.swarm_processes import main; main(sys.argv[1:])"
_GATES_PER_PROCESS = 100


def raise_open_files(needed: int) -> int:
    """Raise this process's soft limit of open files to `needed` (up to the hard limit).

    Children inherit it: a broker started afterwards can hold that many connections.
    Returns the soft limit now in force.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


def _state(swarm: GateSwarm) -> str:
    versions = Counter(m.version for m in swarm.members)
    connects = Counter(m.connects for m in swarm.members)
    return json.dumps({"versions": versions, "connects": connects}, sort_keys=True)


def main(argv: list[str]) -> None:
    """Child entry: ``PORT SITE FIRST GATES``; runs until stdin closes."""
    port, site, first, gates = int(argv[0]), argv[1], int(argv[2]), int(argv[3])
    swarm = GateSwarm(port=port, site=site, gates=gates, first=first)
    stop = threading.Event()

    def wait_for_eof() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    swarm.start()
    last = ""
    while not stop.is_set():
        state = _state(swarm)
        if state != last:
            print(state, flush=True)  # noqa: T201 (the parent reads it)
            last = state
        stop.wait(0.05)
    swarm.stop()


@dataclass
class _Child:
    process: subprocess.Popen[str]
    versions: Counter[int] = field(default_factory=Counter)
    connects: Counter[int] = field(default_factory=Counter)

    def follow(self, out: IO[str]) -> None:
        for line in out:
            state = json.loads(line)
            self.versions = Counter({int(v): n for v, n in state["versions"].items()})
            self.connects = Counter({int(c): n for c, n in state["connects"].items()})


@dataclass
class SwarmProcesses:
    """`gates` simulated gates of `site` on an anonymous broker at 127.0.0.1:`port`.

    Args:
        per_process: Gates per child process.
    """

    port: int
    site: str
    gates: int
    per_process: int = _GATES_PER_PROCESS
    children: list[_Child] = field(default_factory=list)

    def start(self) -> None:
        """Start the child processes (each connects its gates in the background)."""
        for first in range(1, self.gates + 1, self.per_process):
            count = min(self.per_process, self.gates + 1 - first)
            args = [str(self.port), self.site, str(first), str(count)]
            process = subprocess.Popen(  # noqa: S603 (our own module)
                [sys.executable, "-c", _MAIN, *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            child = _Child(process)
            assert process.stdout is not None  # noqa: S101 (piped)
            threading.Thread(target=child.follow, args=(process.stdout,), daemon=True).start()
            self.children.append(child)

    def synced(self, version: int) -> int:
        """How many gates have seen sync notice `version` (or a later one)."""
        return sum(n for c in self.children for v, n in c.versions.items() if v >= version)

    def connects(self) -> list[int]:
        """Each gate's connect count (in no particular order)."""
        return [count for c in self.children for count in c.connects.elements()]

    def stop(self) -> None:
        """Close every child's stdin and wait for it (kill it if it hangs)."""
        for child in self.children:
            if child.process.stdin is not None:
                child.process.stdin.close()
        for child in self.children:
            try:
                child.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()

"""A gate agent child process cut from the API and the broker, on a clock the test moves.

The child runs the real agent (`gate_agent.service.run_service`: outbox file, replica file,
decision, sync and confirm workers, its MQTT link trying a broker that is gone) with the
agent's one wall-clock read, `gate_agent.links.clock.system_now`, replaced by a simulated
clock. The test drives it through the child's stdin, one line each:

* ``read TS BADGE``: move the clock to Unix time TS, then hand the loop the bridge's
  `CredentialPresented` for BADGE on lane 0, as the agent's MQTT link would (the broker is
  unreachable, so this is how badge reads still reach it: the gate's own reader);
* ``host``: from now on the host's clock (the outage is over).

Days pass in seconds this way, and the agent's replica ages as it would. Used by the
three-days-offline fault test (tests/faults/test_three_days_offline.py).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import gate_agent.links.clock as agent_clock
from gate_agent.app import AgentApp
from gate_agent.decision.replica_store import ReplicaStore
from gate_agent.links.bus import MqttIncoming
from gate_agent.loop.node import AgentTopics
from gate_protocol.messages import BadgeFormat, CredentialPresented, encode_message
from gate_protocol.topics import GateChannel
from portgate.demo.gates import FACILITY_CODE
from testkit.faults.fleet import ChildProcess

__all__ = ["OfflineAgent", "SimClock", "date_replica", "main"]

_MAIN = "import sys; from testkit.faults.offline_agent import main; main(sys.argv[1:])"


class SimClock:
    """Unix time set from outside (the test's lines), or the host's clock once released."""

    def __init__(self, at: float | None, host: Callable[[], datetime]) -> None:
        self._at = at
        self._host = host
        self._lock = threading.Lock()

    def set(self, at: float | None) -> None:
        """Move to `at` (never backwards), or release to the host's clock (None)."""
        with self._lock:
            self._at = None if at is None else max(at, self._at or at)

    def now(self) -> datetime:
        """The simulated time, or the host's."""
        with self._lock:
            at = self._at
        return self._host() if at is None else datetime.fromtimestamp(at, UTC)


def _feed(app: AgentApp, clock: SimClock, lines: IO[str]) -> None:
    """Turn the test's lines into clock moves and badge reads (see the module docstring)."""
    config = app.config
    topic = AgentTopics.of(site=config.site, gate=config.gate).channel[GateChannel.CREDENTIAL]
    for line in lines:
        words = line.split()
        if words == ["host"]:
            clock.set(None)
        elif len(words) == 3 and words[0] == "read":
            clock.set(float(words[1]))
            read = CredentialPresented(
                badge_number=words[2],
                format=BadgeFormat.WIEGAND26,
                facility_code=FACILITY_CODE,
                reader_id=f"{config.gate}-reader",
                lane=0,
                read_at=clock.now(),
            )
            app.inbox.put(MqttIncoming(topic=topic, payload=encode_message(read)))


def main(argv: list[str]) -> None:
    """Child entry: ``CONFIG_PATH START_TS`` (``host``: start on the host's clock)."""
    from gate_agent.service import run_service

    start = None if argv[1] == "host" else float(argv[1])
    clock = SimClock(start, agent_clock.system_now)
    agent_clock.system_now = clock.now
    logging.basicConfig(level=logging.WARNING)

    def feed(app: AgentApp) -> None:
        threading.Thread(target=_feed, args=(app, clock, sys.stdin), daemon=True).start()

    run_service(Path(argv[0]), on_started=feed)


@dataclass
class OfflineAgent(ChildProcess):
    """The agent child of a `Fleet` gate, restarted as this module's child with a stdin."""

    config_path: str = ""
    stdin: IO[bytes] | None = None

    @classmethod
    def of(cls, agent: ChildProcess) -> OfflineAgent:
        """The same agent (config, environment, log), to be started with `start_at`."""
        return cls(agent.name, [], agent.env, agent.log_path, config_path=agent.args[-1])

    def start_at(self, at: float) -> None:
        """Start the child with its clock at Unix time `at`."""
        self.args = ["-c", _MAIN, self.config_path, repr(at)]
        with self.log_path.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 (our own modules)
                [sys.executable, *self.args],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        self.process, self.stdin = process, process.stdin

    def send(self, line: str) -> None:
        """One line to the child (see the module docstring)."""
        assert self.stdin is not None  # noqa: S101 (started with start_at)
        self.stdin.write(line.encode() + b"\n")
        self.stdin.flush()

    def read(self, at: float, badge: int) -> None:
        """A badge read at Unix time `at`.

        Raises:
            RuntimeError: the child is not running (its log says why).
        """
        if not self.running:
            raise RuntimeError(f"{self.name} is not running: see {self.log_path}")
        self.send(f"read {at!r} {badge}")


def date_replica(path: Path, known_at: datetime) -> None:
    """Move the clear replica file at `path` back in time: last known current at `known_at`.

    Its generation and last sync both shift by the same amount, as if it had been fetched
    then (the replica's age counts from the later of the two).
    """
    store = ReplicaStore(path)
    stored = store.load()
    assert stored is not None  # noqa: S101 (the agent saved one)
    generated = stored.snapshot.generated_at
    shift = max(generated, stored.last_sync_at or generated) - known_at
    snapshot = stored.snapshot.model_copy(update={"generated_at": generated - shift})
    synced = stored.last_sync_at - shift if stored.last_sync_at is not None else None
    store.save(stored.model_copy(update={"snapshot": snapshot, "last_sync_at": synced}))

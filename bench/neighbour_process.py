"""A gate's neighbour (the bridge, the central API) in a process of its own, called by pipe.

At a real gate the firmware bridge and the central API are other processes (other
machines): their Python threads never wait for the agent's GIL, nor the agent's for theirs.
The agent benchmarks ran the bridge simulator and the API stub inside the agent's process,
so a credential or an OpenCommand also waited whenever the agent held the GIL for a dlib
call (an encoding holds it about 25 ms), and the other way round. `Neighbour` builds the
object in a spawned child process and runs its methods there, one call at a time;
`gate_neighbours` starts an agent benchmark's gate: a broker, the API stub and the bridge.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from testkit.agent.api_stub import ApiStub
from testkit.agent.bridge_sim import BridgeSim
from testkit.mosquitto import start_mosquitto

__all__ = ["Neighbour", "gate_neighbours"]


def _serve(conn: Connection, factory: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The child: build the object, then answer (name, args, kwargs) until None comes."""
    try:
        target = factory(*args)
    except Exception as exc:  # the parent raises it
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ok", None))
    while (request := conn.recv()) is not None:
        name, call_args, call_kwargs = request
        try:
            value = getattr(target, name)
            conn.send(("ok", value(*call_args, **call_kwargs) if callable(value) else value))
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class Neighbour:
    """`factory(*args)` built in a child process; `call` runs its methods (or reads attributes).

    The factory, the arguments and every result cross a pipe, so they must pickle.
    """

    def __init__(self, factory: Callable[..., Any], *args: Any, timeout_s: float = 60.0) -> None:
        """Start the child and wait until the object is built.

        Raises:
            RuntimeError: The child could not build it, or did not answer in `timeout_s`.
        """
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._timeout_s = timeout_s
        self._process = context.Process(
            target=_serve, args=(child, factory, args), name="gate-neighbour", daemon=True
        )
        self._process.start()
        self._answer("building")

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run the object's method `name` in the child (or read its attribute) and return it."""
        self._conn.send((name, args, kwargs))
        return self._answer(name)

    def stop(self, close: str | None = None) -> None:
        """Call `close` (a method name) if given, then end the child."""
        try:
            if close is not None and self._process.is_alive():
                self.call(close)
            self._conn.send(None)
        except (OSError, RuntimeError):
            pass  # already gone: it is ended below either way
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)

    def _answer(self, what: str) -> Any:
        if not self._conn.poll(self._timeout_s):
            raise RuntimeError(f"the neighbour process did not answer ({what})")
        status, value = self._conn.recv()
        if status == "error":
            raise RuntimeError(f"the neighbour process failed ({what}): {value}")
        return value


@contextmanager
def gate_neighbours(
    tmp: Path, snapshot: Any = None, holders: dict[str, str] | None = None
) -> Iterator[tuple[int, str, Neighbour]]:
    """A gate's surroundings: (the broker's port, the API stub's URL, the bridge simulator).

    A mosquitto on a free port (its files under `tmp`), and the API stub and the bridge
    simulator each in a process of its own; all stopped on the way out.

    Args:
        tmp: Where the broker keeps its files.
        snapshot: The replica the API stub serves (None: its default).
        holders: More badges the API stub grants (badge number -> person id).
    """
    broker = start_mosquitto(tmp, extra_conf="set_tcp_nodelay true\n")
    try:
        api = Neighbour(ApiStub, snapshot, holders)
        try:
            bridge = Neighbour(BridgeSim, broker.port)
            try:
                yield broker.port, api.call("url"), bridge
            finally:
                bridge.stop(close="close")
        finally:
            api.stop(close="stop")
    finally:
        broker.stop()

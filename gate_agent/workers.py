"""The agent's blocking work, off the loop: the decision worker and the replica sync worker.

Both report back only through the loop's inbox. The decision queue is bounded: a burst of
presentations beyond it is refused (the loop counts it) rather than piling up stale work.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from gate_protocol.replica import ReplicaError

from gate_agent.api_client import ApiClient, ApiError
from gate_agent.decider import PresentationDecider, ReplicaView
from gate_agent.inbox import InboxItem, PresentationDecided, ReplicaSynced
from gate_agent.presentation import Presentation, gate_denial
from gate_agent.replica_store import ReplicaStore, sync_replica

__all__ = ["Bus", "WorkQueue", "Workers"]

_log = logging.getLogger(__name__)


class Bus(Protocol):
    """The MQTT side the agent loop uses."""

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        """Publish at QoS 1; the message id, or None when refused."""
        ...

    def subscribe(self, topics: list[str]) -> None:
        """Subscribe at QoS 1."""
        ...


class WorkQueue(Protocol):
    """What the agent loop asks of its workers."""

    def submit(self, presentation: Presentation) -> bool:
        """Queue a presentation for a decision; False when the queue is full."""
        ...

    def request_sync(self) -> None:
        """Ask for a replica sync soon."""
        ...


class Workers:
    """The decision and sync threads.

    Args:
        inbox: The agent loop's inbox.
        decider: Decides presentations.
        api: The API client (for replica downloads).
        store: The replica file.
        replica: Returns the replica the loop currently uses.
        site: This gate's site id (a replica for another gate is refused).
        gate: This gate's id.
        queue_size: Presentations waiting for a decision, at most.
    """

    def __init__(
        self,
        *,
        inbox: queue.Queue[InboxItem],
        decider: PresentationDecider,
        api: ApiClient,
        store: ReplicaStore,
        replica: Callable[[], ReplicaView],
        site: str,
        gate: str,
        queue_size: int = 16,
    ) -> None:
        self._inbox = inbox
        self._decider = decider
        self._api = api
        self._store = store
        self._replica = replica
        self._site = site
        self._gate = gate
        self._jobs: queue.Queue[Presentation | None] = queue.Queue(maxsize=queue_size)
        self._sync_wanted = threading.Event()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._decide_loop, name="agent-decide", daemon=True),
            threading.Thread(target=self._sync_loop, name="agent-sync", daemon=True),
        ]

    def start(self) -> None:
        """Start both threads."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop both threads (a decision in progress finishes first)."""
        self._stop.set()
        self._sync_wanted.set()
        try:
            self._jobs.put_nowait(None)
        except queue.Full:
            pass
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5.0)

    def submit(self, presentation: Presentation) -> bool:
        """Queue a presentation for a decision; False when the queue is full."""
        try:
            self._jobs.put_nowait(presentation)
        except queue.Full:
            return False
        return True

    def request_sync(self) -> None:
        """Ask for a replica sync soon (requests made meanwhile are merged)."""
        self._sync_wanted.set()

    def _decide_loop(self) -> None:
        while not self._stop.is_set():
            job = self._jobs.get()
            if job is None:
                return
            try:
                self._inbox.put(self._decider.decide(job))
            except Exception:
                _log.exception("decision worker failed on a presentation; denying it")
                # Every presentation gets its event, even one the agent failed to decide.
                verdict = gate_denial("agent error while deciding")
                self._inbox.put(PresentationDecided(job, verdict, None, 0.0))

    def _sync_loop(self) -> None:
        while not self._stop.is_set():
            self._sync_wanted.wait()
            self._sync_wanted.clear()
            if self._stop.is_set():
                return
            try:
                self._sync_once()
            except (ApiError, ReplicaError) as exc:
                _log.warning("replica sync failed: %s", exc)
            except Exception:
                _log.exception("replica sync failed")

    def _sync_once(self) -> None:
        view = self._replica()
        current = view.index.snapshot if view.index is not None else None
        result = sync_replica(client=self._api, current=current, now=datetime.now(UTC))
        snapshot = result.stored.snapshot
        if (snapshot.site_id, snapshot.gate_id) != (self._site, self._gate):
            raise ReplicaError(f"replica is for {snapshot.site_id}/{snapshot.gate_id}")
        self._store.save(result.stored)
        self._inbox.put(ReplicaSynced(result))

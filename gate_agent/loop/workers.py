"""The agent's blocking work, off the loop: the decision, replica sync and confirm workers.

All report back only through the loop's inbox; none touches the outbox (the loop's alone).
The decision queue is bounded: a burst of presentations beyond it is refused (the loop counts
it) rather than piling up stale work. The confirm worker holds at most one job.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Protocol

from gate_protocol.replica import ReplicaError

from gate_agent.decision.decider import PresentationDecided, PresentationDecider, ReplicaView
from gate_agent.decision.presentation import Presentation, gate_denial
from gate_agent.decision.replica_store import ReplicaStore, sync_replica
from gate_agent.links.api_client import ApiClient, ApiError
from gate_agent.loop.inbox import InboxItem, OutboxConfirmed, ReplicaSynced
from gate_agent.outbox.confirm import ConfirmApi, ConfirmJob, ConfirmResult, reconcile

__all__ = ["WorkQueue", "Workers"]

_log = logging.getLogger(__name__)


class WorkQueue(Protocol):
    """What the agent loop asks of its workers."""

    def submit(self, presentation: Presentation) -> bool:
        """Queue a presentation for a decision; False when the queue is full."""
        ...

    def request_sync(self) -> None:
        """Ask for a replica sync soon."""
        ...

    def confirm(self, job: ConfirmJob) -> bool:
        """Check published events and alarms with the API; False when a job is waiting."""
        ...


class Workers:
    """The decision, sync and confirm threads.

    Args:
        inbox: The agent loop's inbox.
        decider: Decides presentations.
        api: The API client (for replica downloads).
        store: The replica file.
        replica: Returns the replica the loop currently uses.
        site: This gate's site id (a replica for another gate is refused).
        gate: This gate's id.
        queue_size: Presentations waiting for a decision, at most.
        confirm_api: The API client of the confirm worker (its own: one client per thread;
            default: `api`).
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
        confirm_api: ConfirmApi | None = None,
    ) -> None:
        self._inbox = inbox
        self._decider = decider
        self._api = api
        self._store = store
        self._replica = replica
        self._site = site
        self._gate = gate
        self._confirm_api: ConfirmApi = confirm_api or api
        self._jobs: queue.Queue[Presentation | None] = queue.Queue(maxsize=queue_size)
        self._confirm_jobs: queue.Queue[ConfirmJob | None] = queue.Queue(maxsize=1)
        self._sync_wanted = threading.Event()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._decide_loop, name="agent-decide", daemon=True),
            threading.Thread(target=self._sync_loop, name="agent-sync", daemon=True),
            threading.Thread(target=self._confirm_loop, name="agent-confirm", daemon=True),
        ]

    def start(self) -> None:
        """Start the threads."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop the threads (a decision or API call in progress finishes first)."""
        self._stop.set()
        self._sync_wanted.set()
        try:
            self._jobs.put_nowait(None)
        except queue.Full:
            pass
        try:
            self._confirm_jobs.put_nowait(None)
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

    def confirm(self, job: ConfirmJob) -> bool:
        """Check published events and alarms with the API; False when a job is waiting."""
        try:
            self._confirm_jobs.put_nowait(job)
        except queue.Full:
            return False
        return True

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
        result = sync_replica(client=self._api, current=current, now=self._api.clock())
        snapshot = result.stored.snapshot
        if (snapshot.site_id, snapshot.gate_id) != (self._site, self._gate):
            raise ReplicaError(f"replica is for {snapshot.site_id}/{snapshot.gate_id}")
        self._store.save(result.stored, delta=result.delta)
        self._inbox.put(ReplicaSynced(result))

    def _confirm_loop(self) -> None:
        while not self._stop.is_set():
            job = self._confirm_jobs.get()
            if job is None:
                return
            try:
                result = reconcile(api=self._confirm_api, job=job)
            except Exception as exc:
                _log.exception("confirm worker failed")
                result = ConfirmResult.failed(job, repr(exc))
            # Always answer, so the loop knows the job is over and sends the next one.
            self._inbox.put(OutboxConfirmed(result))

"""Delivers one kind of outbox row (events or alarms): MQTT with a publish window, HTTP replay.

Only a window of rows is handed to paho at a time; paho keeps them across reconnects with
their message ids, and each PUBACK marks its row *published* (with the time). A PUBACK is
not proof the API stored the message, so published rows stay until confirmed: the loop
takes a `ConfirmBatch` of rows published more than the grace period ago (`confirm_batch`)
for the confirm worker (`gate_agent.outbox.confirm`), whose `ConfirmOutcome` comes back
through the inbox (`on_confirmed`). While MQTT has been down a while and the API answers,
the oldest unsent rows go over HTTP in batches instead (`replay_http`); the API's answer
confirms them at once (it stores each id once, so one that also arrives over MQTT is
harmless).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Generic, Protocol

from gate_protocol.messages import Message

from gate_agent.links.api_client import ApiError, BatchResult, Upload
from gate_agent.outbox.confirm import CONFIRM_BATCH, ConfirmBatch, ConfirmOutcome
from gate_agent.outbox.kinds import M, OutboxKind
from gate_agent.outbox.publish_window import Publisher, PublishWindow
from gate_agent.outbox.rows import OutboxRows

__all__ = ["OutboxSender", "Publisher", "UploadApi"]

_log = logging.getLogger(__name__)


class UploadApi(Protocol):
    """The API call that stores a batch (the real one is `ApiClient.upload`)."""

    def upload(self, wire: Upload[M], messages: Sequence[M]) -> BatchResult:
        """Store a batch of this gate's messages of one kind (idempotent on the id)."""
        ...


class OutboxSender(Generic[M]):
    """Moves one kind of row from the outbox to the API (used from the agent loop's thread only).

    Args:
        rows: The outbox table of the kind (owned by the agent loop's thread).
        publisher: The MQTT link.
        topic: The gate's topic for the kind.
        window: Rows handed to MQTT and not yet acknowledged, at most.
        api: The API client for HTTP replay (None: rows wait for MQTT).
        batch_size: Rows per HTTP batch.
        confirm_grace_s: Published rows are checked with the API only this long after
            their PUBACK (the API's ingest usually has them by then).
        wall: The wall clock (Unix time; publication times survive restarts).
    """

    def __init__(
        self,
        *,
        rows: OutboxRows[M],
        publisher: Publisher,
        topic: str,
        window: int = 20,
        api: UploadApi | None = None,
        batch_size: int = 100,
        confirm_grace_s: float = 3.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._rows: OutboxRows[M] = rows
        self._mqtt = PublishWindow(publisher=publisher, topic=topic, window=window)
        self._api = api
        self._batch_size = batch_size
        self._confirm_grace_s = confirm_grace_s
        self._wall = wall
        self.replayed_over_http = 0
        self.confirmed_known = 0
        self.resent_unknown = 0

    @property
    def kind(self) -> OutboxKind[M]:
        """Which rows this sender delivers."""
        return self._rows.kind

    @property
    def noun(self) -> str:
        """The kind in log lines ("events", "alarms")."""
        return self._rows.kind.noun

    @property
    def unsent(self) -> int:
        """Rows waiting to be published."""
        return self._rows.unsent

    @property
    def in_flight(self) -> int:
        """Rows handed to MQTT and not yet acknowledged."""
        return self._mqtt.in_flight

    def pump_mqtt(self) -> int:
        """Hand the next unsent rows to MQTT, up to the window; returns how many."""
        if not self._rows.unsent:
            return 0
        self._rows.retry_marks(at=self._wall())
        return self._mqtt.pump(self._unpublished)

    def _unpublished(self, limit: int, after_seq: int) -> list[tuple[int, Message]]:
        return [(p.seq, p.message) for p in self._rows.pending(limit=limit, after_seq=after_seq)]

    def on_puback(self, mid: int) -> bool:
        """Mark the row behind this message id published; False if the mid is not this kind's."""
        seq = self._mqtt.acknowledge(mid)
        if seq is None:
            return False
        self._rows.mark_published([seq], at=self._wall())
        return True

    def reset_mqtt(self) -> None:
        """Forget what paho holds (a new client): every unsent row is handed again."""
        self._mqtt.reset()

    def confirm_batch(self) -> ConfirmBatch | None:
        """Published rows to check with the API (PUBACKed over the grace period ago), if any."""
        pending = self._rows.published_unconfirmed(
            limit=CONFIRM_BATCH, published_before=self._wall() - self._confirm_grace_s
        )
        return ConfirmBatch(self._rows.kind, tuple(pending)) if pending else None

    def on_confirmed(self, outcome: ConfirmOutcome) -> int:
        """Mark what the worker confirmed; returns how many rows were newly confirmed."""
        marked = self._rows.mark_confirmed(outcome.confirmed)
        self.confirmed_known += outcome.known
        self.resent_unknown += outcome.resent
        if outcome.resent:
            _log.warning("re-sent %d %s the API did not have (PUBACKed)", outcome.resent, self.noun)
        if outcome.error is not None:
            _log.info(
                "confirming %d %s: %d confirmed, then %s",
                outcome.asked,
                self.noun,
                len(outcome.confirmed),
                outcome.error,
            )
        return marked

    def replay_http(self) -> int:
        """Send one batch of the oldest unsent rows over HTTP; returns how many were confirmed."""
        if self._api is None or not self._rows.unsent:
            return 0
        pending = self._rows.pending(limit=self._batch_size)
        try:
            result = self._api.upload(self._rows.kind.upload, [p.message for p in pending])
        except ApiError as exc:
            _log.info("replaying %s over HTTP failed: %s", self.noun, exc)
            return 0
        # The API answered for the batch: stored is confirmed, no need to ask again.
        marked = self._rows.mark_confirmed(p.seq for p in pending)
        self.replayed_over_http += marked
        _log.info(
            "replayed %d %s over HTTP (%d new, %d duplicates)",
            len(pending),
            self.noun,
            result.stored,
            result.duplicates,
        )
        return marked

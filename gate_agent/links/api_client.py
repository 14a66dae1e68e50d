"""The agent's HTTP client of the central API: decisions, events and alarms, replicas.

Events and alarms travel the same way (`upload`, `known`): each kind's `Upload` names its
path and bodies (``/api/v1/events`` and ``/api/v1/alarms``, each with ``/known``). Every
call has a hard timeout. A decision that times out, cannot connect or gets a 5xx
raises `ApiUnavailable`, and the agent decides from its replica instead; a 4xx is a bug or a
bad key and raises `ApiRejected` (the agent still falls back, but logs it loudly).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx
from gate_protocol.api_models import (
    AlarmBatch,
    AlarmBatchResult,
    AlarmIdAnswer,
    AlarmIdQuery,
    DecisionAnswer,
    DecisionQuery,
    EventBatch,
    EventBatchResult,
    EventIdAnswer,
    EventIdQuery,
)
from gate_protocol.messages import AccessEvent, AlarmRaised
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot, decode_replica
from pydantic import BaseModel, ValidationError

from gate_agent.config import ApiConfig
from gate_agent.links.clock import SkewClock

__all__ = [
    "ALARM_UPLOAD",
    "EVENT_UPLOAD",
    "ApiClient",
    "ApiError",
    "ApiRejected",
    "ApiUnavailable",
    "BatchResult",
    "Upload",
]

_log = logging.getLogger(__name__)
GATE_KEY_HEADER = "X-Gate-Key"
_T = TypeVar("_T")
_M = TypeVar("_M", AccessEvent, AlarmRaised)
BatchResult = EventBatchResult | AlarmBatchResult


@dataclass(frozen=True, slots=True)
class Upload(Generic[_M]):
    """How one kind of outbox message reaches the API over HTTP (its wire, as agents speak it).

    Attributes:
        path: Where a batch is posted; ``{path}/known`` asks which ids are stored.
        noun: The kind in log lines and errors ("events", "alarms").
        batch: Builds the batch body.
        result: Reads the batch answer.
        query: Builds the known-ids body.
        answer: Reads the known-ids answer (the ids the API stores).
    """

    path: str
    noun: str
    batch: Callable[[tuple[_M, ...]], BaseModel]
    result: Callable[[bytes], BatchResult]
    query: Callable[[tuple[str, ...]], BaseModel]
    answer: Callable[[bytes], tuple[str, ...]]


EVENT_UPLOAD: Upload[AccessEvent] = Upload(
    path="/api/v1/events",
    noun="events",
    batch=lambda events: EventBatch(events=events),
    result=EventBatchResult.model_validate_json,
    query=lambda ids: EventIdQuery(event_ids=ids),
    answer=lambda raw: EventIdAnswer.model_validate_json(raw).known,
)
ALARM_UPLOAD: Upload[AlarmRaised] = Upload(
    path="/api/v1/alarms",
    noun="alarms",
    batch=lambda alarms: AlarmBatch(alarms=alarms),
    result=AlarmBatchResult.model_validate_json,
    query=lambda ids: AlarmIdQuery(alarm_ids=ids),
    answer=lambda raw: AlarmIdAnswer.model_validate_json(raw).known,
)


class ApiError(RuntimeError):
    """The central API did not give a usable answer."""


class ApiUnavailable(ApiError):
    """Timeout, connection error, 5xx or an unreadable body: the API is away for now."""


class ApiRejected(ApiError):
    """A 4xx: the request or the gate key was refused."""


# The connection was dropped under the request (not a timeout): worth one more try.
_DROPPED = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


class ApiClient:
    """Talks to the central API as one gate.

    Args:
        base_url: The API's base URL.
        gate: This gate's id (for the replica path).
        gate_key: This gate's API key, sent as X-Gate-Key.
        decision_timeout_s: Hard timeout of a decision (connect, write, read, pool).
        sync_timeout_s: Timeout of replica downloads and event batches.
        transport: An httpx transport to use instead of the network (tests only).
        clock: The agent's clock, which every answer's Date header checks (shared by the
            agent's clients; default: a clock of its own with a 30 s bound).
    """

    @classmethod
    def for_gate(
        cls, api: ApiConfig, *, gate: str, gate_key: str, clock: SkewClock | None = None
    ) -> ApiClient:
        """A client with the URL and timeouts of the agent config's `api` section."""
        return cls(
            base_url=api.url,
            gate=gate,
            gate_key=gate_key,
            decision_timeout_s=api.decision_timeout_ms / 1000,
            sync_timeout_s=api.sync_timeout_s,
            clock=clock if clock is not None else SkewClock(max_skew_s=api.max_clock_skew_s),
        )

    def __init__(
        self,
        *,
        base_url: str,
        gate: str,
        gate_key: str,
        decision_timeout_s: float,
        sync_timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: SkewClock | None = None,
    ) -> None:
        self._gate = gate
        # Every answer's Date header measures this host's clock against the API's.
        self.clock = clock if clock is not None else SkewClock(max_skew_s=30.0)
        self._decision_timeout = httpx.Timeout(decision_timeout_s)
        self._sync_timeout = httpx.Timeout(sync_timeout_s)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={GATE_KEY_HEADER: gate_key},
            transport=transport,
            event_hooks={"response": [self._saw_answer]},
        )

    def _saw_answer(self, response: httpx.Response) -> None:
        self.clock.observe_header(response.headers.get("date"))

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _post(self, path: str, body: bytes, timeout: httpx.Timeout) -> bytes:
        try:
            response = self._http.post(
                path,
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=timeout,
            )
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"{path}: {type(exc).__name__}") from None
        return self._check(path, response)

    @staticmethod
    def _check(path: str, response: httpx.Response) -> bytes:
        if response.status_code >= 500:
            raise ApiUnavailable(f"{path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ApiRejected(f"{path}: HTTP {response.status_code}")
        return response.content

    def decide(self, query: DecisionQuery) -> DecisionAnswer:
        """POST /api/v1/decisions within the decision timeout.

        Raises:
            ApiUnavailable: timeout, connection error, 5xx, or an answer that does not validate.
            ApiRejected: a 4xx.
        """
        body = self._post(
            "/api/v1/decisions", query.model_dump_json().encode(), self._decision_timeout
        )
        try:
            answer = DecisionAnswer.model_validate_json(body)
        except ValidationError:
            raise ApiUnavailable("decision answer does not validate") from None
        if answer.request_id != query.request_id:
            raise ApiUnavailable("decision answer is for another request")
        return answer

    def upload(self, wire: Upload[_M], messages: Sequence[_M]) -> BatchResult:
        """POST a batch of one kind (``/api/v1/events`` or ``/alarms``; idempotent on the id).

        Raises:
            ApiUnavailable: timeout, connection error, 5xx or an unreadable answer.
            ApiRejected: a 4xx.
        """
        body = wire.batch(tuple(messages))
        return self._exchange(wire.path, body, wire.result, f"{wire.noun} batch")

    def known(self, wire: Upload[_M], ids: Sequence[str]) -> frozenset[str]:
        """POST ``{path}/known``: which of these ids of this gate's messages the API stores.

        Raises:
            ApiUnavailable: timeout, connection error, 5xx or an unreadable answer.
            ApiRejected: a 4xx.
        """
        path = f"{wire.path}/known"
        known = self._exchange(path, wire.query(tuple(ids)), wire.answer, f"known-{wire.noun}")
        # Only what was asked counts: an answer naming other ids confirms nothing more.
        return frozenset(known) & frozenset(ids)

    def _exchange(self, path: str, body: BaseModel, read: Callable[[bytes], _T], what: str) -> _T:
        raw = self._post(path, body.model_dump_json().encode(), self._sync_timeout)
        try:
            return read(raw)
        except ValidationError:
            raise ApiUnavailable(f"{what} answer does not validate") from None

    def fetch_replica(self, since: int | None) -> ReplicaSnapshot | ReplicaDelta:
        """GET /api/v1/gates/{gate}/replica, as a delta after `since` or a full snapshot.

        Raises:
            ApiUnavailable: timeout, connection error, 5xx or a body that does not validate.
            ApiRejected: a 4xx.
        """
        params = {"since": str(since)} if since is not None else None
        path = f"/api/v1/gates/{self._gate}/replica"
        try:
            try:
                response = self._http.get(path, params=params, timeout=self._sync_timeout)
            except _DROPPED:
                # A pooled connection the API closed (idle keep-alive) as the request left:
                # the GET is idempotent, and waiting for the next periodic sync would keep
                # a ban or a revocation off this gate for a whole sync interval.
                response = self._http.get(path, params=params, timeout=self._sync_timeout)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"{path}: {type(exc).__name__}") from None
        body = self._check(path, response)
        try:
            return decode_replica(body)
        except ValidationError:
            raise ApiUnavailable("replica does not validate") from None

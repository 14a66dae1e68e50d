"""A tiny central API for agent tests: a real HTTP server speaking the api_models contract.

It runs http.server in a thread, so the agent's timeouts, connection errors and 5xx
handling are exercised for real; it can be made slow, failing or stopped.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gate_protocol.api_models import (
    DecisionAnswer,
    DecisionQuery,
    EventBatch,
    EventBatchResult,
    EventIdAnswer,
    EventIdQuery,
)
from gate_protocol.messages import AccessEvent, Decision
from gate_protocol.reasons import ReasonCode, describe_reason
from gate_protocol.replica import ReplicaSnapshot
from testkit.agent.doubles import GATE, GATE_KEY, GOOD_BADGE, make_snapshot

__all__ = ["ApiStub"]


class ApiStub:
    """The central API's agent-facing routes on a real port.

    `mode` is "up", "slow" (sleeps `slow_s` before answering decisions), or "error" (500).
    It grants the good badge (P1) and a pass; `holders` (badge number -> person id) names
    more badges it grants, each for its person (a lane of several people).
    """

    def __init__(
        self, snapshot: ReplicaSnapshot | None = None, holders: dict[str, str] | None = None
    ) -> None:
        self.snapshot = snapshot or make_snapshot()
        self.holders = {GOOD_BADGE: "P1", **(holders or {})}
        self.mode = "up"
        self.slow_s = 1.0
        self.queries: list[DecisionQuery] = []
        self.events: dict[str, AccessEvent] = {}
        self.event_posts = 0
        self.known_posts = 0
        self.replica_gets = 0
        self.bad_keys = 0
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authorised(self) -> bool:
                if self.headers.get("X-Gate-Key") != GATE_KEY:
                    stub.bad_keys += 1
                    self._reply(401, b'{"detail":"bad gate key"}')
                    return False
                return True

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/api/v1/decisions":
                    self._reply(*stub.answer(body))
                elif self.path == "/api/v1/events":
                    self._reply(*stub.store_events(body))
                elif self.path == "/api/v1/events/known":
                    self._reply(*stub.known_events(body))
                else:
                    self._reply(404, b"{}")

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                if self.path.startswith(f"/api/v1/gates/{GATE}/replica"):
                    stub.replica_gets += 1
                    self._reply(200, stub.snapshot.model_dump_json().encode())
                else:
                    self._reply(404, b"{}")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._stopped = False
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` of the stub."""
        return f"http://127.0.0.1:{self.port}"

    def answer(self, body: bytes) -> tuple[int, bytes]:
        """Answer a decision query: granted for a holder's badge or a pass (per `mode`)."""
        query = DecisionQuery.model_validate_json(body)
        with self._lock:
            self.queries.append(query)
        if self.mode == "error":
            return 500, b'{"detail":"boom"}'
        if self.mode == "slow":
            time.sleep(self.slow_s)
        holder = self.holders.get(query.badge_number or "")
        if holder is None and query.pass_token is not None:
            holder = "P1"
        granted = holder is not None
        reason = ReasonCode.GRANTED if granted else ReasonCode.UNKNOWN_CREDENTIAL
        answer = DecisionAnswer(
            request_id=query.request_id,
            decision=Decision.GRANTED if granted else Decision.DENIED,
            reason=reason,
            reason_text=describe_reason(reason),
            person_id=holder,
            replica_version=self.snapshot.version,
        )
        return 200, answer.model_dump_json().encode()

    def store_events(self, body: bytes) -> tuple[int, bytes]:
        """Store an event batch once per event id; answer what was new and what was known."""
        batch = EventBatch.model_validate_json(body)
        stored = duplicates = 0
        with self._lock:
            self.event_posts += 1
            for event in batch.events:
                if event.event_id in self.events:
                    duplicates += 1
                else:
                    self.events[event.event_id] = event
                    stored += 1
        return 200, EventBatchResult(
            stored=stored, duplicates=duplicates
        ).model_dump_json().encode()

    def known_events(self, body: bytes) -> tuple[int, bytes]:
        """Answer which of the asked event ids the stub holds."""
        query = EventIdQuery.model_validate_json(body)
        with self._lock:
            self.known_posts += 1
            known = tuple(i for i in query.event_ids if i in self.events)
        return 200, EventIdAnswer(known=known).model_dump_json().encode()

    def stop(self) -> None:
        """Stop serving and close the socket (again: nothing)."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()

"""The decision lane: a gate's ordinary decision request answered below the web framework.

A decision is the request a gate waits on at the barrier, and most of its CPU went to the
framework around it (routing through every route, dependency solving, the response
classes), not to deciding. This ASGI middleware answers the ordinary case itself: a
``POST /api/v1/decisions`` with a JSON body that validates, from a gate key this process
already found valid (`central_api.security.gate_keys.GateKeyHeader` keeps them in the decision
cache's generation). It calls the same `central_api.decisions.entry.decide` as the route
(on the event loop when everything but the live state is cached, else on a worker thread)
and writes the same JSON.

Everything else goes to the FastAPI route unchanged, the body already read handed on as
it came: an unknown or missing key, a body that does not validate, a missing or oversized
Content-Length, another content type, and any refusal raised while deciding (a key
revoked meanwhile, a gate deleted). The route is the one reference for those answers (401,
422, 413, 404), and the documented one in the OpenAPI schema.
"""

import logging
from typing import Any

from fastapi import HTTPException
from gate_protocol.api_models import DecisionQuery
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central_api.decisions.entry import decide
from central_api.errors import ServiceError
from central_api.security.gate_keys import GATE_KEY_HEADER, GateKeyClaim, cached_claim, hash_key

__all__ = ["DECISION_PATH", "DecisionLane"]

DECISION_PATH = "/api/v1/decisions"
_KEY_HEADER = GATE_KEY_HEADER.lower().encode()
_MAX_DECISION_BYTES = 64 * 1024  # a decision query is well under 2 KiB

logger = logging.getLogger(__name__)


class DecisionLane:
    """ASGI middleware: answers warm gates' well-formed decision requests directly.

    ``state.decision_lane_answered`` counts the requests it answered itself (the rest
    went to the route).
    """

    def __init__(self, app: ASGIApp, *, state: Any) -> None:
        """Wrap `app`; `state` is the FastAPI app's state (cache, engines, settings, bus)."""
        self.app = app
        self.state = state
        state.decision_lane_answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a warm decision request, or hand the request to the app."""
        if scope["type"] != "http" or scope["path"] != DECISION_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        claim, length = self._warm_claim(scope)
        if claim is None or length is None:
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive, length)
        if not complete:
            await self.app(scope, _replay(body, receive), send)
            return
        try:
            query = DecisionQuery.model_validate_json(body)
            answer = await decide(state=self.state, claim=claim, query=query)
        except (ValidationError, HTTPException, ServiceError):
            # The route gives these their one answer (422, 401, 404): decide there again.
            await self.app(scope, _replay(body, receive), send)
            return
        payload = answer.model_dump_json().encode()
        self.state.decision_lane_answered += 1
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def _warm_claim(self, scope: Scope) -> tuple[GateKeyClaim | None, int | None]:
        """The claim of a key in the current generation, and the declared body length."""
        key: bytes | None = None
        length: int | None = None
        json_body = False
        for name, value in scope["headers"]:
            if name == _KEY_HEADER:
                key = value
            elif name == b"content-length":
                length = int(value) if value.isdigit() else None
            elif name == b"content-type":
                json_body = value.split(b";", 1)[0].strip().lower() == b"application/json"
        if key is None or not json_body or length is None or length > _MAX_DECISION_BYTES:
            return None, None
        if len(key) > 200:
            return None, None
        claim = cached_claim(self.state.decision_cache, hash_key(key.decode("latin-1")))
        return (claim, length) if claim is not None else (None, None)


async def _read_body(receive: Receive, length: int) -> tuple[bytes, bool]:
    """The body as declared; False when it ended early or ran over its declared length."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > length:
            return b"".join(chunks), False
        if not message.get("more_body", False):
            return b"".join(chunks), size == length


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the app the body already read, then the rest as it comes."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

"""JSON request bodies with NaN, Infinity or out-of-range numbers get one clear 422.

Python's ``json`` (which FastAPI uses) reads ``NaN``, ``Infinity``, ``-Infinity`` and
``1e999`` as floats no model refuses by default, that cannot be written back as JSON
(the validation error that echoes them failed as a 500) nor stored. Integers over 4300
digits raise ValueError, which FastAPI turns into a vague 400. This ASGI middleware reads
every JSON body once, before the decision lane and the routes, and refuses these numbers
wherever they stand; anything else (valid JSON, or JSON that does not parse, which the
route answers itself) goes on with the body as it came.

It must sit inside the streaming body limit (`central_api.app`): it reads the whole body.
"""

import json
import math
from typing import NoReturn

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central_api.errors import BODY_TOO_LARGE

__all__ = ["NonFiniteNumber", "StrictJsonBody", "check_json_numbers"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DETAIL = "request body: NaN, Infinity and numbers out of range are not allowed in JSON ({})"


class NonFiniteNumber(ValueError):
    """A JSON number that is not a finite float or an integer Python can read."""


def _refuse_constant(name: str) -> NoReturn:
    raise NonFiniteNumber(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NonFiniteNumber(text[:20])
    return value


def check_json_numbers(body: bytes) -> None:
    """Parse `body` as JSON and raise NonFiniteNumber for a number it cannot hold.

    A body that is not JSON at all passes: whoever parses it next answers that.
    """
    try:
        json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except NonFiniteNumber:
        raise
    except RecursionError as exc:
        raise NonFiniteNumber("nested too deeply") from exc
    except (json.JSONDecodeError, UnicodeDecodeError):
        return
    except ValueError as exc:  # an integer over Python's 4300-digit limit
        raise NonFiniteNumber("integer too long") from exc


def _is_json(scope: Scope) -> bool:
    """FastAPI's rule: a body without a Content-Type, or with a JSON one, is read as JSON."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind: bytes = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or (
                kind.startswith(b"application/") and kind.endswith(b"+json")
            )
    return True


class StrictJsonBody:
    """ASGI middleware: answer 422 for a JSON body with a non-finite number."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check a JSON body's numbers, then hand the request on with the body as read."""
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        try:
            body, ended = await _read_body(receive)
        except HTTPException as exc:  # the body limit, raised from `receive`
            detail = BODY_TOO_LARGE if exc.status_code == 413 else exc.detail
            await JSONResponse({"detail": detail}, status_code=exc.status_code)(
                scope, receive, send
            )
            return
        if ended:
            try:
                check_json_numbers(body)
            except NonFiniteNumber as exc:
                answer = JSONResponse({"detail": _DETAIL.format(exc)}, status_code=422)
                await answer(scope, receive, send)
                return
        await self.app(scope, _replay(body, ended, receive), send)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body, and False when the client left before its end."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, ended: bool, receive: Receive) -> Receive:
    """A `receive` that gives the body already read, then whatever comes next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if ended:
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}
        return await receive()

    return replay

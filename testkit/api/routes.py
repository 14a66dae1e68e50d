"""Every HTTP route of an app, walked through included routers, for tests over all routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

__all__ = ["api_routes", "concrete", "state_changing_endpoints"]

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Every `APIRoute` of `app`, those of included routers too."""
    pending: list[Any] = list(app.routes)
    while pending:
        route = pending.pop()
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            pending.extend(route.original_router.routes)


def concrete(path: str) -> str:
    """`path` with every parameter replaced by ``1`` (a valid id and a valid integer)."""
    return re.sub(r"\{[^}]+\}", "1", path)


def state_changing_endpoints(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of `app` that is not GET, HEAD or OPTIONS, sorted."""
    return sorted(
        {
            (method, route.path)
            for route in api_routes(app)
            for method in route.methods or ()
            if method not in _SAFE
        }
    )

"""A chunked body (no Content-Length) is cut off at the limit, on a real uvicorn server.

The limit counts the bytes that arrive, so an anonymous 300 MB upload gets its 413 after
about 4 MiB and the server's memory stays where it was.
"""

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from central_api.app import MAX_BODY_BYTES
from testkit.api.server import ThreadedApi

_CHUNK = b"x" * (64 * 1024)
_UPLOAD_BYTES = 300 * 1024 * 1024
_RSS_HEADROOM = 100 * 1024 * 1024


def _rss_bytes() -> int:
    pages = Path("/proc/self/statm").read_text().split()[1]
    return int(pages) * 4096


class _PeakRss:
    """The highest RSS of this process (the server runs on a thread in it) while open."""

    def __init__(self) -> None:
        self.start = _rss_bytes()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_bytes())

    def __enter__(self) -> "_PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // len(_CHUNK)):
        yield _CHUNK


_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("path", "content_type", "status"),
    [
        ("/api/v1/events", _JSON, 413),
        ("/api/v1/decisions", _JSON, 413),
        ("/api/v1/people", _JSON, 413),
        # The form parser refuses one field over 1 MiB (400) before the body limit.
        ("/api/v1/auth/token", _FORM, 400),
        ("/login", _FORM, 400),
    ],
)
def test_an_anonymous_chunked_upload_is_cut_off_at_the_limit(
    app: FastAPI, path: str, content_type: str, status: int
) -> None:
    with ThreadedApi(app) as server, _PeakRss() as rss:
        answer = httpx.post(
            server.url + path,
            content=_chunks(_UPLOAD_BYTES),
            headers={"Content-Type": content_type},
            timeout=60,
        )
    grown = rss.peak - rss.start
    assert answer.status_code == status
    assert answer.json()["detail"]
    assert grown < _RSS_HEADROOM, f"RSS grew by {grown / 2**20:.0f} MiB"


def test_a_chunked_body_within_the_limit_reaches_the_route(app: FastAPI) -> None:
    with ThreadedApi(app) as server:
        answer = httpx.post(
            server.url + "/api/v1/events",
            content=iter([b'{"events": ', b"[]}"]),
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 401  # the route asked for its gate key


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/events", _JSON),  # read before the route (strict JSON, the lane)
        ("/api/v1/decisions", _JSON),
        ("/api/v1/people", _JSON),
        ("/api/v1/people", "application/octet-stream"),  # read by the route itself
    ],
)
def test_a_chunked_body_over_the_limit_gets_the_same_answer_as_a_declared_one(
    app: FastAPI, path: str, content_type: str
) -> None:
    over = MAX_BODY_BYTES + 2 * len(_CHUNK)
    with ThreadedApi(app) as server:
        declared = httpx.post(
            server.url + path, content=b"x" * over, headers={"Content-Type": content_type}
        )
        chunked = httpx.post(
            server.url + path, content=_chunks(over), headers={"Content-Type": content_type}
        )
    assert declared.status_code == chunked.status_code == 413
    assert chunked.headers["content-type"] == "application/json"
    assert (
        chunked.json() == declared.json() == {"detail": f"request body over {MAX_BODY_BYTES} bytes"}
    )

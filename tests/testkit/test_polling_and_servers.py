"""wait_until (pure timing logic) and the API served on a thread (a real uvicorn)."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from testkit.api.server import ThreadedApi
from testkit.polling import wait_until


def test_wait_until_returns_the_first_true_value() -> None:
    answers = iter([None, [], {"row": 1}])
    assert wait_until(lambda: next(answers), 2, interval=0.01) == {"row": 1}


def test_wait_until_gives_the_last_value_once_time_is_up() -> None:
    started = time.monotonic()
    assert wait_until(lambda: 0, 0.1, interval=0.02) == 0
    assert 0.1 <= time.monotonic() - started < 1.0


@pytest.mark.parametrize(("timeout", "interval"), [(-1.0, 0.05), (1.0, 0.0)])
def test_wait_until_refuses_a_bad_timeout_or_interval(timeout: float, interval: float) -> None:
    with pytest.raises(ValueError, match="timeout >= 0 and interval > 0"):
        wait_until(lambda: True, timeout, interval=interval)


def test_the_threaded_api_serves_and_runs_the_lifespan() -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.up = True
        yield

    app = FastAPI(lifespan=lifespan)
    app.state.up = False

    @app.get("/ping")
    def ping() -> dict[str, bool]:
        return {"up": app.state.up}

    with ThreadedApi(app) as server:
        assert httpx.get(f"{server.url}/ping").json() == {"up": True}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/ping", timeout=1)


# uvicorn ends its thread with SystemExit when it cannot bind: that is the case under test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_port_in_use_is_reported() -> None:
    with ThreadedApi(FastAPI()) as first:
        with pytest.raises(RuntimeError, match=f"did not start on port {first.port}"):
            ThreadedApi(FastAPI(), port=first.port).start(timeout_s=5)

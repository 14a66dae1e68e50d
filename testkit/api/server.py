"""The central API served for real by uvicorn on a background thread, on a free local port."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from testkit.ports import free_port

__all__ = ["ThreadedApi"]


class ThreadedApi:
    """Serve `app` (lifespan included) on 127.0.0.1; use it as a context manager.

    Args:
        app: The application.
        port: The port (default: a free one).
        tls: The server's certificate and key files: serve HTTPS.
    """

    def __init__(
        self, app: FastAPI, *, port: int | None = None, tls: tuple[Path, Path] | None = None
    ) -> None:
        self.port = free_port() if port is None else port
        self.scheme = "https" if tls else "http"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            ssl_certfile=str(tls[0]) if tls else None,
            ssl_keyfile=str(tls[1]) if tls else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="test-api", daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (``https`` when serving TLS)."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, *, timeout_s: float = 30.0) -> None:
        """Start serving and wait until uvicorn has started (the app's startup has run).

        Raises:
            RuntimeError: It did not start in time or its thread ended (port taken?).
        """
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the API did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self, *, timeout_s: float = 15.0) -> None:
        """Ask uvicorn to finish (the app's shutdown runs) and wait for its thread."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)

    def __enter__(self) -> ThreadedApi:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

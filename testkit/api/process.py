"""`portgate api` as a process of its own, on a free local port, for tests across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from testkit.ports import free_port

__all__ = ["ApiProcess"]

_PORTGATE = str(Path(sys.executable).parent / "portgate")


class ApiProcess:
    """`portgate api` on `database_url` (dev mode) as a context manager; stopped by SIGTERM.

    Args:
        database_url: The migrated database it serves.
        env: More environment variables for it.
        start_timeout_s: How long it may take to answer /healthz.
    """

    def __init__(
        self,
        database_url: str,
        *,
        env: dict[str, str] | None = None,
        start_timeout_s: float = 60.0,
    ) -> None:
        self.port = free_port()
        self._start_timeout_s = start_timeout_s
        self._env = {**os.environ, "DATABASE_URL": database_url, "PORTGATE_DEV_MODE": "1"}
        self._env.update(env or {})
        self._process: subprocess.Popen[bytes] | None = None
        self.output = ""

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ApiProcess:
        self._process = subprocess.Popen(  # noqa: S603 (our own CLI)
            [_PORTGATE, "api", "--port", str(self.port)],
            env=self._env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self._start_timeout_s
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"portgate api did not start:\n{self.output}")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
        try:
            self.output = self._process.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            self._process.kill()
            self.output = self._process.communicate()[0].decode(errors="replace")

"""`portgate api` as a process of its own on a local port: one installation's API and dashboard."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from portgate.demo.broker import free_port

__all__ = ["ApiProcess"]

_PORTGATE = str(Path(sys.executable).parent / "portgate")


class ApiProcess:
    """`portgate api` on `database_url` (dev mode) as a context manager; stopped by SIGTERM.

    Args:
        database_url: The migrated database it serves.
        env: More environment variables for it.
        start_timeout_s: How long it may take to answer /healthz.
        port: The port it listens on (default: a free one).
        log_path: Where its output goes; by default it is kept in memory and read into
            `output` when it stops (fine for a short run only: nobody drains the pipe).
    """

    def __init__(
        self,
        database_url: str,
        *,
        env: dict[str, str] | None = None,
        start_timeout_s: float = 60.0,
        port: int | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        self._start_timeout_s = start_timeout_s
        self._env = {**os.environ, "DATABASE_URL": database_url, "PORTGATE_DEV_MODE": "1"}
        self._env.update(env or {})
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self.output = ""

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def _stdout(self) -> IO[bytes] | int:
        if self._log_path is None:
            return subprocess.PIPE
        return self._log_path.open("ab")

    def __enter__(self) -> ApiProcess:
        stdout = self._stdout()
        try:
            self._process = subprocess.Popen(  # noqa: S603 (our own CLI)
                [_PORTGATE, "api", "--port", str(self.port)],
                env=self._env,
                stdout=stdout,
                stderr=subprocess.STDOUT,
            )
        finally:
            if not isinstance(stdout, int):
                stdout.close()  # the child has its own copy
        deadline = time.monotonic() + self._start_timeout_s
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"portgate api did not start on port {self.port}:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        """The end of its output so far (from the log file when it has one)."""
        if self._log_path is not None:
            try:
                return self._log_path.read_text(errors="replace")[-chars:]
            except OSError:
                return ""
        return self.output[-chars:]

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
            out = self._process.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            self._process.kill()
            out = self._process.communicate()[0]
        self.output = (out or b"").decode(errors="replace")

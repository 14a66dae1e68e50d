"""A mosquitto process: started on a config file, waited for until it listens, stopped.

The demo's site broker (`portgate.demo.broker`) and the brokers the tests and benchmarks
start (`testkit.mosquitto`) both run mosquitto through `MosquittoProcess`.
"""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["INSTALL_HINT", "BrokerMissingError", "MosquittoProcess", "find_mosquitto"]

_log = logging.getLogger(__name__)
INSTALL_HINT = "apt-get install mosquitto"
_DEBIAN_PATH = Path("/usr/sbin/mosquitto")
_LOG_TAIL_CHARS = 4000


class BrokerMissingError(RuntimeError):
    """mosquitto is not installed."""


def find_mosquitto() -> Path:
    """The mosquitto binary.

    Raises:
        BrokerMissingError: it is neither on PATH nor at /usr/sbin/mosquitto.
    """
    found = shutil.which("mosquitto")
    if found:
        return Path(found)
    if _DEBIAN_PATH.exists():
        return _DEBIAN_PATH
    raise BrokerMissingError(f"mosquitto is not installed: run `{INSTALL_HINT}`")


@dataclass
class MosquittoProcess:
    """One mosquitto on 127.0.0.1:`port`, run on `conf_path` from `workdir`.

    Its output goes to `log_path`. It runs in a session of its own: a Ctrl-C in the
    terminal reaches the program that started it, which stops it in order.
    """

    port: int
    workdir: Path
    conf_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, *, timeout_s: float = 10.0) -> None:
        """Start (or start again) and wait until it accepts TCP connections.

        Raises:
            BrokerMissingError: mosquitto is not installed.
            RuntimeError: it exited or did not listen in time (with the end of its log).
        """
        if self.running:
            return
        binary = find_mosquitto()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (fixed binary, our own config)
                [str(binary), "-c", str(self.conf_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited early; {self.log_path}:\n{self._log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    _log.info("mosquitto listening on 127.0.0.1:%d", self.port)
                    return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"mosquitto did not listen on port {self.port}:\n{self._log_tail()}")

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def stop(self, *, timeout_s: float = 10.0) -> None:
        """SIGTERM (mosquitto saves its persistence file) and wait; SIGKILL if it hangs."""
        if not self.running or self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: a broker crash, nothing saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """Stop in order and start again on the same port with the same config."""
        self.stop()
        self.start()

    def log(self) -> str:
        """The broker's log so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _log_tail(self) -> str:
        return self.log()[-_LOG_TAIL_CHARS:]

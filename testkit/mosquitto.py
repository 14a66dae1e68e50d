"""Start a real mosquitto for a test or a benchmark: free port, private directory, stopped.

The one launcher of the test suite and the benchmarks::

    broker = start_mosquitto(tmp_path)                             # anonymous broker
    broker = start_mosquitto(tmp_path, password_file=p, acl_file=a)  # users and an ACL
    broker = start_mosquitto(tmp_path, extra_conf=tls_listener)    # + listeners, bridges...
    broker = start_mosquitto(tmp_path, conf_text=conf)             # a whole config ("{port}")
    broker.port; broker.stop(); broker.restart(); broker.kill()

The ``mosquitto_factory`` / ``mosquitto`` fixtures (tests/integration/conftest.py) stop
every broker they started, whatever the test did; a broker secured like a site's is
`testkit.secured_broker`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from testkit.ports import free_port

__all__ = [
    "MOSQUITTO",
    "MosquittoFactory",
    "MosquittoProcess",
    "broker_conf",
    "free_port",
    "mosquitto_available",
    "start_mosquitto",
]

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def mosquitto_available() -> bool:
    """Whether the mosquitto binary is installed."""
    return Path(MOSQUITTO).exists()


def broker_conf(
    *, password_file: Path | None = None, acl_file: Path | None = None, extra_conf: str = ""
) -> str:
    """A config listening on 127.0.0.1 (``{port}``): anonymous, or users with an ACL.

    Args:
        password_file: A mosquitto password file; anonymous clients are refused with one.
        acl_file: Its ACL file (only with `password_file`).
        extra_conf: Lines added at the end: more listeners (TLS), bridges, settings.

    Raises:
        ValueError: An ACL without a password file (it would name users nobody can be).
    """
    if acl_file is not None and password_file is None:
        raise ValueError("an acl_file needs a password_file: anonymous clients match no user")
    lines = ["per_listener_settings false", "listener {port} 127.0.0.1"]
    if password_file is None:
        lines.append("allow_anonymous true")
    else:
        lines += ["allow_anonymous false", f"password_file {password_file}"]
    if acl_file is not None:
        lines.append(f"acl_file {acl_file}")
    return "\n".join(lines) + "\n" + (extra_conf.rstrip("\n") + "\n" if extra_conf else "")


@dataclass
class MosquittoProcess:
    """A running mosquitto; `conf_path` and `log_path` live in its private directory."""

    port: int
    workdir: Path
    conf_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, *, timeout_s: float = 10.0) -> None:
        """Start (or start again) and wait until it accepts TCP connections."""
        if self.process is not None and self.process.poll() is None:
            return
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (fixed binary, test-owned config)
            [MOSQUITTO, "-c", str(self.conf_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited early:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"mosquitto did not listen on {self.port}:\n{self.log()}")

    def stop(self, *, timeout_s: float = 10.0) -> None:
        """SIGTERM (mosquitto saves its persistence file) and wait."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: a crash, nothing saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """Stop gracefully and start again on the same port with the same config."""
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        """The broker's log so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


MosquittoFactory = Callable[..., "MosquittoProcess"]


def start_mosquitto(
    tmp_path: Path,
    *,
    conf_text: str | None = None,
    port: int | None = None,
    password_file: Path | None = None,
    acl_file: Path | None = None,
    extra_conf: str = "",
) -> MosquittoProcess:
    """Start mosquitto and wait until it listens; the caller (or a fixture) stops it.

    Args:
        tmp_path: Its private directory (config, log) is made under this one.
        conf_text: A whole config; ``{port}`` is replaced by the chosen port. Default:
            `broker_conf` of the three arguments below.
        port: The listener port (default: a free one).
        password_file: See `broker_conf` (not with `conf_text`).
        acl_file: See `broker_conf` (not with `conf_text`).
        extra_conf: See `broker_conf`; with `conf_text` it is appended to it.

    Raises:
        ValueError: `conf_text` together with files, or a config the launcher cannot wait
            on (no ``{port}`` placeholder and no `port`).
        RuntimeError: mosquitto exited or did not listen in time (its log is in the message).
    """
    if conf_text is None:
        text = broker_conf(password_file=password_file, acl_file=acl_file, extra_conf=extra_conf)
    elif password_file is not None or acl_file is not None:
        raise ValueError("give either conf_text or password_file/acl_file, not both")
    else:
        text = conf_text + ("\n" + extra_conf if extra_conf else "")
    if port is None and "{port}" not in text:
        raise ValueError("conf_text without a {port} placeholder needs the port it listens on")
    port = free_port() if port is None else port
    workdir = tmp_path / f"mosquitto-{port}"
    workdir.mkdir(parents=True, exist_ok=True)
    conf_path = workdir / "mosquitto.conf"
    text = text.replace("{port}", str(port))
    if os.geteuid() == 0 and not any(line.startswith("user ") for line in text.splitlines()):
        # As root, mosquitto would switch to the `mosquitto` user and lose the test's files.
        text += "\nuser root\n"
    conf_path.write_text(text)
    broker = MosquittoProcess(
        port=port, workdir=workdir, conf_path=conf_path, log_path=workdir / "mosquitto.log"
    )
    broker.start()
    return broker

"""The demo's MQTT broker: mosquitto with per-node users and ACLs on a free local port.

The password and ACL files come from the bridge's generator (`portgate.broker.mosquitto_files`,
what `portgate broker users` writes); the passwords are fresh per run and stay in memory.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from portgate.broker.mosquitto_auth import new_password
from portgate.broker.mosquitto_files import render_mosquitto_conf, write_broker_files
from portgate.broker.site_config import BrokerSettings, GateEntry, SiteConfig, broker_users

__all__ = [
    "INSTALL_HINT",
    "BrokerMissingError",
    "DemoBroker",
    "find_mosquitto",
    "free_port",
]

_log = logging.getLogger(__name__)
INSTALL_HINT = "apt-get install mosquitto"
_DEBIAN_PATH = Path("/usr/sbin/mosquitto")


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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DemoBroker:
    """A mosquitto for one site with a user per node (admin, api, agent-<gate>, bridge-<gate>).

    Args:
        site: Site id.
        gates: Gate ids.
        workdir: Where the config, password, ACL and persistence files go.
        port: Listener port (default: a free one).
    """

    site: str
    gates: list[str]
    workdir: Path
    port: int = field(default_factory=free_port)
    passwords: dict[str, str] = field(default_factory=dict, repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def prepare(self) -> None:
        """Write the users (fresh random passwords), the ACL and mosquitto.conf."""
        site = SiteConfig(
            site=self.site,
            gates=[GateEntry(id=gate) for gate in self.gates],
            broker=BrokerSettings(),
        )
        environ = {}
        for user in broker_users(site):
            if user.derived_from is not None:
                continue  # its password comes from its base user's (api-cli from api)
            self.passwords[user.username] = new_password()
            environ[user.password_env] = self.passwords[user.username]
        self.workdir.mkdir(parents=True, exist_ok=True)
        files = write_broker_files(site, out_dir=self.workdir, environ=environ)
        data = self.workdir / "data"
        data.mkdir(exist_ok=True)
        conf = render_mosquitto_conf(
            port=self.port,
            bind_address="127.0.0.1",
            password_file=files.passwd.resolve(),
            acl_file=files.acl.resolve(),
            persistence_dir=data.resolve(),
        )
        if os.geteuid() == 0:
            # As root mosquitto would switch to the `mosquitto` user and lose our files.
            conf += "user root\n"
        self.conf_path.write_text(conf)

    @property
    def conf_path(self) -> Path:
        """The generated mosquitto.conf."""
        return self.workdir / "mosquitto.conf"

    @property
    def log_path(self) -> Path:
        """Where the broker's output goes."""
        return self.workdir / "mosquitto.log"

    def url(self, user: str) -> str:
        """``mqtt://user:password@127.0.0.1:port`` for one of the broker users."""
        return f"mqtt://{user}:{self.passwords[user]}@127.0.0.1:{self.port}"

    def start(self, *, timeout_s: float = 10.0) -> None:
        """Start mosquitto (again) and wait until it accepts connections.

        Raises:
            BrokerMissingError: mosquitto is not installed.
            RuntimeError: it exited or did not listen in time.
        """
        if self.running:
            return
        binary = find_mosquitto()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (fixed binary, generated config)
                [str(binary), "-c", str(self.conf_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,  # a Ctrl-C in the terminal goes to us, not to it
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited early; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    _log.info("mosquitto listening on 127.0.0.1:%d", self.port)
                    return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"mosquitto did not listen on port {self.port}")

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def stop(self, *, timeout_s: float = 10.0) -> None:
        """SIGTERM and wait (SIGKILL if it hangs)."""
        if not self.running or self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: a broker crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

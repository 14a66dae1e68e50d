"""The demo's MQTT broker: mosquitto with per-node users and ACLs on a free local port.

The password and ACL files come from the bridge's generator (`portgate.broker.mosquitto_files`,
what `portgate broker users` writes); the passwords are fresh per run and stay in memory.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from portgate.broker.mosquitto_auth import new_password
from portgate.broker.mosquitto_files import render_mosquitto_conf, write_broker_files
from portgate.broker.process import MosquittoProcess
from portgate.broker.site_config import BrokerSettings, GateEntry, SiteConfig, broker_users

__all__ = ["DemoBroker", "free_port"]

_log = logging.getLogger(__name__)


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
    mosquitto: MosquittoProcess = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.mosquitto = MosquittoProcess(
            port=self.port,
            workdir=self.workdir,
            conf_path=self.conf_path,
            log_path=self.workdir / "mosquitto.log",
        )

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

    def url(self, user: str) -> str:
        """``mqtt://user:password@127.0.0.1:port`` for one of the broker users."""
        return f"mqtt://{user}:{self.passwords[user]}@127.0.0.1:{self.port}"

    def start(self, *, timeout_s: float = 10.0) -> None:
        """Start mosquitto (again) and wait until it accepts connections.

        Raises:
            BrokerMissingError: mosquitto is not installed.
            RuntimeError: it exited or did not listen in time.
        """
        self.mosquitto.start(timeout_s=timeout_s)

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.mosquitto.running

    def stop(self, *, timeout_s: float = 10.0) -> None:
        """SIGTERM and wait (SIGKILL if it hangs)."""
        self.mosquitto.stop(timeout_s=timeout_s)

    def kill(self) -> None:
        """SIGKILL: a broker crash."""
        self.mosquitto.kill()

"""Three installations on one machine, bridged as in production: a hub and two terminals.

Each installation has its own database (URLs given: SQLite or PostgreSQL), its own
mosquitto and its own `portgate api` process. The terminals' brokers bridge their
community topics to the hub's broker over TLS (a test CA), with the files
`portgate community broker-config` writes (`portgate.broker.community_bridge`): per-member
users and ACL at the hub, QoS 1 and persistent sessions on the bridges. The hub's broker
keeps its persistence, so it can be killed and started again on the same port.
"""

from __future__ import annotations

import base64
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine

from central_api.config import Settings
from central_api.db import make_engine
from central_api.migrate import upgrade_database
from portgate.broker.community_bridge import (
    BridgeTarget,
    render_hub_acl,
    render_hub_passwd,
    render_member_bridge,
)
from portgate.broker.mosquitto_auth import new_password
from testkit.api.decisions import query
from testkit.api.process import ApiProcess
from testkit.api.world import World, seed_world
from testkit.community import SEAL_KEY, form_community
from testkit.mosquitto import MosquittoFactory, MosquittoProcess, broker_conf
from testkit.ports import free_port
from testkit.tls_ca import TestCa

__all__ = ["COMMUNITY", "CommunityNet", "Installation"]

COMMUNITY = "nsp"
_HUB_CONF = """per_listener_settings true
persistence true
persistence_location {data}/
autosave_interval 1
listener {{port}} 127.0.0.1
allow_anonymous true
listener {tls_port} 127.0.0.1
cafile {ca}
certfile {cert}
keyfile {key}
allow_anonymous false
password_file {passwd}
acl_file {acl}
"""


@dataclass
class Installation:
    """One installation: member id, database, broker, API process, seeded world."""

    member_id: str
    database_url: str
    engine: Engine
    world: World
    broker: MosquittoProcess | None = None
    api: ApiProcess | None = None

    def decide(self, badge: str, *, gate: str | None = None) -> dict[str, object]:
        """Ask this installation's API for a decision on `badge` at its world's gate."""
        assert self.api is not None  # noqa: S101 (started)
        answer = httpx.post(
            f"{self.api.url}/api/v1/decisions",
            json=query(badge),
            headers=self.world.gate_key(gate),
            timeout=10,
        )
        answer.raise_for_status()
        body: dict[str, object] = answer.json()
        return body


def _prepare(entry: tuple[str, str]) -> Installation:
    """Migrate and seed one installation's database."""
    member_id, url = entry
    upgrade_database(url)
    engine = make_engine(url)
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url)  # type: ignore[call-arg]
    return Installation(member_id, url, engine, seed_world(engine, settings))


@dataclass
class CommunityNet:
    """The hub and its terminals; `start` brings everything up, `stop` (or `with`) down."""

    tmp_path: Path
    factory: MosquittoFactory
    database_urls: dict[str, str]  # member id -> database URL; "hub" is the hub
    poll_s: float = 0.5
    installations: dict[str, Installation] = field(default_factory=dict)
    _stack: ExitStack = field(default_factory=ExitStack)

    @property
    def hub(self) -> Installation:
        """The hub (the port authority)."""
        return self.installations["hub"]

    @property
    def terminals(self) -> list[Installation]:
        """Every installation but the hub."""
        return [i for m, i in self.installations.items() if m != "hub"]

    def __enter__(self) -> CommunityNet:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Migrate and seed every database, form the community, start brokers and APIs."""
        # One after the other: Alembic's context is global to the process.
        for installation in map(_prepare, self.database_urls.items()):
            self._stack.callback(installation.engine.dispose)
            self.installations[installation.member_id] = installation
        form_community(self.hub.engine, {t.member_id: t.engine for t in self.terminals})
        target = self._start_hub_broker()
        for terminal in self.terminals:
            bridge = render_member_bridge(COMMUNITY, terminal.member_id, target[terminal.member_id])
            terminal.broker = self.factory(conf_text=broker_conf(extra_conf=bridge))
        hub_api = self._api(self.hub, feed_url=None)
        # One after the other: side by side, on a loaded machine, they miss their start time.
        self.hub.api = self._stack.enter_context(hub_api)
        for terminal in self.terminals:
            terminal.api = self._stack.enter_context(self._api(terminal, feed_url=hub_api.url))

    def _start_hub_broker(self) -> dict[str, BridgeTarget]:
        folder = self.tmp_path / "hub-broker"
        (folder / "data").mkdir(parents=True, exist_ok=True)
        ca = TestCa.create(self.tmp_path / "pki")
        server = ca.issue_server("hub-broker", hosts=["127.0.0.1", "localhost"])
        members = [t.member_id for t in self.terminals]
        passwords = {member: new_password() for member in members}
        (folder / "passwd").write_text(render_hub_passwd(passwords))
        (folder / "acl").write_text(render_hub_acl(COMMUNITY, members, api_user="portgate-api"))
        tls_port = free_port()
        conf = _HUB_CONF.format(
            data=folder / "data",
            tls_port=tls_port,
            ca=ca.cert_file,
            cert=server.cert_file,
            key=server.key_file,
            passwd=folder / "passwd",
            acl=folder / "acl",
        )
        self.hub.broker = self.factory(conf_text=conf)
        return {
            member: BridgeTarget(
                host="127.0.0.1", port=tls_port, cafile=ca.cert_file, password=password
            )
            for member, password in passwords.items()
        }

    def _api(self, installation: Installation, *, feed_url: str | None) -> ApiProcess:
        assert installation.broker is not None  # noqa: S101 (started first)
        env = {
            "PORTGATE_TEMPLATE_KEY": base64.b64encode(SEAL_KEY).decode(),
            "MQTT_URL": f"mqtt://127.0.0.1:{installation.broker.port}",
            "PORTGATE_COMMUNITY_POLL_S": str(self.poll_s),
        }
        if feed_url:
            env["PORTGATE_COMMUNITY_FEED_URL"] = feed_url
        # Three APIs on a shared machine: give each more than the default minute to start.
        return ApiProcess(installation.database_url, env=env, start_timeout_s=180.0)

    def stop(self) -> None:
        """Stop the APIs and dispose the engines (the broker factory stops the brokers)."""
        self._stack.close()

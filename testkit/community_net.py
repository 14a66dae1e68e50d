"""Three installations on one machine, bridged as in production: a hub and two terminals.

Each installation has its own database (URLs given: SQLite or PostgreSQL), its own
mosquitto and its own `portgate api` process. The terminals' brokers bridge their
community topics to the hub's broker over TLS (a test CA), with the files
`portgate community broker-config` writes: the brokers' configs, the community and the API
processes are the demo's (`portgate.demo.community`, what `portgate demo --community` runs).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine

from central_api.config import Settings
from central_api.db import make_engine
from portgate.broker.community_bridge import BridgeTarget
from portgate.demo.community.network import (
    COMMUNITY,
    api_env,
    prepare_hub_broker,
    terminal_broker_conf,
)
from testkit.api.decisions import query
from testkit.api.process import ApiProcess
from testkit.api.world import World, seed_world
from testkit.community import SEAL_KEY, form_community
from testkit.migrated_db import migrate_database
from testkit.mosquitto import MosquittoFactory, MosquittoProcess

__all__ = ["COMMUNITY", "CommunityNet", "Installation"]


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
    migrate_database(url)
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
            conf = terminal_broker_conf(terminal.member_id, target[terminal.member_id])
            terminal.broker = self.factory(conf_text=conf)
        hub_api = self._api(self.hub, feed_url=None)
        # One after the other: side by side, on a loaded machine, they miss their start time.
        self.hub.api = self._stack.enter_context(hub_api)
        for terminal in self.terminals:
            terminal.api = self._stack.enter_context(self._api(terminal, feed_url=hub_api.url))

    def _start_hub_broker(self) -> dict[str, BridgeTarget]:
        members = [t.member_id for t in self.terminals]
        files = prepare_hub_broker(self.tmp_path, members, community=COMMUNITY)
        self.hub.broker = self.factory(conf_text=files.conf_text)
        return files.targets

    def _api(self, installation: Installation, *, feed_url: str | None) -> ApiProcess:
        assert installation.broker is not None  # noqa: S101 (started first)
        env = api_env(
            seal_key=SEAL_KEY,
            broker_port=installation.broker.port,
            poll_s=self.poll_s,
            feed_url=feed_url,
        )
        # Three APIs on a shared machine: give each more than the default minute to start.
        return ApiProcess(installation.database_url, env=env, start_timeout_s=180.0)

    def stop(self) -> None:
        """Stop the APIs and dispose the engines (the broker factory stops the brokers)."""
        self._stack.close()

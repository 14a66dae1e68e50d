"""The demo community's three installations on this machine: started in order, stopped in reverse.

Each installation (the hub ``hub``, terminals ``term-a`` and ``term-b``) has its own SQLite
database in the run folder, its own mosquitto and its own `portgate api` process (API and
dashboard on `base_port`, `base_port` + 1 and + 2). The databases are migrated, seeded and
joined into one community before the APIs start; the terminals' brokers bridge to the
hub's over TLS, and the terminals catch up from the hub's feed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from central_api.db import make_engine
from central_api.migrate import upgrade_database
from portgate.broker.process import MosquittoProcess
from portgate.demo.community.api_process import ApiProcess
from portgate.demo.community.formation import HUB_ID, form_community, keys_of
from portgate.demo.community.network import (
    api_env,
    prepare_hub_broker,
    start_broker,
    terminal_broker_conf,
)
from portgate.demo.community.seed import InstallationSeed, add_document, seed_installation

__all__ = ["MEMBERS", "DemoCommunity", "DemoInstallation"]

MEMBERS = (HUB_ID, "term-a", "term-b")
_FIRST_BADGE = 40_001


@dataclass
class DemoInstallation:
    """One installation: its database, seed, broker and API process."""

    member_id: str
    engine: Engine
    seed: InstallationSeed
    port: int
    broker: MosquittoProcess | None = None
    api: ApiProcess | None = None

    @property
    def url(self) -> str:
        """The base URL of its API and dashboard."""
        return f"http://127.0.0.1:{self.port}"


@dataclass
class DemoCommunity:
    """The hub and two terminals; `start` brings everything up, `stop` takes it down.

    Args:
        run_dir: Where the databases, broker files and API logs go.
        base_port: The hub's HTTP port; the terminals take the next two.
        say: Where progress is told.
        poll_s: How often the terminals poll the hub's catch-up feed.
    """

    run_dir: Path
    base_port: int
    say: Callable[[str], None]
    poll_s: float = 1.0
    installations: dict[str, DemoInstallation] = field(default_factory=dict)
    _seal_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _stack: ExitStack = field(default_factory=ExitStack)

    @property
    def hub(self) -> DemoInstallation:
        """The hub (the port authority)."""
        return self.installations[HUB_ID]

    @property
    def terminals(self) -> list[DemoInstallation]:
        """The two terminals."""
        return [i for m, i in self.installations.items() if m != HUB_ID]

    def start(self) -> None:
        """Seed and join the databases, start the brokers, then the APIs (hub first).

        Raises:
            BrokerMissingError: mosquitto is not installed.
            RuntimeError: a broker or an API did not start.
        """
        self._prepare_databases()
        files = prepare_hub_broker(self.run_dir, [t.member_id for t in self.terminals])
        self.hub.broker = self._broker(self.hub, files.conf_text)
        for terminal in self.terminals:
            conf = terminal_broker_conf(terminal.member_id, files.targets[terminal.member_id])
            terminal.broker = self._broker(terminal, conf)
        self.hub.api = self._api(self.hub, feed_url=None)
        for terminal in self.terminals:
            terminal.api = self._api(terminal, feed_url=self.hub.url)

    def _prepare_databases(self) -> None:
        for n, member_id in enumerate(MEMBERS):
            url = f"sqlite:///{self.run_dir / f'{member_id}.db'}"
            # One after the other: Alembic's context is global to the process.
            upgrade_database(url)
            engine = make_engine(url)
            self._stack.callback(engine.dispose)
            seed = seed_installation(engine, member_id=member_id, badge=str(_FIRST_BADGE + n))
            self.installations[member_id] = DemoInstallation(
                member_id, engine, seed, port=self.base_port + n
            )
        form_community(
            self.hub.engine,
            {t.member_id: t.engine for t in self.terminals},
            seal_key=self._seal_key,
            actor="demo:seed",
        )
        for installation in self.installations.values():
            keys = keys_of(installation.engine, seal_key=self._seal_key)
            add_document(installation.engine, keys, installation.seed)
        self.say("three databases seeded and joined into community nsp (hub, term-a, term-b)")

    def _broker(self, installation: DemoInstallation, conf_text: str) -> MosquittoProcess:
        broker = start_broker(self.run_dir / f"{installation.member_id}-broker", conf_text)
        self._stack.callback(broker.stop)
        return broker

    def _api(self, installation: DemoInstallation, *, feed_url: str | None) -> ApiProcess:
        assert installation.broker is not None  # noqa: S101 (started first)
        env = api_env(
            seal_key=self._seal_key,
            broker_port=installation.broker.port,
            poll_s=self.poll_s,
            feed_url=feed_url,
        )
        api = ApiProcess(
            f"sqlite:///{self.run_dir / f'{installation.member_id}.db'}",
            env=env,
            port=installation.port,
            start_timeout_s=180.0,
            log_path=self.run_dir / f"{installation.member_id}-api.log",
        )
        self._stack.enter_context(api)
        self.say(f"{installation.member_id}: API and dashboard up at {api.url}")
        return api

    def stop(self) -> None:
        """Stop the APIs, then the brokers, and dispose the engines."""
        self._stack.close()

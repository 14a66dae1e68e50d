"""A real central API on a free port (uvicorn in a thread, SQLite) for the desk tests.

Seeded like the API tests' world (testkit/api/world.py): site ``rtm`` with gates
``north-1`` and ``south-1``, one user per role with the password `PASSWORD`, and an
access group ``quay-staff`` on the gate's zone. Pass signing keys are set.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from testkit.api.enrollment import PUBLIC_KEYS, add_group, enroll_settings
from testkit.api.server import ThreadedApi
from testkit.api.world import PASSWORD, World, seed_world
from testkit.migrated_db import migrate_database

__all__ = ["PASSWORD", "PUBLIC_KEYS", "DeskServer", "run_desk_server"]


@dataclass
class DeskServer:
    """A running API: its URL, settings, seeded world and the app (for its bus)."""

    url: str
    settings: Settings
    world: World
    app: FastAPI

    def token(self, username: str = "security_desk-user") -> str:
        """An access token of `username` (a desk user by default) from the token route."""
        answer = httpx.post(
            f"{self.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])


@contextmanager
def run_desk_server(tmp_path: Path, *, mqtt_url: str | None = None) -> Iterator[DeskServer]:
    """Migrate a SQLite database under `tmp_path`, serve the API on it and seed the world.

    Args:
        tmp_path: Where the database goes.
        mqtt_url: The API's broker (default: none, a null bus).
    """
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    migrate_database(url)
    engine = make_engine(url)
    settings = enroll_settings(engine)
    if mqtt_url:
        settings.mqtt_url = mqtt_url
    app = create_app(settings, engine=engine)
    try:
        with ThreadedApi(app) as server:
            world = seed_world(engine, settings)
            add_group(engine)
            yield DeskServer(url=server.url, settings=settings, world=world, app=app)
    finally:
        engine.dispose()

"""A real central API on a free port (uvicorn in a thread, SQLite) for the desk tests.

Seeded like the API tests' world (tests/central_api/api_world.py): site ``rtm`` with gates
``north-1`` and ``south-1``, one user per role with the password `PASSWORD`, and an
access group ``quay-staff`` on the gate's zone. Pass signing keys are set.
"""

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

_CENTRAL = Path(__file__).resolve().parents[1] / "central_api"
if str(_CENTRAL) not in sys.path:
    sys.path.insert(0, str(_CENTRAL))

from api_world import PASSWORD, World, seed_world  # noqa: E402
from enroll_support import PUBLIC_KEYS, add_group, enroll_settings  # noqa: E402
from mosquitto_fixture import free_port  # noqa: E402

from central_api.app import create_app  # noqa: E402
from central_api.config import Settings  # noqa: E402
from central_api.db import make_engine  # noqa: E402
from central_api.migrate import upgrade_database  # noqa: E402

__all__ = ["PASSWORD", "PUBLIC_KEYS", "DeskServer", "run_desk_server"]


@dataclass
class DeskServer:
    """A running API: its URL, settings, seeded world and the app (for its bus)."""

    url: str
    settings: Settings
    world: World
    app: object

    def token(self, username: str = "security_desk-user") -> str:
        answer = httpx.post(
            f"{self.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])


@contextmanager
def run_desk_server(tmp_path: Path, *, mqtt_url: str | None = None) -> Iterator[DeskServer]:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    settings = enroll_settings(engine)
    if mqtt_url:
        settings.mqtt_url = mqtt_url
    app = create_app(settings, engine=engine)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="desk-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    world = seed_world(engine, settings)
    add_group(engine)
    try:
        yield DeskServer(url=f"http://127.0.0.1:{port}", settings=settings, world=world, app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()

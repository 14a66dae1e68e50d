"""The API docs work air-gapped: Swagger UI renders in Chromium from the API's own files.

Every request the page makes goes to the API's own origin, and the strict policy (no other
origin, no 'unsafe-inline', the start-up script allowed by its hash) blocks nothing the page
needs: the browser reports no policy violation and shows the API's title and its routes.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from gate_protocol.messages import new_id
from testkit.api.server import ThreadedApi
from testkit.migrated_db import migrate_database
from testkit.mosquitto import MosquittoProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def api_url(mosquitto: MosquittoProcess, tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=url,
        MQTT_URL=f"mqtt://127.0.0.1:{mosquitto.port}",
        PORTGATE_MQTT_CLIENT_ID=f"api-{new_id()[:8]}",
    )
    with ThreadedApi(create_app(settings, engine=engine)) as served:
        yield served.url
    engine.dispose()


@pytest.fixture
def page(browser: Any) -> Any:
    return browser.new_page()


def test_swagger_ui_renders_from_the_api_s_own_files(api_url: str, page: Any) -> None:
    requested: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{api_url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=60_000)
    assert "PortGate central API" in page.inner_text(".swagger-ui .info .title")
    # Swagger UI 5 renders the tag groups in view only (scrolling brings the rest): the first
    # route is there, found by its data attribute (long paths are broken with <wbr>).
    page.wait_for_selector('[data-path="/api/v1/decisions"]', state="attached", timeout=60_000)
    own = urlsplit(api_url).netloc
    assert requested and {urlsplit(url).netloc for url in requested} == {own}
    assert not [line for line in console if "Content Security Policy" in line], console

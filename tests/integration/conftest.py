"""Fixtures for tests that run real components.

The suite runs with ``--import-mode=importlib``, so helper modules next to the tests are not
importable by default; this directory is put on ``sys.path`` once so that tests can
``from mosquitto_fixture import ...``.
"""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from mosquitto_fixture import (  # noqa: E402 (needs the path above)
    MosquittoFactory,
    MosquittoProcess,
    mosquitto_available,
    start_mosquitto,
)


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[MosquittoFactory]:
    """Start brokers with ``factory(conf_text=..., port=...)``; all are stopped afterwards."""
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    started: list[MosquittoProcess] = []

    def factory(*, conf_text: str | None = None, port: int | None = None) -> MosquittoProcess:
        if conf_text is None:
            broker = start_mosquitto(tmp_path, port=port)
        else:
            broker = start_mosquitto(tmp_path, conf_text=conf_text, port=port)
        started.append(broker)
        return broker

    yield factory
    for broker in started:
        broker.stop(timeout_s=5)


@pytest.fixture
def mosquitto(mosquitto_factory: MosquittoFactory) -> MosquittoProcess:
    """An anonymous mosquitto on a free port of 127.0.0.1."""
    return mosquitto_factory()

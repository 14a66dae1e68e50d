"""Fixtures for tests that run real components: brokers from `testkit.mosquitto`, and the
system's Chromium from `testkit.browser`."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.browser import chromium
from testkit.mosquitto import (
    MosquittoFactory,
    MosquittoProcess,
    mosquitto_available,
    start_mosquitto,
)


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[MosquittoFactory]:
    """Start brokers with ``factory(**options)`` (see `start_mosquitto`); all stopped afterwards."""
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    started: list[MosquittoProcess] = []

    def factory(**options: Any) -> MosquittoProcess:
        broker = start_mosquitto(tmp_path, **options)
        started.append(broker)
        return broker

    yield factory
    for broker in started:
        broker.stop(timeout_s=5)


@pytest.fixture
def mosquitto(mosquitto_factory: MosquittoFactory) -> MosquittoProcess:
    """An anonymous mosquitto on a free port of 127.0.0.1."""
    return mosquitto_factory()


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium (see `testkit.browser.chromium`); the test is skipped without one."""
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    """One headless Chromium shared by a module's tests (modules that open many pages)."""
    with chromium() as launched:
        yield launched

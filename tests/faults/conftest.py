"""The fleet the database and API-replica faults share: PostgreSQL with a standby, HAProxy."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.faults.ha_fleet import HaFleet
from testkit.faults.haproxy import haproxy_available
from testkit.mosquitto import mosquitto_available
from testkit.postgres import postgres_available

GATES = 3


@pytest.fixture
def ha_fleet(tmp_path: Path) -> Iterator[HaFleet]:
    if not (mosquitto_available() and postgres_available() and haproxy_available()):
        pytest.skip("mosquitto, PostgreSQL or haproxy is not installed")
    fleet = HaFleet(workdir=tmp_path, gates=GATES, people=30, period_s=0.4)
    try:
        fleet.start()
        fleet.wait_replicas()
        yield fleet
    finally:
        fleet.stop()
        fleet.stop_database()

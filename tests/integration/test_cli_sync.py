"""CLI changes reach the gates: `gates add` and `db upgrade` publish retained SyncNotices.

Against a real mosquitto: a late subscriber (a gate agent starting up) finds the notice
retained, with the replica version the database now holds.
"""

from pathlib import Path

import pytest
from alembic import command
from sqlmodel import Session
from typer.testing import CliRunner

from central_api.db import make_engine
from central_api.migrate import alembic_config, upgrade_database
from central_api.models import Site
from gate_protocol.messages import SyncNotice, decode_message
from gate_protocol.topics import SyncTopic, build_topic
from portgate.cli import app as cli
from testkit.mosquitto import MosquittoProcess
from testkit.mqtt_probe import MqttProbe

pytestmark = pytest.mark.integration

SYNC = build_topic(SyncTopic(site="rtm"))


def _retained(port: int) -> SyncNotice | None:
    probe = MqttProbe(port)
    probe.connect()
    probe.subscribe(SYNC)
    found = probe.wait_for(lambda: bool(probe.on_topic(SYNC)), 2.0)
    payloads = probe.on_topic(SYNC)
    probe.close()
    if not found:
        return None
    notice = decode_message(payloads[-1], SyncNotice)
    assert isinstance(notice, SyncNotice)
    return notice


def _version(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        site = session.get(Site, "rtm")
        assert site is not None
        version = site.replica_version
    engine.dispose()
    return version


def test_gates_add_and_db_upgrade_publish_the_retained_notice(
    mosquitto: MosquittoProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MQTT_URL", f"mqtt://127.0.0.1:{mosquitto.port}")
    upgrade_database(url)
    added = CliRunner().invoke(cli, ["gates", "add", "north-1", "--site", "rtm", "--zone", "q"])
    assert added.exit_code == 0, added.output
    assert "sync notice(s) published" in added.output
    assert added.output.strip().splitlines()[-1].startswith("pgk_")  # the key stays last
    notice = _retained(mosquitto.port)
    assert notice is not None and notice.replica_version == _version(url) == 1
    # Back to the previous revision, so that `db upgrade` has a migration to apply: a
    # migration may change what gates hold (a new policy field), so every site resyncs.
    command.downgrade(alembic_config(url), "-1")
    upgraded = CliRunner().invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    notice = _retained(mosquitto.port)
    assert notice is not None and notice.replica_version == _version(url) == 2
    # Nothing new to apply: nothing bumped, nothing published.
    again = CliRunner().invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0 and "sync notice" not in again.output
    assert _version(url) == 2
    # After hand-made SQL, an operator makes every gate resync.
    resynced = CliRunner().invoke(cli, ["db", "resync"])
    assert resynced.exit_code == 0, resynced.output
    notice = _retained(mosquitto.port)
    assert notice is not None and notice.replica_version == _version(url) == 3


def test_an_unreachable_broker_is_reported_and_the_change_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from testkit.ports import free_port

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MQTT_URL", f"mqtt://127.0.0.1:{free_port()}")
    upgrade_database(url)
    added = CliRunner().invoke(cli, ["gates", "add", "north-1", "--site", "rtm", "--zone", "q"])
    assert added.exit_code == 0, added.output
    assert "gates not told" in added.output
    assert _version(url) == 1
    monkeypatch.delenv("MQTT_URL")
    more = CliRunner().invoke(cli, ["gates", "add", "south-1", "--site", "rtm", "--zone", "r"])
    assert more.exit_code == 0 and "MQTT_URL is not set" in more.output

"""The audit chain anchored outside the database: a whole-chain rewrite is caught."""

import json
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.app import create_app
from central_api.audit.anchor import current_head, verify_against_heads
from central_api.audit.chain import GENESIS_HASH, append_audit, hash_entry, verify_chain
from central_api.audit.head_publisher import HeadPublisher, HeadTargets
from central_api.bus.mqtt import MqttBus
from central_api.config import Settings
from central_api.models import AuditEntry, AuditHead
from gate_protocol.messages import AuditHead as AuditHeadMessage
from gate_protocol.messages import decode_message
from gate_protocol.mqtt_connection import MqttConnection
from gate_protocol.topics import AuditHeadTopic, build_topic
from portgate.cli import app as cli
from testkit.mosquitto import mosquitto_available, start_mosquitto


def fill(engine: Engine, count: int) -> None:
    with Session(engine) as session:
        for n in range(count):
            append_audit(
                session=session, actor="user:alice", action="person.revoke", target=f"P{n}"
            )
            session.commit()


def rewrite_whole_chain(engine: Engine, *, seq: int, actor: str) -> None:
    """What a database owner can do: edit one row, then recompute every hash and the head."""
    with Session(engine) as session:
        rows = session.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()
        prev = GENESIS_HASH
        for row in rows:
            if row.seq == seq:
                row.actor = actor
            row.prev_hash = prev
            row.hash = hash_entry(
                prev_hash=prev,
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                target=row.target,
                before=row.before,
                after=row.after,
            )
            prev = row.hash
            session.add(row)
        head = session.get(AuditHead, 1)
        assert head is not None
        head.hash = prev
        session.add(head)
        session.commit()


def published_head(engine: Engine) -> AuditHeadMessage:
    with Session(engine) as session:
        return current_head(session)


def test_a_consistent_rewrite_passes_plain_verify_but_not_a_published_head(engine: Engine) -> None:
    fill(engine, 5)
    early = published_head(engine)
    fill(engine, 3)
    late = published_head(engine)
    rewrite_whole_chain(engine, seq=2, actor="user:mallory")
    with Session(engine) as session:
        assert verify_chain(session=session).ok
        verdict = verify_against_heads(session, [late, early])
    assert not verdict.ok
    assert verdict.broken_seq == 5
    assert "seq 5" in verdict.message and "rewritten" in verdict.message


def test_heads_of_an_untouched_chain_match_and_a_shortened_chain_is_named(engine: Engine) -> None:
    fill(engine, 4)
    head = published_head(engine)
    with Session(engine) as session:
        assert verify_against_heads(session, [head]).ok
        future = head.model_copy(update={"seq": 9})
        verdict = verify_against_heads(session, [future])
    assert not verdict.ok
    assert "seq 9 is missing" in verdict.message


def test_cli_head_and_verify_with_head_catch_a_rewritten_chain(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fill(engine, 6)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    printed = runner.invoke(cli, ["audit", "head"])
    assert printed.exit_code == 0, printed.output
    head = printed.stdout.strip()
    assert head.startswith("6:")
    heads_file = tmp_path / "heads.jsonl"
    heads_file.write_text(runner.invoke(cli, ["audit", "head", "--json"]).stdout)
    assert runner.invoke(cli, ["audit", "verify", "--head", head]).exit_code == 0

    rewrite_whole_chain(engine, seq=3, actor="user:mallory")
    plain = runner.invoke(cli, ["audit", "verify"])
    assert plain.exit_code == 0, plain.output
    for given in (head, str(heads_file)):
        anchored = runner.invoke(cli, ["audit", "verify", "--head", given])
        assert anchored.exit_code == 1, anchored.output
        assert "BROKEN at seq 6" in anchored.stderr
        assert "rewritten" in anchored.stderr


def test_cli_refuses_a_malformed_head_with_a_clear_message(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(cli, ["audit", "verify", "--head", "12:nothex"])
    assert result.exit_code == 2
    assert "want SEQ:HASH" in result.stderr


def test_the_file_grows_one_json_line_per_publication(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "heads.jsonl"
    publisher = HeadPublisher(engine=engine, targets=HeadTargets(file=path))
    publisher.publish_now()
    first = path.read_bytes()
    fill(engine, 2)
    publisher.publish_now()
    assert path.read_bytes().startswith(first)  # appended, never rewritten
    lines = path.read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [0, 2]


@pytest.mark.skipif(not mosquitto_available(), reason="mosquitto not installed")
def test_the_head_is_retained_on_a_real_broker(engine: Engine, tmp_path: Path) -> None:
    fill(engine, 3)
    broker = start_mosquitto(tmp_path)
    bus = MqttBus(
        connection=MqttConnection.from_url(f"mqtt://127.0.0.1:{broker.port}"),
        client_id="audit-head-test",
    )
    try:
        bus.start()
        assert bus.wait_connected(10)
        sent = HeadPublisher(
            engine=engine, targets=HeadTargets(bus=bus, site="site-1")
        ).publish_now()
        received = _first_retained(broker.port, build_topic(AuditHeadTopic(site="site-1")))
    finally:
        bus.stop()
        broker.stop()
    message = decode_message(received, AuditHeadMessage)
    assert message == sent
    assert message.seq == 3


def _first_retained(port: int, topic: str) -> bytes:
    """Subscribe after the publication: only a retained message can arrive there."""
    got: list[bytes] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="audit-head-reader")
    client.on_message = lambda c, u, msg: got.append(bytes(msg.payload))
    deadline = time.monotonic() + 10
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        # Each new subscription gets the retained message once the bus's publish is in.
        while not got and time.monotonic() < deadline:
            client.subscribe(topic, qos=1)
            time.sleep(0.3)
            client.unsubscribe(topic)
    finally:
        client.disconnect()
        client.loop_stop()
    assert got, "no retained audit head on the broker"
    return got[0]


def _wait_for_lines(path: Path, count: int, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"{path} has fewer than {count} lines")


def test_the_thread_publishes_at_start_and_after_every_n_appends(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "heads.jsonl"
    publisher = HeadPublisher(
        engine=engine, targets=HeadTargets(file=path), interval_s=3600, every=3, poll_s=0.05
    )
    publisher.start()
    try:
        _wait_for_lines(path, 1)
        fill(engine, 2)
        time.sleep(0.3)  # two appends are fewer than `every`: nothing new yet
        assert len(path.read_text().splitlines()) == 1
        fill(engine, 1)
        lines = _wait_for_lines(path, 2)
    finally:
        publisher.stop()
    assert [json.loads(line)["seq"] for line in lines] == [0, 3]


def test_the_api_publishes_its_head_to_the_configured_file(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "anchor" / "heads.jsonl"
    path.parent.mkdir()
    fill(engine, 2)
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        PORTGATE_AUDIT_HEAD_FILE=path,
    )
    with TestClient(create_app(settings, engine=engine)):
        lines = _wait_for_lines(path, 1)
    assert json.loads(lines[0])["seq"] == 2

"""Events, alarms and audit rows reach a real rsyslogd; a collector away loses nothing."""

import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.audit.chain import append_audit
from central_api.forwarding.records import Kind
from central_api.forwarding.sender import DeliveryError, SyslogTarget
from central_api.forwarding.settings import ForwardingSettings
from central_api.forwarding.syslog_format import BodyFormat
from central_api.forwarding.tables import ForwardCursor
from central_api.forwarding.worker import BATCH, ForwardingWorker
from central_api.models import AccessEventRecord, Alarm
from gate_protocol.messages import AlarmKind, CredentialKind, DecidedBy, Decision, Direction
from gate_protocol.reasons import ReasonCode
from testkit.polling import wait_until
from testkit.rsyslog import RsyslogProcess, RsyslogTls, rsyslog_available, start_rsyslog
from testkit.tls_ca import TestCa

pytestmark = pytest.mark.skipif(not rsyslog_available(), reason="rsyslog is not installed")

_NASTY = "door | forced = open \\ twice\nÖlhafen"


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[RsyslogProcess]:
    process = start_rsyslog(tmp_path)
    yield process
    process.stop()


def _add_rows(engine: Engine, start: int, count: int) -> None:
    at = datetime.now(UTC)
    with Session(engine) as session:
        for i in range(start, start + count):
            granted = i % 2 == 0
            session.add(
                AccessEventRecord(
                    event_id=f"ev-{i}",
                    site_id="site-a",
                    gate_id="gate-1",
                    agent_seq=i,
                    occurred_at=at,
                    lane=0,
                    direction=Direction.ENTRY,
                    decision=Decision.GRANTED if granted else Decision.DENIED,
                    reason=ReasonCode.GRANTED if granted else ReasonCode.UNKNOWN_CREDENTIAL,
                    credential_kind=CredentialKind.BADGE,
                    decided_by=DecidedBy.CENTRAL,
                )
            )
            session.add(
                Alarm(
                    alarm_id=f"al-{i}",
                    site_id="site-a",
                    gate_id="gate-1",
                    kind=AlarmKind.FORCED,
                    raised_at=at,
                    detail=f"{_NASTY} {i}",
                )
            )
            append_audit(
                session=session, actor="user:admin", action="person.revoke", target=f"person:p{i}"
            )
        session.commit()


def _worker(engine: Engine, port: int, body: BodyFormat = BodyFormat.JSON) -> ForwardingWorker:
    target = SyslogTarget(host="127.0.0.1", port=port, timeout_s=5)
    return ForwardingWorker(
        engine=engine,
        settings=ForwardingSettings(target=target, body=body),
        poll_s=0.1,
        hostname="api-1",
    )


def _received(rsyslog: RsyslogProcess, expected: int) -> list[dict[str, object]]:
    wait_until(lambda: len(rsyslog.lines()) >= expected, timeout=20)
    found = []
    for version, _, host, app, msgid, body in rsyslog.lines():
        assert (version, host, app) == ("1", "api-1", "portgate")
        content = json.loads(body)
        assert content["kind"] == msgid
        found.append(content)
    return found


def _cursor(engine: Engine, kind: Kind, port: int) -> int:
    with Session(engine) as session:
        row = session.get(ForwardCursor, (kind.value, f"127.0.0.1:{port}"))
        return row.last_id if row is not None else 0


def test_every_kind_arrives_as_rfc5424_json(engine: Engine, rsyslog: RsyslogProcess) -> None:
    _add_rows(engine, 0, 3)
    assert _worker(engine, rsyslog.port).forward_all() == 9
    found = _received(rsyslog, 9)
    assert sorted(str(c["event_id"]) for c in found if c["kind"] == "event") == [
        "ev-0",
        "ev-1",
        "ev-2",
    ]
    alarms = [c for c in found if c["kind"] == "alarm"]
    assert sorted(str(c["detail"]) for c in alarms) == [f"{_NASTY} {i}" for i in range(3)]
    audit = [c for c in found if c["kind"] == "audit"]
    assert [c["target"] for c in audit] == ["person:p0", "person:p1", "person:p2"]
    assert all("before" not in c and "after" not in c for c in audit)
    assert _worker(engine, rsyslog.port).forward_all() == 0  # the cursor moved: none again


def test_cef_bodies_arrive_escaped(engine: Engine, rsyslog: RsyslogProcess) -> None:
    _add_rows(engine, 0, 1)
    _worker(engine, rsyslog.port, BodyFormat.CEF).forward_all()
    wait_until(lambda: len(rsyslog.lines()) >= 3, timeout=20)
    alarm = next(fields[5] for fields in rsyslog.lines() if fields[4] == "alarm")
    assert alarm.startswith("CEF:0|PortGate|PortGate|0.1.0|alarm:forced|alarm forced|8|")
    assert "detail=door | forced \\= open \\\\ twice\\nÖlhafen 0" in alarm


def test_a_stopped_collector_loses_nothing(
    engine: Engine, rsyslog: RsyslogProcess, tmp_path: Path
) -> None:
    worker = _worker(engine, rsyslog.port)
    _add_rows(engine, 0, 2)
    worker.forward_all()
    rsyslog.stop()
    _add_rows(engine, 2, BATCH)  # more than one batch waits
    with pytest.raises(DeliveryError, match=f"syslog target 127.0.0.1:{rsyslog.port}"):
        worker.forward_all()
    assert _cursor(engine, Kind.EVENT, rsyslog.port) == 2
    restarted = start_rsyslog(tmp_path, port=rsyslog.port)
    try:
        assert worker.forward_all() == 3 * BATCH
        found = _received(restarted, 3 * (BATCH + 2))
    finally:
        restarted.stop()
    events = [str(c["event_id"]) for c in found if c["kind"] == "event"]
    # At-least-once; here every batch was confirmed once, so each row came exactly once.
    assert sorted(events) == sorted(f"ev-{i}" for i in range(BATCH + 2))
    assert len([c for c in found if c["kind"] == "audit"]) == BATCH + 2


def _refuses_tls() -> tuple[socket.socket, threading.Thread]:
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.sendall(b"HTTP/1.0 400 not a TLS server\r\n\r\n")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, thread


def test_a_refused_tls_handshake_is_a_clear_error_and_loses_nothing(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    server, thread = _refuses_tls()
    port = server.getsockname()[1]
    _add_rows(engine, 0, 1)
    target = SyslogTarget(host="127.0.0.1", port=port, tls=True, timeout_s=5)
    worker = ForwardingWorker(engine=engine, settings=ForwardingSettings(target=target), poll_s=0.1)
    try:
        with pytest.raises(DeliveryError, match="TLS handshake failed"):
            worker.forward_all()
        with caplog.at_level(logging.ERROR, logger="central_api.forwarding.worker"):
            worker.start()
            wait_until(lambda: "TLS handshake failed" in caplog.text, timeout=10)
            worker.stop()
    finally:
        server.close()
        thread.join(timeout=5)
    assert f"syslog target 127.0.0.1:{port} (TLS)" in caplog.text
    assert "nothing lost" in caplog.text
    assert all(_cursor(engine, kind, port) == 0 for kind in Kind)


def test_tls_rfc5425_reaches_rsyslog_gtls(engine: Engine, tmp_path: Path) -> None:
    ca = TestCa.create(tmp_path / "pki")
    server = ca.issue_server("siem", hosts=["127.0.0.1", "localhost"])
    tls = RsyslogTls(ca_file=ca.cert_file, cert_file=server.cert_file, key_file=server.key_file)
    collector = start_rsyslog(tmp_path, tls=tls)
    try:
        _add_rows(engine, 0, 2)
        target = SyslogTarget(
            host="127.0.0.1", port=collector.port, tls=True, ca_file=ca.cert_file, timeout_s=5
        )
        worker = ForwardingWorker(
            engine=engine, settings=ForwardingSettings(target=target), hostname="api-1"
        )
        assert worker.forward_all() == 6
        found = _received(collector, 6)
    finally:
        collector.stop()
    assert sorted(str(c["alarm_id"]) for c in found if c["kind"] == "alarm") == ["al-0", "al-1"]

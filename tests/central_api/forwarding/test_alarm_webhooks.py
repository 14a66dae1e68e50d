"""Signed alarm webhooks against a local HTTP server: signature, retries, dead letter, replay."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.forwarding.tables import WebhookDeadLetter
from central_api.forwarding.webhook_worker import WebhookWorker
from central_api.forwarding.webhooks import SIGNATURE_HEADER, WebhookTarget
from central_api.models import Alarm, AuditEntry, Role
from gate_protocol.messages import AlarmKind
from testkit.api.world import World

_SECRET = "webhook-secret-for-tests-0123456789abcdef"


class _Receiver:
    """An HTTP server that answers the next queued status (then 200) and checks signatures."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.bodies: list[dict[str, object]] = []
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200 and not _valid(self.headers[SIGNATURE_HEADER], body):
                    status = 401
                if status == 200:
                    receiver.bodies.append(json.loads(body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _valid(header: str, body: bytes) -> bool:
    # What a receiver does (docs/siem.md): recompute over "<t>.<raw body>".
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(_SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(parts["v1"], expected.hexdigest())


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    yield server
    server.close()


def _alarm(engine: Engine, alarm_id: str) -> None:
    with Session(engine) as session:
        session.add(
            Alarm(
                alarm_id=alarm_id,
                site_id="site-a",
                gate_id="gate-1",
                kind=AlarmKind.TAMPER,
                raised_at=datetime.now(UTC),
                detail="cover opened",
            )
        )
        session.commit()


def _worker(engine: Engine, url: str, attempts: int = 3) -> WebhookWorker:
    target = WebhookTarget(url=url, secret=_SECRET, attempts=attempts, base_delay_s=0.01)
    return WebhookWorker(engine=engine, target=target)


def test_alarms_arrive_signed_after_retries(engine: Engine, receiver: _Receiver) -> None:
    _alarm(engine, "al-1")
    receiver.statuses = [500, 503]  # two failures, the third attempt succeeds
    assert _worker(engine, receiver.url).forward_once() == 1
    assert receiver.attempts == 3
    assert [(b["alarm_id"], b["alarm_kind"]) for b in receiver.bodies] == [("al-1", "tamper")]
    assert _worker(engine, receiver.url).forward_once() == 0  # delivered once


def test_a_wrong_secret_is_refused_by_the_receiver(engine: Engine, receiver: _Receiver) -> None:
    _alarm(engine, "al-1")
    target = WebhookTarget(url=receiver.url, secret="x" * 40, attempts=1)
    WebhookWorker(engine=engine, target=target).forward_once()
    assert receiver.bodies == []  # the receiver's check would fail without a real signature
    with Session(engine) as session:
        assert (
            session.exec(select(WebhookDeadLetter))
            .one()
            .error.endswith("answered 401 (after 1 attempts)")
        )


def test_dead_letter_listed_and_replayed(
    engine: Engine,
    receiver: _Receiver,
    client: TestClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _alarm(engine, "al-1")
    _alarm(engine, "al-2")
    receiver.statuses = [500, 500, 500]  # al-1 fails every attempt; al-2 goes through
    assert _worker(engine, receiver.url).forward_once() == 2
    assert [b["alarm_id"] for b in receiver.bodies] == ["al-2"]
    admin = world.user(Role.ADMIN)
    listed = client.get("/api/v1/webhooks/dead-letters", headers=admin)
    assert listed.status_code == 200
    [dead] = listed.json()
    assert (dead["alarm_id"], dead["attempts"]) == ("al-1", 3)
    assert "answered 500" in dead["error"] and "/hook" not in dead["error"]
    assert (
        client.get("/api/v1/webhooks/dead-letters", headers=world.user(Role.OPERATOR)).status_code
        == 403
    )

    # Without a webhook configured, a replay is refused and changes nothing.
    monkeypatch.delenv("PORTGATE_WEBHOOK_URL", raising=False)
    refused = client.post(f"/api/v1/webhooks/dead-letters/{dead['id']}/replay", headers=admin)
    assert refused.status_code == 409 and "PORTGATE_WEBHOOK_URL" in refused.json()["detail"]
    monkeypatch.setenv("PORTGATE_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("PORTGATE_WEBHOOK_SECRET", _SECRET)
    missing = client.post("/api/v1/webhooks/dead-letters/999/replay", headers=admin)
    assert missing.status_code == 404
    receiver.statuses = [502]
    still = client.post(f"/api/v1/webhooks/dead-letters/{dead['id']}/replay", headers=admin)
    assert still.status_code == 502 and "still refuses" in still.json()["detail"]
    replayed = client.post(f"/api/v1/webhooks/dead-letters/{dead['id']}/replay", headers=admin)
    assert replayed.status_code == 204
    assert [b["alarm_id"] for b in receiver.bodies] == ["al-2", "al-1"]
    assert client.get("/api/v1/webhooks/dead-letters", headers=admin).json() == []
    with Session(engine) as session:
        actions = session.exec(select(AuditEntry.action, AuditEntry.target)).all()
    assert ("webhook.replay", "alarm:al-1") in actions

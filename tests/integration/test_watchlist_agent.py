"""A watchlisted face holding someone else's valid badge: real API, real agent, real faces.

The port authority puts a person of interest (Biden's photo) on the watchlist; a staff
member (Obama, enrolled with his face and a valid badge) lends his badge. The agent syncs
its replica from the real API (the watchlist gallery with it), the camera replays Biden's
photo, the badge is tapped: the agent's face step encodes Biden, screens the encoding
against the watchlist and reports the hit; the API denies with `watchlist`, raises the
alarm and audits the hit. The liveness check is a stand-in (a replayed still photo is
rightly refused by the real one).
"""

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from central_api.db import make_engine
from central_api.models import Alarm, AuditEntry
from gate_agent.app import AgentApp
from gate_agent.face.step import LivenessResult
from gate_protocol.messages import (
    AccessEvent,
    AlarmKind,
    BadgeFormat,
    CredentialPresented,
    DecidedBy,
    Decision,
    encode_message,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.topics import GateChannel
from testkit.agent.bridge_sim import BridgeSim
from testkit.agent.doubles import agent_config
from testkit.api.desk_server import DeskServer, run_desk_server
from testkit.faces import FACES  # the shipped photos: a fresh clone has them
from testkit.mosquitto import MosquittoProcess
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BADGE = "42078"


class PassingLiveness:
    def check(self, images: Any) -> LivenessResult:
        return LivenessResult(passed=True, score=0.9)


def _enroll_badge_holder(http: httpx.Client) -> str:
    from biometrics import GATE_PIPELINE, template_to_bytes

    answer = http.post(
        "/api/v1/enroll/people",
        json={
            "site_id": "rtm",
            "display_name": "Badge Lender",
            "kind": "staff",
            "access_groups": ["quay-staff"],
            "badge": {"number": BADGE},
        },
    )
    assert answer.status_code == 201, answer.text
    person = str(answer.json()["id"])
    encoding = GATE_PIPELINE.encode_file(FACES / "obama2.jpg")
    assert encoding is not None
    template = base64.b64encode(template_to_bytes(encoding.encoding)).decode()
    added = http.post(f"/api/v1/people/{person}/face-templates", json={"template_b64": template})
    assert added.status_code == 201, added.text
    return person


def _put_on_watchlist(server: DeskServer) -> str:
    token = server.token("authority-user")
    answer = httpx.post(
        f"{server.url}/api/v1/watchlist/persons-of-interest",
        headers={"Authorization": f"Bearer {token}"},
        data={"label": "Badge borrower", "reason": "banned after a theft at quay 4"},
        files={"photo": ("biden.jpg", (FACES / "biden.jpg").read_bytes(), "image/jpeg")},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["entry_id"])


def _start_agent(server: DeskServer, port: int, folder: Path) -> AgentApp:
    from gate_agent.face.biometrics import BiometricFaceVerifier

    folder.mkdir()
    config = agent_config(
        folder,
        mqtt_port=port,
        api_url=server.url,
        timeout_ms=5000,
        site="rtm",
        gate=server.world.gate,
        camera={"type": "file", "path": str(FACES / "biden.jpg"), "fps": 10},
        face={"burst_frames": 3, "burst_timeout_ms": 3000},
    )
    agent = AgentApp(
        config,
        gate_key=server.world.keys[server.world.gate],
        verifier=BiometricFaceVerifier(max_frames=1),
        liveness=PassingLiveness(),
        scanner=lambda image: [],
    )
    agent.start()
    return agent


def _tap(bridge: BridgeSim) -> AccessEvent:
    read = CredentialPresented(
        badge_number=BADGE,
        format=BadgeFormat.WIEGAND26,
        reader_id="r1",
        lane=0,
        read_at=datetime.now(UTC),
    )
    bridge.publish(GateChannel.CREDENTIAL, encode_message(read))
    assert bridge.wait_for(lambda: len(bridge.events) > 0, timeout=60)
    return bridge.events[0]


def _stored(server: DeskServer) -> tuple[list[Alarm], list[AuditEntry]]:
    engine = make_engine(server.settings.database_url)
    with Session(engine) as session:
        alarms = session.exec(select(Alarm).where(Alarm.kind == AlarmKind.WATCHLIST)).all()
        hits = session.exec(select(AuditEntry).where(AuditEntry.action == "watchlist.hit")).all()
    engine.dispose()
    return list(alarms), list(hits)


def test_a_watchlisted_face_with_someone_else_s_valid_badge_is_denied_alarmed_and_audited(
    mosquitto: MosquittoProcess, tmp_path: Path
) -> None:
    with run_desk_server(tmp_path, mqtt_url=f"mqtt://127.0.0.1:{mosquitto.port}") as server:
        headers = {"Authorization": f"Bearer {server.token()}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            holder = _enroll_badge_holder(http)
        entry_id = _put_on_watchlist(server)
        agent = _start_agent(server, mosquitto.port, tmp_path / "agent")
        bridge = BridgeSim(mosquitto.port, site="rtm", gate=server.world.gate)
        try:
            assert wait_until(lambda: agent.agent.subscribed, 20)

            def has_watchlist() -> bool:
                index = agent.agent.replica.index
                return index is not None and [w.entry_id for w in index.snapshot.watchlist] == [
                    entry_id
                ]

            assert wait_until(has_watchlist, 30)
            event = _tap(bridge)
        finally:
            agent.stop()
            bridge.close()
        assert event.decision is Decision.DENIED and event.reason is ReasonCode.WATCHLIST
        assert event.decided_by is DecidedBy.CENTRAL
        assert bridge.commands == []  # the turnstile never opened
        alarms, hits = _stored(server)
    # The API's alarm names the badge's holder and the entry (the agent relays its own too).
    raised = [a for a in alarms if a.person_id == holder]
    assert [(a.site_id, a.gate_id) for a in raised] == [("rtm", server.world.gate)]
    assert entry_id in (raised[0].detail or "")
    assert [(h.actor, h.target) for h in hits] == [(f"gate:{server.world.gate}", entry_id)]

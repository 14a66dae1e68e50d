"""Face-only 1:N at the gate: the real photos, the replica's gallery, and the real central API."""

import base64
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gate_agent.app import AgentApp
from gate_agent.decision.replica_store import ReplicaStore, StoredReplica
from gate_agent.face.identify import FaceIdentified, Identified
from gate_agent.face.step import LivenessResult
from gate_protocol.messages import (
    AlarmKind,
    AlarmRaised,
    CredentialKind,
    DecidedBy,
    Decision,
    decode_message,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.replica import FaceTemplateRecord, WatchlistRecord, WatchlistSource
from testkit.agent.api_stub import ApiStub
from testkit.agent.bridge_sim import BridgeSim
from testkit.agent.doubles import GATE_KEY, agent_config, make_snapshot
from testkit.api.desk_server import run_desk_server
from testkit.faces import FACES
from testkit.mosquitto import MosquittoProcess
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
LIVE = LivenessResult(passed=True, score=0.9)


class PassingLiveness:
    def check(self, images: Any) -> LivenessResult:
        return LIVE


def template(photo: str) -> str:
    from biometrics import GATE_PIPELINE, template_to_bytes

    encoding = GATE_PIPELINE.encode_file(FACES / photo)
    assert encoding is not None
    return base64.b64encode(template_to_bytes(encoding.encoding)).decode()


def face_only_gate(
    tmp_path: Path,
    port: int,
    gallery: dict[str, str],
    *,
    photo: str,
    watchlist: tuple[WatchlistRecord, ...] = (),
) -> AgentApp:
    from gate_agent.face.biometrics import BiometricFaceObserver, BiometricFaceVerifier

    base = make_snapshot(face_required=True)
    snapshot = base.model_copy(
        update={
            "gate": base.gate.model_copy(update={"face_identification": True}),
            "templates": tuple(
                FaceTemplateRecord(template_id=f"T-{p}", person_id=p, encoding_b64=t)
                for p, t in gallery.items()
            ),
            "watchlist": watchlist,
        }
    )
    ReplicaStore(tmp_path / "replica.json").save(
        StoredReplica(snapshot=snapshot, last_sync_at=datetime.now(UTC))
    )
    api = ApiStub(snapshot)
    api.stop()  # the replica decides, over the 1:N identification the agent made
    config = agent_config(
        tmp_path,
        mqtt_port=port,
        api_url=api.url,
        camera={"type": "file", "path": str(FACES / photo), "fps": 10},
        face={"burst_frames": 3, "track_interval_ms": 100},
    )
    app = AgentApp(
        config,
        gate_key=GATE_KEY,
        verifier=BiometricFaceVerifier(max_frames=1),
        liveness=PassingLiveness(),
        observer=BiometricFaceObserver(),
        scanner=lambda image: [],
    )
    app.start()
    return app


def test_a_person_without_a_badge_is_identified_and_let_in(
    mosquitto: MosquittoProcess, tmp_path: Path
) -> None:
    gallery = {"P1": template("obama2.jpg"), "P2": template("biden.jpg")}
    bridge = BridgeSim(mosquitto.port)
    app = face_only_gate(tmp_path, mosquitto.port, gallery, photo="obama.jpg")
    try:
        assert bridge.wait_for(lambda: len(bridge.events) >= 1, timeout=30)
        event = bridge.events[0]
        assert event.credential_kind is CredentialKind.FACE and event.person_id == "P1"
        assert event.decision is Decision.GRANTED and event.decided_by is DecidedBy.REPLICA
        assert event.passed is True and len(bridge.commands) == 1
        assert event.face_score is not None and event.face_score < 0.42
        assert event.reason_detail is not None and "identified 1:N" in event.reason_detail
        time.sleep(1.0)
        assert len(bridge.events) == 1  # the same face in later frames is one presentation
    finally:
        app.stop()
        bridge.close()


def test_a_face_two_enrolled_people_share_is_sent_to_the_guard(
    mosquitto: MosquittoProcess, tmp_path: Path
) -> None:
    obama = template("obama2.jpg")
    bridge = BridgeSim(mosquitto.port)
    app = face_only_gate(tmp_path, mosquitto.port, {"P1": obama, "P2": obama}, photo="obama.jpg")
    try:
        assert bridge.wait_for(lambda: len(bridge.events) >= 1, timeout=30)
        event = bridge.events[0]
        assert event.decision is Decision.DENIED and event.reason is ReasonCode.FACE_MISMATCH
        assert event.person_id is None and event.credential_kind is CredentialKind.FACE
        assert event.reason_detail is not None and "see the guard" in event.reason_detail
        assert bridge.commands == []
    finally:
        app.stop()
        bridge.close()


def alarms(bridge: BridgeSim) -> list[AlarmRaised]:
    found = [decode_message(p, expected=AlarmRaised) for t, p in bridge.raw if t.endswith("/alarm")]
    return [a for a in found if isinstance(a, AlarmRaised)]


def test_a_watchlisted_face_in_view_at_a_face_only_gate_is_denied_not_only_alarmed(
    mosquitto: MosquittoProcess, tmp_path: Path
) -> None:
    poi = WatchlistRecord(
        entry_id="poi:7",
        source=WatchlistSource.PERSON_OF_INTEREST,
        encoding_b64=template("biden.jpg"),
    )
    bridge = BridgeSim(mosquitto.port)
    gallery = {"P1": template("obama2.jpg")}
    app = face_only_gate(tmp_path, mosquitto.port, gallery, photo="biden.jpg", watchlist=(poi,))
    try:
        assert bridge.wait_for(lambda: len(bridge.events) >= 1 and len(alarms(bridge)) >= 1, 30)
        event = bridge.events[0]
        assert event.decision is Decision.DENIED and event.reason is ReasonCode.WATCHLIST
        assert event.credential_kind is CredentialKind.FACE and event.person_id is None
        assert event.reason_detail is not None and "poi:7" in event.reason_detail
        assert bridge.commands == []
        assert [(a.alarm, "poi:7" in a.detail) for a in alarms(bridge)] == [
            (AlarmKind.WATCHLIST, True)
        ]
        time.sleep(1.0)
        assert len(bridge.events) == 1  # the same face in later frames is one denial
    finally:
        app.stop()
        bridge.close()


def test_the_central_api_decides_and_stores_an_identified_face(
    mosquitto: MosquittoProcess, tmp_path: Path
) -> None:
    with run_desk_server(tmp_path, mqtt_url=f"mqtt://127.0.0.1:{mosquitto.port}") as server:
        desk = {"Authorization": f"Bearer {server.token()}"}
        with httpx.Client(base_url=server.url, headers=desk, timeout=30) as http:
            answer = http.post(
                "/api/v1/enroll/people",
                json={
                    "site_id": "rtm",
                    "display_name": "Face Only",
                    "kind": "staff",
                    "access_groups": ["quay-staff"],
                },
            )
            assert answer.status_code == 201, answer.text
            person = str(answer.json()["id"])
        gate = server.world.gate
        # Face-only entry is a gate option the API checks too (off by default).
        admin = {"Authorization": f"Bearer {server.token('admin-user')}"}
        switched = httpx.patch(
            f"{server.url}/api/v1/gates/{gate}",
            json={"face_identification": True},
            headers=admin,
            timeout=30,
        )
        assert switched.status_code == 200, switched.text
        (tmp_path / "agent").mkdir()
        config = agent_config(
            tmp_path / "agent", mqtt_port=mosquitto.port, api_url=server.url, site="rtm", gate=gate
        )
        app = AgentApp(config, gate_key=server.world.keys[gate])
        app.start()
        try:
            assert wait_until(lambda: app.agent.subscribed and app.agent.replica.index, 20)
            # What the tracker reports at a face-only gate (the camera part is tested above).
            app.inbox.put(FaceIdentified(Identified(person, 0.31, LIVE, 1.2)))
            operator = {"Authorization": f"Bearer {server.token('operator-user')}"}

            def stored() -> list[dict[str, Any]]:
                got = httpx.get(f"{server.url}/api/v1/events", headers=operator)
                got.raise_for_status()
                return [e for e in got.json() if e.get("person_id") == person]

            [event] = wait_until(stored, timeout=20)
            assert event["credential_kind"] == "face"
            assert event["decision"] == "granted" and event["decided_by"] == "central"
            assert event["face_score"] == pytest.approx(0.31)
        finally:
            app.stop()

"""The camera path: a real QR pass photographed, and the real face step on shipped photos."""

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from biometrics.models import encoder_model_id
from gate_agent.app import AgentApp
from gate_agent.decision.replica_store import ReplicaStore, StoredReplica
from gate_protocol.messages import (
    AlarmKind,
    AlarmRaised,
    BadgeFormat,
    CredentialKind,
    CredentialPresented,
    DecidedBy,
    Decision,
    decode_message,
    encode_message,
)
from gate_protocol.passes.keys import encode_public_key, generate_pass_key
from gate_protocol.passes.token import PassClaims, PassSigner
from gate_protocol.reasons import ReasonCode
from gate_protocol.replica import FaceTemplateRecord, PassKeyRecord
from gate_protocol.thresholds import DEFAULT_VERIFY_THRESHOLD
from gate_protocol.topics import GateChannel
from testkit.agent.api_stub import ApiStub
from testkit.agent.bridge_sim import BridgeSim
from testkit.agent.doubles import GATE_KEY, GOOD_BADGE, agent_config, make_snapshot
from testkit.faces import FACES
from testkit.mosquitto import MosquittoProcess
from testkit.polling import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def bridge(mosquitto: MosquittoProcess) -> Iterator[BridgeSim]:
    sim = BridgeSim(mosquitto.port)
    yield sim
    sim.close()


def test_photographed_qr_pass_is_verified_offline_and_sent_to_the_api(
    mosquitto: MosquittoProcess, bridge: BridgeSim, tmp_path: Path
) -> None:
    segno = pytest.importorskip("segno")
    key_id, key = generate_pass_key()
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    token = PassSigner(key, key_id).issue(
        PassClaims(
            pass_id="PASS1",
            holder_id="P1",
            gates=("G1",),
            issued_at=start,
            not_before=start,
            expires_at=start + timedelta(hours=1),
        )
    )
    segno.make_qr(token, error="m").save(str(tmp_path / "pass.png"), scale=6, border=4)
    snapshot = make_snapshot().model_copy(
        update={
            "pass_keys": (
                PassKeyRecord(key_id=key_id, public_key_b64=encode_public_key(key.public_key())),
            )
        }
    )
    ReplicaStore(tmp_path / "replica.json").save(
        StoredReplica(snapshot=snapshot, last_sync_at=datetime.now(UTC))
    )
    api = ApiStub(snapshot)
    config = agent_config(
        tmp_path,
        mqtt_port=mosquitto.port,
        api_url=api.url,
        camera={"type": "file", "path": str(tmp_path / "pass.png"), "fps": 5},
        code_dedup_s=600,
    )
    app = AgentApp(config, gate_key=GATE_KEY)
    app.start()
    try:
        assert bridge.wait_for(lambda: len(bridge.events) >= 1, timeout=15)
        event = bridge.events[0]
        assert event.credential_kind is CredentialKind.QR_PASS
        assert event.credential_ref == "PASS1"
        assert event.decision is Decision.GRANTED and event.decided_by is DecidedBy.CENTRAL
        assert event.passed is True and event.latency.decode_ms is not None
        assert api.queries[0].pass_token == token
        time.sleep(0.5)
        assert len(bridge.events) == 1  # the same code in later frames is one presentation
    finally:
        app.stop()
        api.stop()


@pytest.fixture(scope="module")
def obama_template() -> str:
    from biometrics import GATE_PIPELINE, template_to_bytes

    encoding = GATE_PIPELINE.encode_file(FACES / "obama2.jpg")
    assert encoding is not None
    return base64.b64encode(template_to_bytes(encoding.encoding)).decode()


class PassingLiveness:
    def check(self, images: Any) -> Any:
        from gate_agent.face.step import LivenessResult

        return LivenessResult(passed=True, score=0.9)


def face_agent(tmp_path: Path, port: int, template: str, liveness: Any) -> tuple[AgentApp, ApiStub]:
    from gate_agent.face.biometrics import BiometricFaceVerifier

    snapshot = make_snapshot(face_required=True).model_copy(
        update={
            "templates": (
                FaceTemplateRecord(template_id="T1", person_id="P1", encoding_b64=template),
            )
        }
    )
    ReplicaStore(tmp_path / "replica.json").save(
        StoredReplica(snapshot=snapshot, last_sync_at=datetime.now(UTC))
    )
    api = ApiStub(snapshot)
    api.stop()  # the replica decides, over the face evidence the agent measured
    config = agent_config(
        tmp_path,
        mqtt_port=port,
        api_url=api.url,
        camera={"type": "file", "path": str(FACES / "obama.jpg"), "fps": 10},
        face={"burst_frames": 5, "burst_timeout_ms": 3000},
    )
    app = AgentApp(
        config,
        gate_key=GATE_KEY,
        verifier=BiometricFaceVerifier(max_frames=1),
        liveness=liveness,
        scanner=lambda image: [],
    )
    app.start()
    assert wait_until(lambda: app.agent.subscribed, 10)
    return app, api


def present_badge(bridge: BridgeSim) -> None:
    read = CredentialPresented(
        badge_number=GOOD_BADGE,
        format=BadgeFormat.WIEGAND26,
        reader_id="r1",
        lane=0,
        read_at=datetime.now(UTC),
    )
    bridge.publish(GateChannel.CREDENTIAL, encode_message(read))


@pytest.mark.slow
def test_real_face_verify_matches_the_badge_holder(
    mosquitto: MosquittoProcess, bridge: BridgeSim, tmp_path: Path, obama_template: str
) -> None:
    app, _ = face_agent(tmp_path, mosquitto.port, obama_template, PassingLiveness())
    try:
        present_badge(bridge)
        assert bridge.wait_for(lambda: len(bridge.events) >= 1, timeout=30)
        event = bridge.events[0]
        assert event.decided_by is DecidedBy.REPLICA
        assert event.face_score is not None and event.face_score < 0.5
        assert event.decision is Decision.GRANTED and event.passed is True
        assert event.latency.face_ms is not None and event.liveness_score == 0.9
        # The event names the model and the replica's threshold the face was judged with.
        assert event.face_model == encoder_model_id()
        assert event.face_threshold == DEFAULT_VERIFY_THRESHOLD
    finally:
        app.stop()


@pytest.mark.slow
def test_replayed_photo_fails_real_liveness(
    mosquitto: MosquittoProcess, bridge: BridgeSim, tmp_path: Path, obama_template: str
) -> None:
    from gate_agent.face.biometrics import BiometricLiveness

    app, _ = face_agent(tmp_path, mosquitto.port, obama_template, BiometricLiveness())
    try:
        present_badge(bridge)
        assert bridge.wait_for(lambda: len(bridge.events) >= 1, timeout=30)
        event = bridge.events[0]
        assert event.decision is Decision.DENIED and event.reason is ReasonCode.LIVENESS_FAILED
        assert bridge.commands == []
        alarms = [
            decode_message(p, expected=AlarmRaised) for t, p in bridge.raw if t.endswith("/alarm")
        ]
        assert [a.alarm for a in alarms if isinstance(a, AlarmRaised)] == [AlarmKind.LIVENESS]
    finally:
        app.stop()

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from gate_protocol.messages import CredentialKind
from gate_protocol.records import (
    AppointmentRecord,
    CredentialRecord,
    GatePolicy,
    PersonKind,
    PersonRecord,
    ZoneRules,
)
from gate_protocol.replica import (
    FaceTemplateRecord,
    PassKeyRecord,
    ReplicaDelta,
    ReplicaError,
    ReplicaIndex,
    ReplicaSnapshot,
    apply_delta,
    decode_replica,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
COMMON = {
    "site_id": "rtm",
    "gate_id": "g1",
    "generated_at": NOW,
    "gate": GatePolicy(gate_id="g1", zone_id="quay"),
    "zone": ZoneRules(zone_id="quay"),
}


def person(pid: str) -> PersonRecord:
    return PersonRecord(person_id=pid, kind=PersonKind.STAFF)


def badge(ref: str, pid: str) -> CredentialRecord:
    return CredentialRecord(kind=CredentialKind.BADGE, ref=ref, person_id=pid)


SNAPSHOT = ReplicaSnapshot(
    **COMMON,
    version=10,
    persons=(person("p1"), person("p2")),
    credentials=(badge("AA01", "p1"), badge("AA02", "p2")),
    appointments=(
        AppointmentRecord(
            appointment_id="ap1",
            person_id="p2",
            pass_id="PASS1",
            gates=frozenset({"g1"}),
            window_start=NOW,
            window_end=NOW + timedelta(hours=2),
        ),
    ),
    templates=(
        FaceTemplateRecord(template_id="t1", person_id="p1", encoding_b64="AAAA"),
        FaceTemplateRecord(template_id="t2", person_id="p2", encoding_b64="BBBB"),
    ),
    pass_keys=(PassKeyRecord(key_id="K1", public_key_b64="CCCC"),),
)


def test_snapshot_round_trips_through_json() -> None:
    assert decode_replica(SNAPSHOT.model_dump_json()) == SNAPSHOT


def test_delta_upserts_and_deletes() -> None:
    revoked = badge("AA01", "p1").model_copy(update={"revoked": True})
    delta = ReplicaDelta(
        **COMMON,
        from_version=10,
        version=12,
        threat_level=2,
        persons=(person("p3"),),
        credentials=(revoked, badge("AA03", "p3")),
        deleted_key_ids=("K1",),
        pass_keys=(PassKeyRecord(key_id="K2", public_key_b64="DDDD"),),
    )
    result = apply_delta(SNAPSHOT, decode_replica(delta.model_dump_json()))  # type: ignore[arg-type]
    index = ReplicaIndex(result)
    assert result.version == 12
    assert result.threat_level == 2
    assert index.person("p3") is not None
    credential = index.credential(CredentialKind.BADGE, "AA01")
    assert credential is not None and credential.revoked
    assert [k.key_id for k in result.pass_keys] == ["K2"]
    assert len(result.credentials) == 3


def test_erasing_a_person_removes_everything_bound_to_them() -> None:
    delta = ReplicaDelta(**COMMON, from_version=10, version=11, deleted_person_ids=("p2",))
    result = apply_delta(SNAPSHOT, delta)
    index = ReplicaIndex(result)
    assert index.person("p2") is None
    assert index.credential(CredentialKind.BADGE, "AA02") is None
    assert index.appointment_for_pass("PASS1") is None
    assert index.templates_of("p2") == ()
    assert [t.template_id for t in index.templates_of("p1")] == ["t1"]


def test_a_deleted_template_leaves_a_person_who_stays() -> None:
    second = FaceTemplateRecord(template_id="t3", person_id="p1", encoding_b64="EEEE")
    with_two = apply_delta(
        SNAPSHOT,
        ReplicaDelta(
            **COMMON, from_version=10, version=11, persons=(person("p1"),), templates=(second,)
        ),
    )
    delta = ReplicaDelta(
        **COMMON,
        from_version=11,
        version=12,
        persons=(person("p1"),),
        templates=(second,),
        deleted_template_ids=("t1",),
    )
    result = apply_delta(with_two, decode_replica(delta.model_dump_json()))  # type: ignore[arg-type]
    index = ReplicaIndex(result)
    assert index.person("p1") is not None
    assert [t.template_id for t in index.templates_of("p1")] == ["t3"]
    assert [t.template_id for t in index.templates_of("p2")] == ["t2"]


def test_delta_that_skips_versions_is_refused() -> None:
    delta = ReplicaDelta(**COMMON, from_version=11, version=12)
    with pytest.raises(ReplicaError, match="starts at 11"):
        apply_delta(SNAPSHOT, delta)


def test_delta_for_another_gate_is_refused() -> None:
    delta = ReplicaDelta(**{**COMMON, "gate_id": "g2"}, from_version=10, version=11)
    with pytest.raises(ReplicaError, match="another gate"):
        apply_delta(SNAPSHOT, delta)


def test_backwards_delta_is_refused() -> None:
    delta = ReplicaDelta(**COMMON, from_version=10, version=9)
    with pytest.raises(ReplicaError, match="backwards"):
        apply_delta(SNAPSHOT, delta)


@pytest.mark.parametrize(
    "payload",
    [
        b"{}",
        b'{"kind": "snapshot"}',
        b"not json",
        SNAPSHOT.model_dump_json().replace('"version":10', '"version":-1').encode(),
        SNAPSHOT.model_dump_json()
        .replace('"encoding_b64":"AAAA"', '"encoding_b64":"<script>"')
        .encode(),
        SNAPSHOT.model_dump_json().replace('"threat_level":1', '"threat_level":9').encode(),
    ],
)
def test_bad_replica_payloads_are_refused(payload: bytes) -> None:
    with pytest.raises(ValidationError):
        decode_replica(payload)

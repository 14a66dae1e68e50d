from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from gate_agent.decision.replica_store import ReplicaStore, StoredReplica, sync_replica
from gate_agent.links.api_client import ApiClient, ApiUnavailable
from gate_protocol.replica import FaceTemplateRecord, ReplicaDelta, ReplicaSnapshot
from testkit.agent.doubles import GATE_KEY, make_snapshot

NOW = datetime.now(UTC)


def test_save_and_load_round_trip_atomically(tmp_path: Path) -> None:
    store = ReplicaStore(tmp_path / "sub" / "replica.json")
    assert store.load() is None
    stored = StoredReplica(snapshot=make_snapshot(), last_sync_at=NOW)
    store.save(stored)
    assert store.load() == stored
    store.save(StoredReplica(snapshot=make_snapshot(version=8)))
    loaded = store.load()
    assert loaded is not None and loaded.snapshot.version == 8
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["replica.json"]  # no temp left


def test_corrupt_file_is_ignored_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "replica.json"
    path.write_text('{"snapshot": {"version": "half')
    assert ReplicaStore(path).load() is None


def delta(from_version: int, version: int) -> ReplicaDelta:
    base = make_snapshot(version=version)
    return ReplicaDelta(
        site_id=base.site_id,
        gate_id=base.gate_id,
        generated_at=NOW,
        gate=base.gate,
        zone=base.zone,
        from_version=from_version,
        version=version,
        deleted_person_ids=("P2",),
    )


def api_serving(*bodies: ReplicaSnapshot | ReplicaDelta) -> tuple[ApiClient, list[str]]:
    queue = list(bodies)
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params.get("since", "-"))
        return httpx.Response(200, content=queue.pop(0).model_dump_json().encode())

    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(handler),
    )
    return api, asked


def test_delta_is_applied() -> None:
    api, asked = api_serving(delta(7, 8))
    result = sync_replica(client=api, current=make_snapshot(version=7), now=NOW)
    assert not result.full and result.stored.snapshot.version == 8
    assert [p.person_id for p in result.stored.snapshot.persons] == ["P1"]
    assert result.stored.last_sync_at == NOW and asked == ["7"]


def test_a_gap_falls_back_to_the_full_snapshot() -> None:
    api, asked = api_serving(delta(5, 8), make_snapshot(version=8))
    result = sync_replica(client=api, current=make_snapshot(version=7), now=NOW)
    assert result.full and result.stored.snapshot.version == 8
    assert asked == ["7", "-"]


def test_no_replica_yet_asks_for_everything() -> None:
    api, asked = api_serving(make_snapshot(version=3))
    assert sync_replica(client=api, current=None, now=NOW).stored.snapshot.version == 3
    assert asked == ["-"]


def test_api_down_raises_and_keeps_nothing(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502)

    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(ApiUnavailable):
        sync_replica(client=api, current=make_snapshot(), now=NOW)


KEY = bytes(range(32))


def test_sealed_replica_keeps_templates_out_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "replica.json"
    template = FaceTemplateRecord(
        template_id="T1", person_id="P1", encoding_b64="QUJDREVGR0g=" * 40
    )
    snapshot = make_snapshot().model_copy(update={"templates": (template,)})
    plain = snapshot.model_dump_json().encode()
    stored = StoredReplica(snapshot=snapshot, last_sync_at=NOW)
    ReplicaStore(path, key=KEY).save(stored)
    raw = path.read_bytes()
    assert raw.startswith(b"PGR1")
    assert b"QUJDREVGR0g=" not in raw
    assert plain not in raw
    assert ReplicaStore(path, key=KEY).load() == stored


def test_sealed_replica_does_not_open_without_the_right_key(tmp_path: Path) -> None:
    path = tmp_path / "replica.json"
    ReplicaStore(path, key=KEY).save(StoredReplica(snapshot=make_snapshot()))
    assert ReplicaStore(path).load() is None
    assert ReplicaStore(path, key=bytes(32)).load() is None
    tampered = bytearray(path.read_bytes())
    tampered[-1] ^= 1
    path.write_bytes(bytes(tampered))
    assert ReplicaStore(path, key=KEY).load() is None


def test_a_clear_replica_is_read_with_a_key_and_sealed_on_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "replica.json"
    stored = StoredReplica(snapshot=make_snapshot())
    ReplicaStore(path).save(stored)
    store = ReplicaStore(path, key=KEY)
    loaded = store.load()
    assert loaded == stored
    store.save(loaded)
    assert path.read_bytes().startswith(b"PGR1")


@pytest.mark.parametrize("text", ["not base64!", "AAAA", ""])
def test_bad_replica_keys_are_refused(text: str) -> None:
    from gate_agent.decision.replica_store import decode_replica_key

    with pytest.raises(ValueError, match="replica key"):
        decode_replica_key(text)


def test_a_weak_replica_key_stops_the_agent_unless_in_dev_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import base64
    import secrets

    from gate_agent.config import ConfigError
    from gate_agent.decision.replica_store import replica_key_from_env

    monkeypatch.delenv("PORTGATE_DEV_MODE", raising=False)
    zeros = base64.b64encode(bytes(32)).decode()
    monkeypatch.setenv("PG_TEST_REPLICA_KEY", zeros)
    with pytest.raises(ConfigError, match=r"PG_TEST_REPLICA_KEY \(replica key\) is a fixed"):
        replica_key_from_env("PG_TEST_REPLICA_KEY")
    monkeypatch.setenv("PORTGATE_DEV_MODE", "1")
    assert replica_key_from_env("PG_TEST_REPLICA_KEY") == bytes(32)
    monkeypatch.delenv("PORTGATE_DEV_MODE")
    strong = secrets.token_bytes(32)
    monkeypatch.setenv("PG_TEST_REPLICA_KEY", base64.b64encode(strong).decode())
    assert replica_key_from_env("PG_TEST_REPLICA_KEY") == strong


@pytest.mark.parametrize("dropped", [True, False], ids=["dropped-once", "dropped-twice"])
def test_a_dropped_connection_is_retried_once(dropped: bool) -> None:
    # A pooled connection the API closed as the GET left: one more try, not a lost sync.
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1 or not dropped:
            raise httpx.ReadError("connection closed by the server", request=request)
        return httpx.Response(200, content=delta(7, 8).model_dump_json().encode())

    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(handler),
    )
    if dropped:
        result = sync_replica(client=api, current=make_snapshot(version=7), now=NOW)
        assert result.stored.snapshot.version == 8
    else:
        with pytest.raises(ApiUnavailable, match="ReadError"):
            sync_replica(client=api, current=make_snapshot(version=7), now=NOW)
    assert len(calls) == 2

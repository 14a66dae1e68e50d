"""A sync's changes go to the replica's journal; the whole file is written only now and then."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gate_agent.decision import replica_store
from gate_agent.decision.replica_journal import is_only_a_sync
from gate_agent.decision.replica_store import ReplicaStore, StoredReplica
from gate_protocol.records import CredentialKind, CredentialRecord
from gate_protocol.replica import FaceTemplateRecord, ReplicaSnapshot, apply_delta
from testkit.agent.doubles import delta_after, make_snapshot

KEY = os.urandom(32)
T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
FACE = base64.b64encode(bytes(range(256)) * 2).decode()


def badge(ref: str, person: str = "P1") -> CredentialRecord:
    return CredentialRecord(kind=CredentialKind.BADGE, ref=ref, person_id=person)


def synced(
    store: ReplicaStore, current: ReplicaSnapshot, at: datetime, **changes: Any
) -> ReplicaSnapshot:
    """What the sync worker does: apply the API's delta, then save with it."""
    delta = delta_after(current, **changes)
    after = apply_delta(current, delta)
    store.save(StoredReplica(snapshot=after, last_sync_at=at), delta=delta)
    return after


def test_a_delta_is_appended_and_the_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "replica.json"
    store = ReplicaStore(path, key=KEY)
    first = make_snapshot()
    store.save(StoredReplica(snapshot=first, last_sync_at=T0))
    whole = path.read_bytes()
    later = synced(store, first, T0 + timedelta(minutes=1), credentials=(badge("5555"),))
    assert path.read_bytes() == whole  # not written again
    journal = path.with_name("replica.json.journal")
    assert 0 < journal.stat().st_size < len(whole)
    loaded = ReplicaStore(path, key=KEY).load()
    assert loaded == StoredReplica(snapshot=later, last_sync_at=T0 + timedelta(minutes=1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["replica.json", "replica.json.journal"]


def test_a_sync_that_changed_nothing_records_only_its_time(tmp_path: Path) -> None:
    path = tmp_path / "replica.json"
    store = ReplicaStore(path, key=KEY)
    first = make_snapshot()
    store.save(StoredReplica(snapshot=first, last_sync_at=T0))
    nothing = delta_after(first).model_copy(update={"version": first.version})
    assert is_only_a_sync(first, nothing)
    assert not is_only_a_sync(first, delta_after(first))  # a new version is a change
    threat = nothing.model_copy(update={"threat_level": 2})
    assert not is_only_a_sync(first, threat)
    store.save(StoredReplica(snapshot=first, last_sync_at=T0 + timedelta(hours=2)), delta=nothing)
    # One record of the time alone: 4 + 12 + 16 bytes of framing and seal, and the JSON.
    assert path.with_name("replica.json.journal").stat().st_size < 100
    loaded = ReplicaStore(path, key=KEY).load()
    assert loaded is not None and loaded.last_sync_at == T0 + timedelta(hours=2)
    assert loaded.snapshot == first


def test_a_cut_record_ends_the_replay_and_the_next_save_writes_the_whole_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "replica.json"
    store = ReplicaStore(path, key=KEY)
    first = make_snapshot()
    store.save(StoredReplica(snapshot=first, last_sync_at=T0))
    second = synced(store, first, T0 + timedelta(minutes=1), credentials=(badge("5555"),))
    third = synced(store, second, T0 + timedelta(minutes=2), credentials=(badge("6666"),))
    journal = path.with_name("replica.json.journal")
    data = journal.read_bytes()
    journal.write_bytes(data[:-5])  # a crash in the middle of the last append

    reopened = ReplicaStore(path, key=KEY)
    loaded = reopened.load()
    assert loaded == StoredReplica(snapshot=second, last_sync_at=T0 + timedelta(minutes=1))
    # The replica the agent goes on with is the API's next delta on top of what it loaded.
    fourth = synced(reopened, second, T0 + timedelta(minutes=3), credentials=(badge("7777"),))
    assert not journal.exists()  # the damaged journal was replaced by a whole write
    assert ReplicaStore(path, key=KEY).load() == StoredReplica(
        snapshot=fourth, last_sync_at=T0 + timedelta(minutes=3)
    )
    assert third.version == fourth.version  # the lost record was the API's to send again


def test_sealed_records_hide_templates_and_cannot_be_reordered(tmp_path: Path) -> None:
    path = tmp_path / "replica.json"
    store = ReplicaStore(path, key=KEY)
    first = make_snapshot()
    store.save(StoredReplica(snapshot=first, last_sync_at=T0))
    template = FaceTemplateRecord(template_id="T9", person_id="P1", encoding_b64=FACE)
    second = synced(store, first, T0 + timedelta(minutes=1), templates=(template,))
    synced(store, second, T0 + timedelta(minutes=2), credentials=(badge("5555"),))
    journal = path.with_name("replica.json.journal")
    data = journal.read_bytes()
    assert FACE.encode()[:40] not in data and b"P1" not in data
    assert ReplicaStore(path).load() is None  # no key: the sealed file does not open
    # The two records swapped: the first no longer opens in first place.
    first_length = int.from_bytes(data[:4], "big") + 4
    journal.write_bytes(data[first_length:] + data[:first_length])
    loaded = ReplicaStore(path, key=KEY).load()
    assert loaded == StoredReplica(snapshot=first, last_sync_at=T0)


def test_a_journal_left_by_a_crash_after_a_whole_write_is_not_replayed(tmp_path: Path) -> None:
    path = tmp_path / "replica.json"
    store = ReplicaStore(path)  # no key: the versions alone must keep it out
    first = make_snapshot()
    store.save(StoredReplica(snapshot=first, last_sync_at=T0))
    synced(store, first, T0 + timedelta(minutes=1), credentials=(badge("5555"),))
    journal = path.with_name("replica.json.journal")
    stale = journal.read_bytes()
    newer = make_snapshot(version=20)
    store.save(StoredReplica(snapshot=newer, last_sync_at=T0 + timedelta(minutes=5)))
    journal.write_bytes(stale)  # the crash came between the rename and the journal's removal
    loaded = ReplicaStore(path).load()
    assert loaded == StoredReplica(snapshot=newer, last_sync_at=T0 + timedelta(minutes=5))


def test_past_its_bounds_the_journal_is_folded_into_a_whole_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replica_store, "MAX_DELTAS", 3)
    path = tmp_path / "replica.json"
    store = ReplicaStore(path, key=KEY)
    current = make_snapshot()
    store.save(StoredReplica(snapshot=current, last_sync_at=T0))
    journal = path.with_name("replica.json.journal")
    sizes = []
    for minute in range(1, 5):
        at = T0 + timedelta(minutes=minute)
        current = synced(store, current, at, credentials=(badge(f"90{minute}"),))
        sizes.append(journal.stat().st_size if journal.exists() else 0)
    assert sizes[0] < sizes[1] < sizes[2] and sizes[3] == 0  # the fourth delta: a whole write
    assert ReplicaStore(path, key=KEY).load() == StoredReplica(
        snapshot=current, last_sync_at=T0 + timedelta(minutes=4)
    )


def test_a_full_snapshot_from_the_api_is_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "replica.json"
    store = ReplicaStore(path, key=KEY)
    first = make_snapshot()
    store.save(StoredReplica(snapshot=first, last_sync_at=T0))
    synced(store, first, T0 + timedelta(minutes=1), credentials=(badge("5555"),))
    fresh = make_snapshot(version=30)
    store.save(StoredReplica(snapshot=fresh, last_sync_at=T0 + timedelta(minutes=2)))
    assert not path.with_name("replica.json.journal").exists()
    assert ReplicaStore(path, key=KEY).load() == StoredReplica(
        snapshot=fresh, last_sync_at=T0 + timedelta(minutes=2)
    )


def test_the_bridge_keys_file_is_written_only_when_the_keys_change(tmp_path: Path) -> None:
    keys = tmp_path / "bridge-keys.json"
    store = ReplicaStore(tmp_path / "replica.json", key=KEY, bridge_keys_path=keys)
    first = make_snapshot()
    store.save(StoredReplica(snapshot=first, last_sync_at=T0))
    written = keys.stat().st_mtime_ns, keys.stat().st_ino
    nothing = delta_after(first).model_copy(update={"version": first.version})
    store.save(StoredReplica(snapshot=first, last_sync_at=T0 + timedelta(minutes=1)), delta=nothing)
    assert (keys.stat().st_mtime_ns, keys.stat().st_ino) == written
    # A new version is in the list the bridge reads: written again.
    synced(store, first, T0 + timedelta(minutes=2), credentials=(badge("5555"),))
    assert (keys.stat().st_mtime_ns, keys.stat().st_ino) != written
    assert f'"replica_version":{first.version + 1}' in keys.read_text()
    keys.unlink()
    store.save(StoredReplica(snapshot=first, last_sync_at=T0))
    assert keys.exists()

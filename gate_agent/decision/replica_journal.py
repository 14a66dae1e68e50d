"""The replica's changes since its last full write, appended to a journal beside the file.

Writing the whole replica after every sync cost a gate of 100,000 identities 111 MB of
disk writes and 1-2 s of CPU each time (`bench/bench_replica_save.py`), every minute even
when nothing changed, because the time of the sync is part of the replica's age. On an
edge box's flash that is more than 100 GB a day. So a sync appends what it applied to
this journal instead: the delta, or only the sync's time when nothing changed. The whole
file is written again when the journal grows past its bounds, and loading replays it.

Each record is a 4-byte big-endian length and a payload: the entry's JSON, or, with the
replica key, a 12-byte nonce and its AES-GCM sealing, bound to the snapshot version it
follows and to its place in the journal (so records cannot be moved between journals or
reordered). A record is appended with one write and an fsync. A record cut short by a
crash, or one that does not open, ends the replay: everything before it stands, and the
next sync writes the whole replica again.
"""

from __future__ import annotations

import logging
import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from gate_protocol.replica import ReplicaDelta, ReplicaError, ReplicaSnapshot, apply_delta
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

__all__ = ["JournalEntry", "JournalReplay", "ReplicaJournal", "is_only_a_sync"]

_log = logging.getLogger(__name__)
_LENGTH = struct.Struct(">I")
_AAD = b"portgate-replica-journal-v1"
# Past either bound the whole replica is written again: replaying a delta costs about a
# pass over the snapshot's records, and the journal's bytes are read at every start.
MAX_DELTAS = 64
MAX_BYTES = 8 * 2**20


class JournalEntry(BaseModel):
    """One sync: the delta it applied (None: nothing changed) and when it succeeded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    synced_at: AwareDatetime
    delta: ReplicaDelta | None = None


def is_only_a_sync(snapshot: ReplicaSnapshot, delta: ReplicaDelta) -> bool:
    """Whether `delta` changes nothing in `snapshot` (a sync that only renews its age)."""
    if delta.version != snapshot.version or delta.watchlist is not None:
        return False
    changes = (
        delta.persons,
        delta.credentials,
        delta.appointments,
        delta.templates,
        delta.pass_keys,
        delta.deleted_person_ids,
        delta.deleted_credential_refs,
        delta.deleted_appointment_ids,
        delta.deleted_template_ids,
        delta.deleted_key_ids,
    )
    same = (
        delta.gate,
        delta.zone,
        delta.threat_level,
        delta.command_key,
        delta.command_public_keys,
    ) == (
        snapshot.gate,
        snapshot.zone,
        snapshot.threat_level,
        snapshot.command_key,
        snapshot.command_public_keys,
    )
    return same and not any(changes)


@dataclass(frozen=True)
class JournalReplay:
    """The snapshot with the journal replayed, the last sync's time, and the journal's state."""

    snapshot: ReplicaSnapshot
    synced_at: AwareDatetime | None
    records: int
    deltas: int
    size: int
    intact: bool  # False: a record was cut short or did not open (rewrite before appending)


class ReplicaJournal:
    """The journal file of one replica file (``<replica>.journal``)."""

    def __init__(self, replica_path: Path, *, key: bytes | None) -> None:
        self.path = replica_path.with_name(replica_path.name + ".journal")
        self._aead = AESGCM(key) if key is not None else None

    def replay(self, snapshot: ReplicaSnapshot, synced_at: AwareDatetime | None) -> JournalReplay:
        """`snapshot` with every whole record of the journal applied in order."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return JournalReplay(snapshot, synced_at, 0, 0, 0, intact=True)
        base_version, offset, records, deltas = snapshot.version, 0, 0, 0
        while offset < len(data):
            entry = self._entry_at(data, offset, base_version, records)
            if entry is None:
                return JournalReplay(snapshot, synced_at, records, deltas, offset, intact=False)
            if entry.delta is not None:
                try:
                    snapshot = apply_delta(snapshot, entry.delta)
                except ReplicaError as exc:
                    _log.warning("replica journal %s: a delta does not apply (%s)", self.path, exc)
                    return JournalReplay(snapshot, synced_at, records, deltas, offset, False)
                deltas += 1
            synced_at = entry.synced_at
            offset += _LENGTH.size + _LENGTH.unpack_from(data, offset)[0]
            records += 1
        return JournalReplay(snapshot, synced_at, records, deltas, offset, intact=True)

    def append(self, entry: JournalEntry, *, base_version: int, record: int) -> int:
        """Append one record (one write, then fsync); return the bytes written."""
        plain = entry.model_dump_json().encode()
        if self._aead is not None:
            nonce = secrets.token_bytes(12)
            plain = nonce + self._aead.encrypt(nonce, plain, _aad(base_version, record))
        framed = _LENGTH.pack(len(plain)) + plain
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, framed)
            os.fsync(fd)
        finally:
            os.close(fd)
        return len(framed)

    def remove(self) -> None:
        """Drop the journal (after the whole replica was written)."""
        self.path.unlink(missing_ok=True)

    def _entry_at(
        self, data: bytes, offset: int, base_version: int, record: int
    ) -> JournalEntry | None:
        why = "a record's length is cut short"
        if offset + _LENGTH.size <= len(data):
            (length,) = _LENGTH.unpack_from(data, offset)
            payload = data[offset + _LENGTH.size : offset + _LENGTH.size + length]
            why = "a record is cut short" if len(payload) < length else ""
        if not why and self._aead is not None:
            try:
                payload = self._aead.decrypt(payload[:12], payload[12:], _aad(base_version, record))
            except InvalidTag:
                why = "a record does not open with the key"
        if not why:
            try:
                return JournalEntry.model_validate_json(payload)
            except ValidationError:
                why = "a record does not validate"
        _log.warning("replica journal %s: %s; replayed up to it", self.path, why)
        return None


def _aad(base_version: int, record: int) -> bytes:
    return _AAD + f":{base_version}:{record}".encode()

"""The gate's replica on disk, and the sync that keeps it current.

The file is written atomically (a temporary file in the same folder, fsync, rename, fsync
of the folder): after a crash the agent finds either the old replica or the new one, never
half of one. Between such writes each sync's delta is appended to a journal beside it
(`replica_journal`): a whole write costs 111 MB at 100,000 identities. Next to the snapshot
the file (and each journal record) keeps the time of the last successful sync, so the
replica's age survives a restart.

The replica holds the face templates of everybody allowed at this gate. With a key
(`replica_key_env`, base64 of 32 random bytes) the file is sealed with AES-GCM, so the
templates exist in clear only in the agent's memory: a stolen gate computer yields no
biometric data without the key. A file that does not open with the key is treated like a
missing one (the agent fetches a fresh replica), never as an error that stops the gate.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from gate_protocol.command_signing import CommandKeyList
from gate_protocol.replica import (
    ReplicaDelta,
    ReplicaError,
    ReplicaIndex,
    ReplicaSnapshot,
    apply_delta,
)
from gate_protocol.secret_strength import WeakSecretError, check_key_bytes, dev_mode_from_env
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from gate_agent.config import AgentConfig, ConfigError, read_secret
from gate_agent.decision.decider import ReplicaView
from gate_agent.decision.replica_journal import (
    MAX_BYTES,
    MAX_DELTAS,
    JournalEntry,
    ReplicaJournal,
    is_only_a_sync,
)
from gate_agent.links.api_client import ApiClient
from gate_agent.outbox.store import Outbox

__all__ = [
    "ReplicaStore",
    "agent_replica_store",
    "StoredReplica",
    "SyncResult",
    "decode_replica_key",
    "replica_key_from_env",
    "sync_replica",
    "view_at_start",
]

_log = logging.getLogger(__name__)
_SEALED = b"PGR1"  # marks a sealed file; the AES-GCM nonce follows
_AAD = b"portgate-replica-v1"


def decode_replica_key(text: str) -> bytes:
    """The 32-byte replica key from its base64 text.

    Raises:
        ValueError: not base64, or not 32 bytes.
    """
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("replica key is not valid base64") from None
    if len(key) != 32:
        raise ValueError("replica key must decode to exactly 32 bytes")
    return key


class StoredReplica(BaseModel):
    """What the replica file holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    snapshot: ReplicaSnapshot
    last_sync_at: AwareDatetime | None = None


@dataclass(frozen=True, slots=True)
class _JournalState:
    """What the file and its journal hold now: the records appended since the full write."""

    snapshot: ReplicaSnapshot  # the replica they amount to
    base_version: int  # the version of the whole replica written last
    records: int
    deltas: int
    size: int


class ReplicaStore:
    """Reads and writes the replica file, sealed with AES-GCM when given a key.

    A sync's delta is appended to the file's journal (`replica_journal`); the whole file
    is written atomically at the first save, after a full snapshot, when the journal is
    past its bounds or was found damaged.
    """

    def __init__(
        self, path: Path, *, key: bytes | None = None, bridge_keys_path: Path | None = None
    ) -> None:
        self.path = path
        self._aead = AESGCM(key) if key is not None else None
        self._journal = ReplicaJournal(path, key=key)
        self._state: _JournalState | None = None  # None: write the whole file next
        # The bridge learns the gate's command keys from this file (no restart, no broker).
        self._bridge_keys_path = bridge_keys_path

    def load(self) -> StoredReplica | None:
        """The stored replica with its journal replayed, or None when there is none.

        None too when the file does not open or validate.
        """
        stored = self._load_file()
        if stored is None:
            return None
        replay = self._journal.replay(stored.snapshot, stored.last_sync_at)
        if replay.intact:
            self._state = _JournalState(
                replay.snapshot, stored.snapshot.version, replay.records, replay.deltas, replay.size
            )
        return StoredReplica(snapshot=replay.snapshot, last_sync_at=replay.synced_at)

    def _load_file(self) -> StoredReplica | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if raw.startswith(_SEALED):
            if self._aead is None:
                _log.error("replica file %s is sealed and no key is configured", self.path)
                return None
            nonce, sealed = raw[len(_SEALED) : len(_SEALED) + 12], raw[len(_SEALED) + 12 :]
            try:
                raw = self._aead.decrypt(nonce, sealed, _AAD)
            except InvalidTag:
                _log.error("replica file %s does not open with the configured key", self.path)
                return None
        try:
            return StoredReplica.model_validate_json(raw)
        except ValidationError:
            _log.error("replica file %s does not validate; starting without it", self.path)
            return None

    def _encode(self, stored: StoredReplica) -> bytes:
        plain = stored.model_dump_json().encode()
        if self._aead is None:
            return plain
        nonce = secrets.token_bytes(12)
        return _SEALED + nonce + self._aead.encrypt(nonce, plain, _AAD)

    def save(self, stored: StoredReplica, *, delta: ReplicaDelta | None = None) -> None:
        """Keep `stored` on disk, then the command keys the gate's bridge accepts.

        Args:
            stored: The replica after the sync.
            delta: The delta the sync applied to the replica saved or loaded last, if it
                was one: then it is appended to the journal where that can be done.
        """
        if not self._append(stored, delta):
            _write_atomically(self.path, self._encode(stored), mode=0o600)
            self._journal.remove()  # after the rename: a crash leaves the old pair or the new
            self._state = _JournalState(stored.snapshot, stored.snapshot.version, 0, 0, 0)
        if self._bridge_keys_path is not None:
            keys = CommandKeyList.of_replica(stored.snapshot).model_dump_json().encode()
            if not _holds(self._bridge_keys_path, keys):  # written only when it changes
                _write_atomically(self._bridge_keys_path, keys, mode=0o644)

    def _append(self, stored: StoredReplica, delta: ReplicaDelta | None) -> bool:
        state = self._state
        if delta is None or state is None or stored.last_sync_at is None:
            return False
        if delta.from_version != state.snapshot.version or state.size >= MAX_BYTES:
            return False
        only_a_sync = is_only_a_sync(state.snapshot, delta)
        if not only_a_sync and state.deltas >= MAX_DELTAS:
            return False
        entry = JournalEntry(synced_at=stored.last_sync_at, delta=None if only_a_sync else delta)
        written = self._journal.append(entry, base_version=state.base_version, record=state.records)
        self._state = _JournalState(
            stored.snapshot,
            state.base_version,
            state.records + 1,
            state.deltas + (0 if only_a_sync else 1),
            state.size + written,
        )
        return True


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass(frozen=True, slots=True)
class SyncResult:
    """The replica after a sync, whether the API had to send it whole, and else its delta."""

    stored: StoredReplica
    full: bool
    delta: ReplicaDelta | None = None


def sync_replica(
    *, client: ApiClient, current: ReplicaSnapshot | None, now: datetime
) -> SyncResult:
    """Fetch the changes since `current` (or everything) and apply them.

    A delta that does not apply (a gap, another gate) is answered by fetching the whole
    snapshot, so the agent never skips a change.

    Raises:
        ApiError: the API is away or refuses (the caller keeps its replica and retries).
        ReplicaError: the API sent a delta even when asked for everything.
    """
    payload = client.fetch_replica(current.version if current is not None else None)
    if isinstance(payload, ReplicaSnapshot):
        return SyncResult(StoredReplica(snapshot=payload, last_sync_at=now), full=True)
    if current is not None:
        try:
            merged = apply_delta(current, payload)
            stored = StoredReplica(snapshot=merged, last_sync_at=now)
            return SyncResult(stored, full=False, delta=payload)
        except ReplicaError as exc:
            _log.warning("replica delta does not apply (%s); fetching the full snapshot", exc)
    payload = client.fetch_replica(None)
    if not isinstance(payload, ReplicaSnapshot):
        raise ReplicaError("API answered a delta to a request for the full replica")
    return SyncResult(StoredReplica(snapshot=payload, last_sync_at=now), full=True)


def replica_key_from_env(env_name: str | None) -> bytes | None:
    """The key that seals the replica file, or None (then the file holds templates in clear).

    Raises:
        ConfigError: the variable holds no valid key, or a weak one (not in dev mode).
    """
    text = read_secret(env_name, what="replica key")
    if text is None:
        _log.warning("replica_key_env is not set: face templates are stored unencrypted on disk")
        return None
    try:
        key = decode_replica_key(text)
        if not dev_mode_from_env():
            check_key_bytes(f"{env_name} (replica key)", key)
    except WeakSecretError as exc:
        raise ConfigError(str(exc)) from None
    except ValueError as exc:
        raise ConfigError(f"{env_name}: {exc}") from None
    return key


def agent_replica_store(config: AgentConfig) -> ReplicaStore:
    """The agent's replica store as its config describes it (key, bridge key file).

    Raises:
        ConfigError: The replica key is missing, malformed or weak.
    """
    return ReplicaStore(
        config.replica_path,
        key=replica_key_from_env(config.replica_key_env),
        bridge_keys_path=config.bridge_command_keys_path,
    )


def view_at_start(store: ReplicaStore, outbox: Outbox, *, site: str, gate: str) -> ReplicaView:
    """The replica view at start: the stored replica if it is this gate's.

    With the outbox's memory of used one-time passes and last passages.
    """
    stored = store.load()
    ours = stored is not None and (stored.snapshot.site_id, stored.snapshot.gate_id) == (site, gate)
    return ReplicaView(
        ReplicaIndex(stored.snapshot) if stored is not None and ours else None,
        stored.last_sync_at if stored is not None and ours else None,
        outbox.used_appointments(),
        outbox.last_passages(),
    )

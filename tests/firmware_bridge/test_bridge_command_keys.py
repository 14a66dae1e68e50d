"""The bridge's command keys: the config's, plus the agent's key file, re-read when it changes."""

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_bridge.command_keys import CommandKeySource
from gate_protocol.command_signing import CommandKeyList
from gate_protocol.passes.keys import PassKeyring, encode_public_key
from gate_protocol.replica import PassKeyRecord


def _record(key_id: str) -> PassKeyRecord:
    public = encode_public_key(Ed25519PrivateKey.generate().public_key())
    return PassKeyRecord(key_id=key_id, public_key_b64=public)


def _write(path: Path, *keys: str, gate: str = "g1", version: int = 1) -> None:
    listed = CommandKeyList(
        site_id="s1", gate_id=gate, replica_version=version, keys=tuple(map(_record, keys))
    )
    path.write_text(listed.model_dump_json())


def test_the_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    static = PassKeyring.from_entries({"CFG": _record("CFG").public_key_b64})
    source = CommandKeySource(site="s1", gate="g1", static=static, path=path)
    assert set(source.keyring()) == {"CFG"}, "no file yet: the config's keys"
    _write(path, "K1")
    assert set(source.keyring()) == {"CFG", "K1"}
    _write(path, "K1", "K2", version=2)
    assert set(source.keyring()) == {"CFG", "K1", "K2"}
    _write(path, "K2", version=3)
    assert set(source.keyring()) == {"CFG", "K2"}, "a retired key leaves"


def test_another_gates_file_or_a_broken_one_adds_no_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    source = CommandKeySource(site="s1", gate="g1", static=PassKeyring({}), path=path)
    _write(path, "K1")
    assert set(source.keyring()) == {"K1"}
    _write(path, "K9", gate="g2")
    assert set(source.keyring()) == set(), "another gate's keys are not this gate's"
    path.write_text('{"site_id": "s1", "gate_id": "g1", "replica_version": 1, "keys": [{')
    assert set(source.keyring()) == set()
    path.unlink()
    assert set(source.keyring()) == set()

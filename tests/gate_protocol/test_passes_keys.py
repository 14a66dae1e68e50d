"""Pass keys: generation, PEM and base64 forms, the keyring."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from gate_protocol.passes import keys as pass_keys
from gate_protocol.passes.keys import (
    KEY_ID_PATTERN,
    PassKeyring,
    check_key_id,
    encode_private_key,
    encode_public_key,
    generate_pass_key,
    load_private_key,
    load_public_key,
    private_key_to_pem,
    public_key_to_pem,
)
from gate_protocol.passes.token import PassClaims, PassSigner, PassVerified, verify_pass

T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def issue_and_verify(signer: PassSigner, keyring: PassKeyring) -> bool:
    claims = PassClaims(
        pass_id="P1",
        holder_id="H1",
        gates=("G1",),
        issued_at=T0,
        not_before=T0,
        expires_at=T0 + timedelta(hours=1),
    )
    result = verify_pass(signer.issue(claims), keyring=keyring, gate_id="G1", now=T0)
    return isinstance(result, PassVerified)


def test_generated_keys_are_distinct_with_valid_ids() -> None:
    pairs = [generate_pass_key() for _ in range(20)]
    assert len({raw_public(key) for _, key in pairs}) == 20
    for key_id, _ in pairs:
        assert re.fullmatch(KEY_ID_PATTERN, key_id)
        assert check_key_id(key_id) == key_id


def test_generated_key_ids_avoid_existing_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    picks = iter("AAAAAABBB")
    monkeypatch.setattr("gate_protocol.passes.keys.secrets.choice", lambda alphabet: next(picks))
    key_id, _ = generate_pass_key(existing={"AAA"})
    assert key_id == "BBB"


def test_key_generation_uses_secrets_not_random() -> None:
    source = Path(pass_keys.__file__).read_text(encoding="utf-8")
    assert "import random" not in source
    assert "secrets.choice" in source


@pytest.mark.parametrize("bad", ["", "abc", "TOO-LONG1", "ABCDEFGHI", "K 1", "Ä1", 7])
def test_invalid_key_ids_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="key id"):
        check_key_id(bad)  # type: ignore[arg-type]


def test_base64_forms_round_trip_and_sign_compatible_passes() -> None:
    key_id, key = generate_pass_key()
    loaded = load_private_key(encode_private_key(key))
    keyring = PassKeyring.from_entries({key_id: encode_public_key(key.public_key())})
    assert raw_public(loaded) == raw_public(key)
    assert issue_and_verify(PassSigner(loaded, key_id), keyring)


def test_pem_forms_round_trip_with_and_without_password() -> None:
    key_id, key = generate_pass_key()
    plain = private_key_to_pem(key)
    locked = private_key_to_pem(key, password=b"correct horse")
    assert b"ENCRYPTED" in locked and b"ENCRYPTED" not in plain
    assert raw_public(load_private_key(plain)) == raw_public(key)
    assert raw_public(load_private_key(locked, password=b"correct horse")) == raw_public(key)
    keyring = PassKeyring.from_entries({key_id: public_key_to_pem(key.public_key()).decode()})
    assert issue_and_verify(PassSigner(load_private_key(plain.decode()), key_id), keyring)


def test_wrong_or_missing_pem_password_is_a_value_error() -> None:
    _, key = generate_pass_key()
    locked = private_key_to_pem(key, password=b"correct horse")
    with pytest.raises(ValueError, match="private key PEM"):
        load_private_key(locked, password=b"wrong")
    with pytest.raises(ValueError, match="private key PEM"):
        load_private_key(locked)


def test_other_key_types_are_refused() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ed448_key = ed448.Ed448PrivateKey.generate()
    for other in (ec_key, ed448_key):
        private_pem = other.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        public_pem = other.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
        with pytest.raises(ValueError, match="expected an Ed25519"):
            load_private_key(private_pem)
        with pytest.raises(ValueError, match="expected an Ed25519"):
            load_public_key(public_pem)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("not base64!", "neither PEM nor valid base64"),
        (base64.b64encode(b"\x01" * 31).decode(), "32 bytes"),
        (base64.b64encode(b"\x01" * 33).decode(), "32 bytes"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "PEM"),
    ],
)
def test_bad_public_key_text_is_a_value_error(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        load_public_key(text)


def test_keyring_entry_errors_name_the_key_id() -> None:
    with pytest.raises(ValueError, match="'K1'"):
        PassKeyring.from_entries({"K1": "garbage"})
    _, key = generate_pass_key()
    with pytest.raises(ValueError, match="key id"):
        PassKeyring.from_entries({"bad id": encode_public_key(key.public_key())})
    with pytest.raises(TypeError, match="Ed25519 public key"):
        PassKeyring({"K1": key})  # type: ignore[dict-item]


def test_keyring_is_a_read_only_mapping_without_key_material_in_repr() -> None:
    key_id, key = generate_pass_key()
    public = encode_public_key(key.public_key())
    keyring = PassKeyring.from_entries({key_id: public})
    assert list(keyring) == [key_id] and len(keyring) == 1 and key_id in keyring
    assert keyring.get("NOPE") is None
    assert public not in repr(keyring) and key_id in repr(keyring)
    with pytest.raises(TypeError):
        keyring[key_id] = key.public_key()  # type: ignore[index]


def test_signer_refuses_bad_keys_and_ids() -> None:
    _, key = generate_pass_key()
    with pytest.raises(ValueError, match="key id"):
        PassSigner(key, "lower")
    with pytest.raises(TypeError, match="Ed25519PrivateKey"):
        PassSigner(key.public_key(), "K1")  # type: ignore[arg-type]
    assert encode_private_key(key) not in repr(PassSigner(key, "K1"))

"""Ed25519 keys for signed pass tokens: generation, text forms and the verifier's keyring.

The central API holds the private keys (one per key id) and signs passes with
`gate_protocol.passes.token.PassSigner`; gate agents hold only a `PassKeyring` of public keys
and verify offline. Key ids are 1 to 8 characters of ``0-9 A-Z`` and travel inside every
token, so rotating keys is: add the new public key to every keyring, sign with the new
key, drop the old public key once its last pass has expired.

Text forms: PEM (PKCS#8 / SubjectPublicKeyInfo; private PEM optionally encrypted with a
password) or standard base64 of the raw 32-byte key. Loading accepts both and refuses
anything that is not an Ed25519 key with a `ValueError`. Private keys never appear in
``repr`` or logs.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Collection, Iterator, Mapping

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "KEY_ID_PATTERN",
    "PassKeyring",
    "check_key_id",
    "encode_private_key",
    "encode_public_key",
    "generate_pass_key",
    "load_private_key",
    "load_public_key",
    "private_key_to_pem",
    "public_key_to_pem",
]

KEY_ID_PATTERN = r"[0-9A-Z]{1,8}"
_KEY_ID_RE = re.compile(KEY_ID_PATTERN)
# Crockford's base32 digits: no I, L, O, U, so a key id read aloud or typed is unambiguous.
_GENERATED_KEY_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_GENERATED_KEY_ID_LENGTH = 3
_RAW_KEY_BYTES = 32
_PEM_MARK = b"-----BEGIN "


def check_key_id(key_id: str) -> str:
    """Return ``key_id`` when it is a valid key id, else raise.

    Args:
        key_id: 1 to 8 characters of ``0-9 A-Z``.

    Returns:
        The same key id.

    Raises:
        ValueError: The key id is empty, too long or has other characters.
    """
    if not isinstance(key_id, str) or _KEY_ID_RE.fullmatch(key_id) is None:
        raise ValueError(f"key id must be 1 to 8 characters of 0-9 A-Z, got {key_id!r}")
    return key_id


def generate_pass_key(*, existing: Collection[str] = ()) -> tuple[str, Ed25519PrivateKey]:
    """Create a new signing key and a fresh random key id.

    The key comes from the operating system's CSPRNG (through cryptography) and the key id
    from `secrets`.

    Args:
        existing: Key ids already in use; the new id differs from all of them.

    Returns:
        ``(key_id, private_key)``; the key id is 3 Crockford base32 characters (32768 ids).
    """
    taken = set(existing)
    while True:
        key_id = "".join(
            secrets.choice(_GENERATED_KEY_ID_ALPHABET) for _ in range(_GENERATED_KEY_ID_LENGTH)
        )
        if key_id not in taken:
            return key_id, Ed25519PrivateKey.generate()


def encode_private_key(key: Ed25519PrivateKey) -> str:
    """Return the raw 32-byte private key as standard base64 (for env vars and secrets)."""
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode("ascii")


def encode_public_key(key: Ed25519PublicKey) -> str:
    """Return the raw 32-byte public key as standard base64 (for keyring entries)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def private_key_to_pem(key: Ed25519PrivateKey, *, password: bytes | None = None) -> bytes:
    """Return the private key as PKCS#8 PEM, encrypted when a password is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def public_key_to_pem(key: Ed25519PublicKey) -> bytes:
    """Return the public key as SubjectPublicKeyInfo PEM."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private_key(data: str | bytes, *, password: bytes | None = None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM or from base64 of the raw 32 bytes.

    Args:
        data: The PEM text or the base64 text.
        password: The PEM password, when the PEM is encrypted.

    Returns:
        The private key.

    Raises:
        ValueError: The data is not an Ed25519 private key in either form, or the
            password is wrong or missing.
    """
    blob = _as_bytes(data)
    if blob.startswith(_PEM_MARK):
        try:
            key = serialization.load_pem_private_key(blob, password=password)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a readable private key PEM: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"expected an Ed25519 private key, got {type(key).__name__}")
        return key
    return Ed25519PrivateKey.from_private_bytes(_raw_key_from_base64(blob, "private"))


def load_public_key(data: str | bytes) -> Ed25519PublicKey:
    """Load an Ed25519 public key from PEM or from base64 of the raw 32 bytes.

    Args:
        data: The PEM text or the base64 text.

    Returns:
        The public key.

    Raises:
        ValueError: The data is not an Ed25519 public key in either form.
    """
    blob = _as_bytes(data)
    if blob.startswith(_PEM_MARK):
        try:
            key = serialization.load_pem_public_key(blob)
        except ValueError as exc:
            raise ValueError(f"not a readable public key PEM: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"expected an Ed25519 public key, got {type(key).__name__}")
        return key
    return Ed25519PublicKey.from_public_bytes(_raw_key_from_base64(blob, "public"))


class PassKeyring(Mapping[str, Ed25519PublicKey]):
    """The public keys a verifier trusts, by key id; immutable.

    Args:
        keys: Public keys by key id.

    Raises:
        ValueError: A key id is invalid.
        TypeError: A value is not an Ed25519 public key.
    """

    def __init__(self, keys: Mapping[str, Ed25519PublicKey]) -> None:
        checked: dict[str, Ed25519PublicKey] = {}
        for key_id, key in keys.items():
            if not isinstance(key, Ed25519PublicKey):
                raise TypeError(f"key {key_id!r} is not an Ed25519 public key")
            checked[check_key_id(key_id)] = key
        self._keys = checked

    @classmethod
    def from_entries(cls, entries: Mapping[str, str | bytes]) -> PassKeyring:
        """Build a keyring from text entries (PEM or base64 raw public keys) by key id.

        Args:
            entries: Key id to PEM or base64 text, as read from config or the API.

        Returns:
            The keyring.

        Raises:
            ValueError: A key id or a key is invalid; the message names the key id.
        """
        keys: dict[str, Ed25519PublicKey] = {}
        for key_id, text in entries.items():
            try:
                keys[key_id] = load_public_key(text)
            except ValueError as exc:
                raise ValueError(f"keyring entry {key_id!r}: {exc}") from None
        return cls(keys)

    def __getitem__(self, key_id: str) -> Ed25519PublicKey:
        return self._keys[key_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"PassKeyring(key_ids={sorted(self._keys)!r})"


def _as_bytes(data: str | bytes) -> bytes:
    if isinstance(data, str):
        return data.strip().encode("utf-8")
    if isinstance(data, bytes):
        return data.strip()
    raise TypeError(f"key data must be str or bytes, got {type(data).__name__}")


def _raw_key_from_base64(blob: bytes, kind: str) -> bytes:
    try:
        raw = base64.b64decode(blob, validate=True)
    except binascii.Error:
        raise ValueError(f"{kind} key is neither PEM nor valid base64") from None
    if len(raw) != _RAW_KEY_BYTES:
        raise ValueError(f"raw Ed25519 {kind} key must be 32 bytes, got {len(raw)}")
    return raw

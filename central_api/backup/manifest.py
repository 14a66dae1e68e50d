"""The backup's manifest, its seal, and the template key's check value.

The check value and the seal's MAC key are derived from the template key with HKDF under
labels of their own, so a backup proves which key it needs without holding it, and a
manifest edited by someone without the key no longer carries a valid seal.
"""

import base64
import binascii
import hashlib
import hmac
import os
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "FORMAT_VERSION",
    "BackupError",
    "BackupManifest",
    "DatabaseKind",
    "Seal",
    "check_key",
    "key_check_value",
    "parse_manifest",
    "seal_manifest",
    "template_key_from_environment",
]

FORMAT_VERSION = 1
TEMPLATE_KEY_ENV = "PORTGATE_TEMPLATE_KEY"
DatabaseKind = Literal["sqlite", "postgresql"]


class BackupError(Exception):
    """A backup or restore refused or failed; the message is the operator's one line."""


class BackupManifest(BaseModel):
    """What a backup holds and what its restore must find again."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["portgate-backup"] = "portgate-backup"
    format_version: int = FORMAT_VERSION
    portgate_version: str
    database_kind: DatabaseKind
    alembic_revision: str
    created_at: AwareDatetime
    audit_head_seq: int = Field(ge=0)
    audit_head_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    row_counts: dict[str, int]
    key_check: str = Field(pattern=r"^[0-9a-f]{64}$")
    payload_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    payload_bytes: int = Field(ge=0)


class Seal(BaseModel):
    """The manifest's SHA-256 (damage) and HMAC under the template key (tampering)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    manifest_sha256: str
    manifest_hmac: str


def _derive(key: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(key)


def key_check_value(key: bytes) -> str:
    """The template key's check value (hex): shows which key a backup needs, never the key."""
    return _derive(key, b"portgate-backup-key-check-v1").hex()


def seal_manifest(key: bytes, manifest_bytes: bytes) -> Seal:
    """The seal of the manifest's exact bytes under `key`."""
    mac = hmac.new(_derive(key, b"portgate-backup-seal-v1"), manifest_bytes, hashlib.sha256)
    return Seal(
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(), manifest_hmac=mac.hexdigest()
    )


def parse_manifest(manifest_bytes: bytes, seal: Seal) -> BackupManifest:
    """The manifest, once its bytes match the seal's SHA-256 (the key is checked later).

    Raises:
        BackupError: The manifest was damaged or is not one this version reads.
    """
    if hashlib.sha256(manifest_bytes).hexdigest() != seal.manifest_sha256:
        raise BackupError("the backup's manifest is damaged (its SHA-256 does not match)")
    try:
        manifest = BackupManifest.model_validate_json(manifest_bytes)
    except ValidationError as exc:
        raise BackupError(f"the backup's manifest is not valid: {exc.errors()[0]['msg']}") from None
    if manifest.format_version != FORMAT_VERSION:
        raise BackupError(
            f"backup format {manifest.format_version} is not one this PortGate reads "
            f"({FORMAT_VERSION})"
        )
    return manifest


def check_key(*, manifest: BackupManifest, manifest_bytes: bytes, seal: Seal, key: bytes) -> None:
    """Refuse a key other than the backup's, then a manifest without that key's seal.

    Raises:
        BackupError: The wrong template key, or a manifest altered by someone without it.
    """
    if not hmac.compare_digest(key_check_value(key), manifest.key_check):
        raise BackupError(
            f"{TEMPLATE_KEY_ENV} is not the key this backup was made with: its face "
            "templates would not decrypt; nothing was restored (set the escrowed key)"
        )
    expected = seal_manifest(key, manifest_bytes).manifest_hmac
    if not hmac.compare_digest(expected, seal.manifest_hmac):
        raise BackupError("the backup's manifest was altered (its seal does not match)")


def template_key_from_environment() -> bytes:
    """PORTGATE_TEMPLATE_KEY decoded (base64 of 32 bytes).

    Raises:
        BackupError: Unset or malformed.
    """
    text = os.environ.get(TEMPLATE_KEY_ENV, "")
    if not text:
        raise BackupError(f"{TEMPLATE_KEY_ENV} is not set: a backup is bound to the template key")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BackupError(f"{TEMPLATE_KEY_ENV} is not valid base64") from None
    if len(raw) != 32:
        raise BackupError(f"{TEMPLATE_KEY_ENV} must decode to exactly 32 bytes")
    return raw

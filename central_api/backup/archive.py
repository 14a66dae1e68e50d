"""The backup file: a tar of ``manifest.json``, ``seal.json`` and ``payload``, in that order.

Written to a temporary file beside the target, flushed to disk and then linked into place,
so the target is a complete backup or absent, and an existing file is never overwritten.
Read member by member (never extracted by name from the archive: no path in it is used),
the small manifest and seal first so a wrong key is refused before the payload is read.
"""

import hashlib
import io
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from central_api.backup.manifest import BackupError, BackupManifest, Seal, parse_manifest

__all__ = ["OpenedBackup", "open_backup", "payload_digest", "write_backup", "extract_payload"]

_MEMBERS = ("manifest.json", "seal.json", "payload")
_SMALL_LIMIT = 1 << 20
_CHUNK = 1 << 20


def payload_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a payload file."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_backup(*, output: Path, manifest_bytes: bytes, seal: Seal, payload: Path) -> None:
    """Write the backup file at `output` atomically (0600); refuse an existing `output`.

    Raises:
        BackupError: `output` exists or cannot be written.
    """
    if output.exists():
        raise BackupError(f"{output} exists: a backup never overwrites a file (pick a new name)")
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(handle, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            _add_bytes(tar, "manifest.json", manifest_bytes)
            _add_bytes(tar, "seal.json", seal.model_dump_json().encode())
            tar.add(str(payload), arcname="payload", recursive=False)
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.link(temporary, output)  # fails, rather than overwrites, if output appeared
    except FileExistsError:
        raise BackupError(f"{output} exists: a backup never overwrites a file") from None
    except OSError as exc:
        raise BackupError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    tar.addfile(info, io.BytesIO(data))


@dataclass(frozen=True)
class OpenedBackup:
    """A backup file whose manifest matched its seal's digest (key not yet checked)."""

    path: Path
    manifest: BackupManifest
    manifest_bytes: bytes
    seal: Seal


def open_backup(path: Path) -> OpenedBackup:
    """Read and check the manifest and seal of the backup at `path`.

    Raises:
        BackupError: Missing, not a backup, truncated or damaged.
    """
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    try:
        with tarfile.open(path, mode="r:") as tar:
            members = tar.getmembers()
            _check_layout(path, members)
            manifest_bytes = _read_small(tar, members[0])
            seal = Seal.model_validate_json(_read_small(tar, members[1]))
    except (tarfile.TarError, EOFError, OSError, ValidationError) as exc:
        raise BackupError(f"{path} is not a complete PortGate backup: {_why(exc)}") from None
    return OpenedBackup(path, parse_manifest(manifest_bytes, seal), manifest_bytes, seal)


def extract_payload(opened: OpenedBackup, target: Path) -> None:
    """Copy the payload to `target`, checking its size and SHA-256 against the manifest.

    Raises:
        BackupError: Truncated or altered (`target` is then removed).
    """
    digest, size = hashlib.sha256(), 0
    try:
        with tarfile.open(opened.path, mode="r:") as tar:
            member = tar.getmembers()[2]
            source = tar.extractfile(member)
            if source is None:
                raise tarfile.ReadError("the payload is not a file")
            with source, target.open("wb") as sink:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    sink.write(chunk)
    except (tarfile.TarError, EOFError, OSError) as exc:
        target.unlink(missing_ok=True)
        raise BackupError(f"{opened.path} is truncated or damaged: {_why(exc)}") from None
    manifest = opened.manifest
    if size != manifest.payload_bytes or digest.hexdigest() != manifest.payload_sha256:
        target.unlink(missing_ok=True)
        raise BackupError(
            f"{opened.path} is truncated or altered: its payload does not match the "
            "manifest's SHA-256; nothing was restored"
        )


def _check_layout(path: Path, members: list[tarfile.TarInfo]) -> None:
    names = tuple(member.name for member in members)
    if names != _MEMBERS or not all(member.isreg() for member in members):
        raise tarfile.ReadError(f"holds {list(names)}, not {list(_MEMBERS)}")
    if members[0].size > _SMALL_LIMIT or members[1].size > _SMALL_LIMIT:
        raise tarfile.ReadError("its manifest is implausibly large")


def _read_small(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    source = tar.extractfile(member)
    if source is None:
        raise tarfile.ReadError(f"{member.name} is not a file")
    data = source.read()
    if len(data) != member.size:
        raise tarfile.ReadError("unexpected end of data")
    return data


def _why(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "its seal is not valid"
    return str(exc) or type(exc).__name__

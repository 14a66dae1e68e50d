"""Per-reader OSDP secure channel base keys (SCBK), and the policy on weak ones.

Keys come from a key file (lines ``reader_id=<32 hex digits>``, comments with ``#``) and
from the environment (``<prefix><READER_ID>``, upper case, ``-`` as ``_``), the environment
winning. A reader without a key would talk plaintext, and one with the published default
install key SCBK-D is as good as plaintext: both are refused unless the config explicitly
allows them.
"""

import os
from collections.abc import Mapping
from pathlib import Path

from firmware_bridge.config import OsdpConfig

__all__ = ["SCBK_D", "OsdpKeyError", "env_name", "load_reader_keys"]

SCBK_D = bytes(range(0x30, 0x40))  # OSDP's published default install key


class OsdpKeyError(ValueError):
    """Keys that are missing, malformed or refused by policy."""


def env_name(prefix: str, reader_id: str) -> str:
    """The environment variable that holds `reader_id`'s key."""
    return prefix + reader_id.upper().replace("-", "_").replace(".", "_")


def _parse_key(text: str, *, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise OsdpKeyError(f"{where}: key is not hexadecimal") from None
    if len(key) != 16:
        raise OsdpKeyError(f"{where}: key must be 16 bytes (32 hex digits)")
    return key


def _read_key_file(path: Path) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OsdpKeyError(f"cannot read key file {path}: {exc.strerror}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise OsdpKeyError(f"{path}:{number}: expected reader_id=key")
        keys[name.strip()] = _parse_key(value, where=f"{path}:{number}")
    return keys


def load_reader_keys(
    config: OsdpConfig, *, environ: Mapping[str, str] | None = None
) -> dict[str, bytes | None]:
    """Return each configured reader's key (None: plaintext, only when allowed).

    Raises:
        OsdpKeyError: A key is missing or weak and the config does not allow it, or malformed.
    """
    env = os.environ if environ is None else environ
    from_file = _read_key_file(config.key_file) if config.key_file is not None else {}
    keys: dict[str, bytes | None] = {}
    for reader in config.readers:
        variable = env_name(config.key_env_prefix, reader.reader_id)
        key: bytes | None
        if variable in env:
            key = _parse_key(env[variable], where=variable)
        else:
            key = from_file.get(reader.reader_id)
        if key is None and not config.allow_plaintext:
            raise OsdpKeyError(
                f"reader {reader.reader_id}: no secure channel key ({variable} or key_file) "
                "and allow_plaintext is false"
            )
        if key == SCBK_D and not config.allow_install_key:
            raise OsdpKeyError(
                f"reader {reader.reader_id}: the default install key SCBK-D is refused "
                "(set allow_install_key only while commissioning)"
            )
        keys[reader.reader_id] = key
    return keys

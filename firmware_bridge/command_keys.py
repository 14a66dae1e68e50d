"""The public command keys the bridge checks OpenCommands against, learnt without a restart.

Two sources, merged: the config's ``command_keys`` (fixed until the next start) and the
file the gate's agent writes from its replica at every sync (``command_keys_file``, a
`gate_protocol.command_signing.CommandKeyList`: the gate's current key and those not yet
retired). The file is read at every command (a few hundred bytes, a few commands a minute)
and parsed again when its bytes changed, so a rotation reaches the bridge with the agent's
next sync and a retired key is refused from then on.

Only a file on this host, which the agent alone can write, is trusted: the agent already
holds the gate's private key, so whoever can write the file could sign anyway, and a holder
of broker credentials can do neither. A file that is missing, another gate's, or does not
validate adds no key (the config's keys still count) and is logged once per change.
"""

import logging
from pathlib import Path

from gate_protocol.command_signing import CommandKeyList, CommandKeyring
from gate_protocol.passes.keys import PassKeyring
from pydantic import ValidationError

__all__ = ["CommandKeySource"]

logger = logging.getLogger(__name__)

_MAX_FILE_BYTES = 64 * 1024


class CommandKeySource:
    """The keyring of the moment: the config's keys and the agent's file, re-read on change.

    Args:
        site: The bridge's site id (the file must be this gate's).
        gate: The bridge's gate id.
        static: The config's keys.
        path: The agent's key file, or None.
    """

    def __init__(self, *, site: str, gate: str, static: CommandKeyring, path: Path | None) -> None:
        self._site = site
        self._gate = gate
        self._static = static
        self._path = path
        self._seen: bytes | None = b"unread"
        self._keyring: CommandKeyring = static

    def keyring(self) -> CommandKeyring:
        """The keys to check a command against now (the file parsed again if it changed)."""
        if self._path is None:
            return self._static
        try:
            raw: bytes | None = self._path.read_bytes()[:_MAX_FILE_BYTES]
        except FileNotFoundError:
            raw = None
        except OSError as exc:
            logger.error("command key file %s unreadable: %s", self._path, exc)
            raw = None
        if raw != self._seen:
            self._seen = raw
            self._keyring = PassKeyring({**self._static, **self._file_keys(raw)})
        return self._keyring

    def _file_keys(self, raw: bytes | None) -> CommandKeyring:
        if raw is None:
            logger.warning("command key file %s is missing: config keys only", self._path)
            return PassKeyring({})
        try:
            keys = CommandKeyList.model_validate_json(raw)
            keyring = keys.keyring(site=self._site, gate=self._gate)
        except (ValidationError, ValueError) as exc:
            logger.error("command key file %s refused, config keys only: %s", self._path, exc)
            return PassKeyring({})
        logger.info(
            "command keys from %s (replica %d): %s",
            self._path,
            keys.replica_version,
            ", ".join(sorted(keyring)) or "none",
        )
        return keyring

"""Signed OpenCommands: per-gate Ed25519 command keys, the signed bytes, signing and checking.

Each gate has its own command key (a key id, as for passes, and an Ed25519 key pair). The
central API holds the private keys and signs the remote opens it publishes; the gate's
agent gets its gate's current private key through its replica and signs the commands it
publishes; the bridge holds only public keys, so a bridge host or a leaked bridge config
cannot forge an opening. The bridge gets them from its YAML config (``command_keys``) and,
without a restart, from the file its agent writes from the replica (`CommandKeyList`, which
lists the current key and those not yet retired): a rotation reaches the bridge with the
agent's next sync, and a retired key leaves it the same way.

The signature covers every field of the command but itself (the command id, lane,
direction, pulse, issued and expiry times, issuer, reason, the key id) and the site and gate
the command is meant for, in one canonical encoding: a domain tag, then compact JSON with
sorted keys. A command for another gate, or one with any field changed, does not verify.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field

from gate_protocol.ids import Id
from gate_protocol.messages import OpenCommand
from gate_protocol.passes.keys import PassKeyring, check_key_id, load_private_key
from gate_protocol.replica import PassKeyRecord, ReplicaSnapshot

__all__ = [
    "CommandKeyList",
    "CommandKeyring",
    "CommandSigner",
    "command_refusal",
    "replica_signer",
    "signed_bytes",
]

# The bridge's keyring has the same shape as the agent's pass keyring: key id -> public key.
CommandKeyring = PassKeyring

_DOMAIN = b"portgate/open-command/v1\n"


class CommandKeyList(BaseModel):
    """The public command keys one gate's bridge accepts, as its agent hands them over.

    Written by the agent from its replica (the current key and those not yet retired) to a
    file only the gate's own host can write; the bridge reads it again when it changes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    site_id: Id
    gate_id: Id
    replica_version: int = Field(ge=0)
    keys: tuple[PassKeyRecord, ...] = Field(default=(), max_length=64)

    @classmethod
    def of_replica(cls, snapshot: ReplicaSnapshot) -> CommandKeyList:
        """The keys a replica says the gate's bridge must accept."""
        return cls(
            site_id=snapshot.site_id,
            gate_id=snapshot.gate_id,
            replica_version=snapshot.version,
            keys=snapshot.command_public_keys,
        )

    def keyring(self, *, site: str, gate: str) -> CommandKeyring:
        """The keys as a keyring, for the bridge of `site`/`gate` only.

        Raises:
            ValueError: The list is another gate's, or a key does not load.
        """
        if (self.site_id, self.gate_id) != (site, gate):
            raise ValueError(f"command keys of {self.site_id}/{self.gate_id}, not {site}/{gate}")
        return PassKeyring.from_entries({k.key_id: k.public_key_b64 for k in self.keys})


def signed_bytes(command: OpenCommand, *, site: str, gate: str) -> bytes:
    """The canonical bytes a command's signature covers (everything but the signature).

    Args:
        command: The command, signed or not (its signature is left out).
        site: The site id of the gate the command is published to.
        gate: The gate id.
    """
    fields = command.model_dump(mode="json", exclude={"signature"})
    body = {"site": site, "gate": gate, "command": fields}
    return _DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class CommandSigner:
    """Signs a gate's OpenCommands with one command key.

    Args:
        site: The gate's site id.
        gate: The gate id (the signature is only valid for this gate).
        key_id: The key's id; the bridge looks the public key up by it.
        private_key: The gate's current private command key.
    """

    site: str
    gate: str
    key_id: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        check_key_id(self.key_id)

    def __repr__(self) -> str:
        # The private key never appears in logs.
        return f"CommandSigner(site={self.site!r}, gate={self.gate!r}, key_id={self.key_id!r})"

    def sign(self, command: OpenCommand) -> OpenCommand:
        """The same command carrying this key's id and its signature."""
        keyed = command.model_copy(update={"key_id": self.key_id, "signature": None})
        signature = self.private_key.sign(signed_bytes(keyed, site=self.site, gate=self.gate))
        return keyed.model_copy(update={"signature": base64.b64encode(signature).decode("ascii")})


def replica_signer(snapshot: ReplicaSnapshot) -> CommandSigner | None:
    """The signer of the gate's current command key from its replica, or None without one."""
    record = snapshot.command_key
    if record is None:
        return None
    return CommandSigner(
        site=snapshot.site_id,
        gate=snapshot.gate_id,
        key_id=record.key_id,
        private_key=load_private_key(record.private_key_b64),
    )


def command_refusal(
    command: OpenCommand,
    *,
    site: str,
    gate: str,
    keyring: CommandKeyring,
    now: datetime,
    max_age_s: float,
) -> str | None:
    """Why a command must not open (unsigned, unknown key, bad signature, too old), or None.

    Args:
        command: The decoded command.
        site: The bridge's site id.
        gate: The bridge's gate id.
        keyring: The public keys the bridge accepts, by key id.
        now: The bridge's wall clock (aware).
        max_age_s: A signed command older than this (issued_at to now, skew included) is
            refused, so a captured command cannot be held back and published later.
    """
    if command.signature is None or command.key_id is None:
        return "unsigned command"
    public_key = keyring.get(command.key_id)
    if public_key is None:
        return f"unknown command key {command.key_id}"
    try:
        signature = base64.b64decode(command.signature, validate=True)
        public_key.verify(signature, signed_bytes(command, site=site, gate=gate))
    except (binascii.Error, ValueError, InvalidSignature):
        return f"bad signature (key {command.key_id})"
    if now - command.issued_at > timedelta(seconds=max_age_s):
        return f"signed command too old (issued at {command.issued_at.isoformat()})"
    return None

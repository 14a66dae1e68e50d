"""Gate command keys: each gate's Ed25519 keys that sign its OpenCommands.

The newest key of a gate signs: the API's remote opens (`command_signer`) and, through the
gate's replica, its agent's opens (`replica_command_key`). Older keys stay valid at the
bridges until retired, which is how a rotation overlaps: rotate, put the new public key
into the bridge's ``command_keys`` beside the old one, retire the old one. The private
halves are sealed at rest with the template key, the gate and key id bound in, so a row
copied to another gate does not decrypt. Callers commit (audited here).
"""

import base64

from cryptography.hazmat.primitives import serialization
from gate_protocol.command_signing import CommandSigner
from gate_protocol.passes.keys import encode_public_key, generate_pass_key, load_private_key
from gate_protocol.replica import CommandKeyRecord
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.errors import ConflictError, NotFoundError
from central_api.models import Gate, GateCommandKey
from central_api.security.vault import decrypt_template, encrypt_template

__all__ = [
    "command_signer",
    "public_command_keys",
    "replica_command_key",
    "replica_command_keys",
    "retire_command_key",
    "rotate_command_key",
]


def _bound(row_gate: str, key_id: str) -> str:
    # The associated data of the seal: the key belongs to this gate under this id.
    return f"command-key:{row_gate}:{key_id}"


def _keys(session: Session, gate_id: str) -> list[GateCommandKey]:
    query = select(GateCommandKey).where(GateCommandKey.gate_id == gate_id)
    return list(session.exec(query.order_by(col(GateCommandKey.created_at))).all())


def rotate_command_key(*, session: Session, gate_id: str, seal_key: bytes, actor: str) -> str:
    """Make a new signing key for the gate (older keys stay valid); return its key id."""
    if session.get(Gate, gate_id) is None:
        raise NotFoundError(f"gate {gate_id!r} not found")
    key_id, private_key = generate_pass_key(existing={k.key_id for k in _keys(session, gate_id)})
    raw = private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    nonce, ciphertext = encrypt_template(
        key=seal_key, person_id=_bound(gate_id, key_id), template=raw
    )
    public = encode_public_key(private_key.public_key())
    row = GateCommandKey(
        gate_id=gate_id, key_id=key_id, public_key_b64=public, nonce=nonce, ciphertext=ciphertext
    )
    session.add(row)
    append_audit(
        session=session,
        actor=actor,
        action="gate.command_key_rotate",
        target=f"gate:{gate_id}",
        after={"key_id": key_id, "public_key": public},
    )
    session.flush()
    return key_id


def retire_command_key(*, session: Session, gate_id: str, key_id: str, actor: str) -> None:
    """Forget an older key of the gate; the newest (signing) key cannot be retired."""
    keys = _keys(session, gate_id)
    row = next((k for k in keys if k.key_id == key_id), None)
    if row is None:
        raise NotFoundError(f"gate {gate_id!r} has no command key {key_id!r}")
    if row is keys[-1]:
        raise ConflictError(f"{key_id} is the gate's signing key: rotate first")
    session.delete(row)
    append_audit(
        session=session,
        actor=actor,
        action="gate.command_key_retire",
        target=f"gate:{gate_id}",
        before={"key_id": key_id},
    )


def public_command_keys(*, session: Session, gate_id: str) -> dict[str, str]:
    """The gate's valid public keys by key id (what its bridge lists in command_keys)."""
    return {k.key_id: k.public_key_b64 for k in _keys(session, gate_id)}


def replica_command_key(
    *, session: Session, gate_id: str, seal_key: bytes, actor: str
) -> CommandKeyRecord:
    """The gate's signing key for its replica (made on first use)."""
    return replica_command_keys(session=session, gate_id=gate_id, seal_key=seal_key, actor=actor)[0]


def replica_command_keys(
    *, session: Session, gate_id: str, seal_key: bytes, actor: str
) -> tuple[CommandKeyRecord, dict[str, str]]:
    """`replica_command_key` and `public_command_keys` from one read of the gate's keys.

    Every replica and delta carries both: one query fewer per request.
    """
    keys = _keys(session, gate_id)
    if not keys:
        rotate_command_key(session=session, gate_id=gate_id, seal_key=seal_key, actor=actor)
        keys = _keys(session, gate_id)
    newest = keys[-1]
    raw = decrypt_template(
        key=seal_key,
        person_id=_bound(gate_id, newest.key_id),
        nonce=newest.nonce,
        ciphertext=newest.ciphertext,
    )
    record = CommandKeyRecord(
        key_id=newest.key_id, private_key_b64=base64.b64encode(raw).decode("ascii")
    )
    return record, {k.key_id: k.public_key_b64 for k in keys}


def command_signer(*, session: Session, gate: Gate, seal_key: bytes, actor: str) -> CommandSigner:
    """The signer of the gate's newest command key (made on first use)."""
    record = replica_command_key(session=session, gate_id=gate.id, seal_key=seal_key, actor=actor)
    return CommandSigner(
        site=gate.site_id,
        gate=gate.id,
        key_id=record.key_id,
        private_key=load_private_key(record.private_key_b64),
    )

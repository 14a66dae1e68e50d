"""Face templates a shared ban carries for the receivers' watchlists, sealed to each recipient.

Face templates never leave an installation unless a ban is shared with `--with-faces`;
then each template travels once per recipient member, in a libsodium sealed box
(`nacl.public.SealedBox`: X25519 + XSalsa20-Poly1305, anonymous sender) to that member's
X25519 key, which is its Ed25519 signing key converted (`crypto_sign_ed25519_pk_to_curve25519`
and its secret-key twin): every member's Ed25519 key is already known to all, so no second
key has to be registered or handed over (docs/sharing.md "Face templates in a ban"). A box
opens only with the recipient's private key: a member not addressed has no box of its own
and cannot open anybody else's. The item's signature covers the boxes; one that is signed
but does not open, or opens to something that is no template, is refused
(`bad_ciphertext`) before anything is applied.
"""

import base64
import binascii
import secrets
from collections.abc import Mapping, Sequence
from typing import Annotated, Final

from biometrics import TemplateError, template_from_bytes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gate_protocol.ids import Id
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.community.appliers import ApplyRefused
from central_api.community.members import CommunityKeys
from central_api.community.verify import Refusal
from central_api.errors import InvalidError
from central_api.models import FaceTemplate, PersonOfInterest
from central_api.models.community import CommunityBan, CommunityMember, MemberStatus
from central_api.replica.watchlist import bump_watchlist
from central_api.security.stored_templates import usable_template
from central_api.security.vault import TemplateVaultError, encrypt_template

__all__ = [
    "MAX_FACES",
    "SealedFaces",
    "SealedFacesError",
    "faces_for_ban",
    "open_faces",
    "seal_faces",
    "unwatch_faces",
    "watch_faces",
]

# A ban names one person: a few templates are enough for a watchlist, and the item stays small.
MAX_FACES: Final = 4
# A 512-byte template sealed (48 bytes more) and base64: 748 characters.
_SEALED_B64 = r"^[A-Za-z0-9+/]{4,1024}={0,2}$"
SealedB64 = Annotated[str, StringConstraints(pattern=_SEALED_B64)]


class SealedFaces(BaseModel):
    """One recipient's boxes: the ban's templates, each sealed to that member's key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member: Id
    sealed: tuple[SealedB64, ...] = Field(min_length=1, max_length=MAX_FACES)


class SealedFacesError(ApplyRefused):
    """Our boxes do not open, or hold no template: the item is refused, nothing applied."""

    def __init__(self, detail: str) -> None:
        super().__init__(Refusal.BAD_CIPHERTEXT, detail)


def _box_to(public_key_b64: str) -> SealedBox[PublicKey]:
    verify_key = VerifyKey(base64.b64decode(public_key_b64, validate=True))
    return SealedBox(verify_key.to_curve25519_public_key())


def seal_faces(
    templates: Sequence[bytes], recipients: Mapping[str, str]
) -> tuple[SealedFaces, ...]:
    """Seal every template to every recipient (member id -> its Ed25519 public key, base64).

    Raises:
        ValueError: No template, more than `MAX_FACES`, or no recipient.
    """
    if not templates or len(templates) > MAX_FACES:
        raise ValueError(f"a ban carries 1 to {MAX_FACES} face templates, not {len(templates)}")
    if not recipients:
        raise ValueError("face templates travel only to named recipients: there are none")
    return tuple(
        SealedFaces(
            member=member,
            sealed=tuple(
                base64.b64encode(_box_to(key).encrypt(raw)).decode("ascii") for raw in templates
            ),
        )
        for member, key in sorted(recipients.items())
    )


def _own_box(signing_key: Ed25519PrivateKey) -> SealedBox[PrivateKey]:
    seed = signing_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return SealedBox(SigningKey(seed).to_curve25519_private_key())


def open_faces(
    faces: Sequence[SealedFaces], *, member_id: str, signing_key: Ed25519PrivateKey
) -> list[bytes]:
    """The templates sealed to `member_id` (none when the ban carries none for us).

    Raises:
        SealedFacesError: A box of ours does not open or holds no usable template.
    """
    ours = [entry for entry in faces if entry.member == member_id]
    if not ours:
        return []
    box = _own_box(signing_key)
    templates: list[bytes] = []
    for entry in ours:
        for index, sealed in enumerate(entry.sealed):
            try:
                raw = box.decrypt(base64.b64decode(sealed, validate=True))
                template_from_bytes(raw)
            except (CryptoError, binascii.Error, TemplateError, ValueError):
                # Only the box's position: its bytes are a template's ciphertext.
                raise SealedFacesError(f"face template {index + 1} does not open") from None
            templates.append(raw)
    return templates


def faces_for_ban(
    session: Session, keys: CommunityKeys, *, person_id: str, recipients: Sequence[str]
) -> tuple[SealedFaces, ...]:
    """The banned person's templates sealed to `recipients` (every other active member if none).

    Raises:
        InvalidError: The person has no usable face template, or there is nobody to seal to.
    """
    rows = session.exec(
        select(FaceTemplate)
        .where(FaceTemplate.person_id == person_id)
        .order_by(col(FaceTemplate.id))
    ).all()
    try:
        found = [usable_template(key=keys.seal_key, row=row) for row in rows]
    except TemplateVaultError:
        raise InvalidError("the face templates do not decrypt with this template key") from None
    templates = [raw for raw in found if raw is not None][:MAX_FACES]
    if not templates:
        raise InvalidError(f"person {person_id!r} has no face template to carry")
    members = session.exec(
        select(CommunityMember).where(
            CommunityMember.status == MemberStatus.ACTIVE,
            CommunityMember.id != keys.own_member_id,
        )
    ).all()
    keys_by_id = {m.id: m.public_key_b64 for m in members}
    chosen = recipients or sorted(keys_by_id)
    if not chosen:
        raise InvalidError("no other active member to seal the face templates to")
    for member in chosen:
        if member not in keys_by_id:
            raise InvalidError(f"{member!r} is no other active member: no face templates to it")
    return seal_faces(templates, {member: keys_by_id[member] for member in chosen})


def _label(ban_id: str) -> str:
    return f"ban {ban_id}"


def watch_faces(
    session: Session, templates: Sequence[bytes], *, received: CommunityBan, key: bytes, actor: str
) -> int:
    """Put a received ban's templates on our watchlist, marked with issuer and reference."""
    for raw in templates:
        row_id = f"cb-{secrets.token_hex(8)}"
        nonce, ciphertext = encrypt_template(key=key, person_id=f"poi:{row_id}", template=raw)
        reference = f"{received.legal_reference} [{received.issuer}/{received.issuer_ban_id}]"
        row = PersonOfInterest(
            id=row_id,
            label=_label(received.issuer_ban_id),
            reason=f"port ban of {received.issuer}: {reference}: {received.reason}"[:500],
            entered_by=f"community:{received.issuer}",
            valid_from=received.valid_from,
            valid_until=received.valid_until,
            nonce=nonce,
            ciphertext=ciphertext,
        )
        session.add(row)
        append_audit(
            session=session,
            actor=actor,
            action="watchlist.poi_add",
            target=row.entry_id,
            after={"issuer": received.issuer, "ban": received.issuer_ban_id},
        )
    if templates:
        bump_watchlist(session=session, reason="shared ban with faces")
    return len(templates)


def unwatch_faces(session: Session, *, issuer: str, ban_id: str, actor: str) -> int:
    """Take the templates a received ban put on our watchlist off it; how many."""
    rows = session.exec(
        select(PersonOfInterest).where(
            PersonOfInterest.entered_by == f"community:{issuer}",
            PersonOfInterest.label == _label(ban_id),
        )
    ).all()
    for row in rows:
        session.delete(row)
        append_audit(
            session=session,
            actor=actor,
            action="watchlist.poi_remove",
            target=row.entry_id,
            before={"issuer": issuer, "ban": ban_id},
        )
    if rows:
        bump_watchlist(session=session, reason="shared ban lifted")
    return len(rows)

"""The signed envelope of everything shared: `SharedItem`, its canonical bytes and signature.

An item is signed by its issuing member with Ed25519 over a domain tag and compact JSON
with sorted keys of every field but the signature, so any change of any field (the
recipients and the TLP label included) breaks it.
"""

import base64
import binascii
import json
from enum import StrEnum
from typing import Annotated, Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gate_protocol.ids import Id
from gate_protocol.passes.keys import load_public_key
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from central_api.incidents.tlp import Tlp  # one TLP 2.0 label type for reports and items

__all__ = [
    "MAX_ATTACHMENT_HASHES",
    "MAX_ITEM_BYTES",
    "SCHEMA_VERSION",
    "ItemKind",
    "SharedItem",
    "Tlp",
    "sign_item",
    "signature_ok",
    "signed_bytes",
]

SCHEMA_VERSION: Final = 1
# A shared item is a notice, not a file: attachments travel as hashes, the whole item is small.
MAX_ITEM_BYTES: Final = 64 * 1024
MAX_ATTACHMENT_HASHES: Final = 32
MAX_RECIPIENTS: Final = 64
_DOMAIN = b"portgate/community-item/v1\n"

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class ItemKind(StrEnum):
    """What an item carries; each kind has its applier on the receiving side."""

    BAN = "ban"
    BAN_LIFT = "ban_lift"
    COMPANY_STATUS = "company_status"
    INCIDENT = "incident"
    MEMBER_ADDED = "member_added"
    MEMBER_REMOVED = "member_removed"


class SharedItem(BaseModel):
    """One signed item of one issuer; `sequence` counts that issuer's items, gap-free from 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = SCHEMA_VERSION
    community_id: Id
    issuer: Id
    sequence: int = Field(ge=1)
    kind: ItemKind
    tlp: Tlp
    recipients: tuple[Id, ...] = Field(default=(), max_length=MAX_RECIPIENTS)
    issued_at: AwareDatetime
    body: dict[str, Any] = Field(default_factory=dict)
    attachment_hashes: tuple[Sha256Hex, ...] = Field(default=(), max_length=MAX_ATTACHMENT_HASHES)
    signature: str = ""

    @model_validator(mode="after")
    def _recipients_match_label(self) -> "SharedItem":
        if self.tlp.addressed and not self.recipients:
            raise ValueError(f"{self.tlp} items name their recipients")
        if not self.tlp.addressed and self.recipients:
            raise ValueError(f"{self.tlp} items go to the whole community: no recipients")
        return self


def signed_bytes(item: SharedItem) -> bytes:
    """The bytes the signature covers: domain tag + canonical JSON of all but the signature."""
    content = item.model_dump(mode="json", exclude={"signature"})
    return _DOMAIN + json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def sign_item(item: SharedItem, key: Ed25519PrivateKey) -> SharedItem:
    """The item with its issuer's signature (base64)."""
    signature = base64.b64encode(key.sign(signed_bytes(item))).decode("ascii")
    return item.model_copy(update={"signature": signature})


def signature_ok(item: SharedItem, public_key_b64: str) -> bool:
    """True if `item` carries a valid signature of the key `public_key_b64`."""
    try:
        raw = base64.b64decode(item.signature, validate=True)
        load_public_key(public_key_b64).verify(raw, signed_bytes(item))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True

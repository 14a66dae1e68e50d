"""Pure checks of a received item: decode, issuer, signature, schema, sequence, label.

`check_item` names the one reason an item is refused (`Refusal`), or None: the item may
be applied. The caller counts each refusal by reason and issuer and never applies a
refused item; a gap (`out_of_sequence`) is closed by fetching the feed from the last
sequence applied.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from pydantic import ValidationError

from central_api.community.envelope import (
    MAX_ITEM_BYTES,
    SCHEMA_VERSION,
    SharedItem,
    signature_ok,
)
from central_api.community.tlp import may_receive

__all__ = ["ItemError", "MemberKey", "Refusal", "check_item", "decode_item"]


class Refusal(StrEnum):
    """Why a received item is refused; each is counted per issuer and shown to an admin."""

    OVERSIZED = "oversized"
    MALFORMED = "malformed"
    WRONG_COMMUNITY = "wrong_community"
    SCHEMA_VERSION = "schema_version"
    UNKNOWN_ISSUER = "unknown_issuer"
    REMOVED_ISSUER = "removed_issuer"
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"
    NOT_FOR_US = "not_for_us"
    REPLAY = "replay"
    OUT_OF_SEQUENCE = "out_of_sequence"
    # Signed, but what it carries sealed to us does not open: kept, never applied.
    BAD_CIPHERTEXT = "bad_ciphertext"


class ItemError(ValueError):
    """An item that could not even be read; `issuer` when the payload named one."""

    def __init__(self, refusal: Refusal, detail: str, issuer: str = "") -> None:
        super().__init__(f"{refusal}: {detail}")
        self.refusal = refusal
        self.issuer = issuer


@dataclass(frozen=True, slots=True)
class MemberKey:
    """What a receiver knows of a member: its public key and whether it is still a member."""

    member_id: str
    public_key_b64: str
    active: bool


def decode_item(payload: bytes | str) -> SharedItem:
    """Parse one item; oversized or invalid payloads raise ItemError (nothing parsed)."""
    raw = payload.encode() if isinstance(payload, str) else payload
    if len(raw) > MAX_ITEM_BYTES:
        raise ItemError(Refusal.OVERSIZED, f"item over {MAX_ITEM_BYTES} bytes")
    try:
        return SharedItem.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ItemError(Refusal.MALFORMED, f"{where}: {first['msg']}") from None


def check_item(
    item: SharedItem,
    *,
    community_id: str,
    own_member_id: str,
    members: Mapping[str, MemberKey],
    last_sequence: int,
) -> Refusal | None:
    """The reason to refuse `item`, or None when it is the issuer's next valid item for us.

    Args:
        item: The decoded item.
        community_id: Our community.
        own_member_id: Who we are (an addressed item must name us).
        members: Every member we know by id, removed ones included.
        last_sequence: The issuer's last sequence we applied (0: none yet).
    """
    if item.community_id != community_id:
        return Refusal.WRONG_COMMUNITY
    if item.schema_version != SCHEMA_VERSION:
        return Refusal.SCHEMA_VERSION
    member = members.get(item.issuer)
    if member is None:
        return Refusal.UNKNOWN_ISSUER
    if not member.active:
        return Refusal.REMOVED_ISSUER
    if not item.signature:
        return Refusal.UNSIGNED
    if not signature_ok(item, member.public_key_b64):
        return Refusal.BAD_SIGNATURE
    if not may_receive(item, own_member_id):
        return Refusal.NOT_FOR_US
    if item.sequence <= last_sequence:
        return Refusal.REPLAY
    if item.sequence != last_sequence + 1:
        return Refusal.OUT_OF_SEQUENCE
    return None

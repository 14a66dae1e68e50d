"""The catch-up feed: one issuer's items after a sequence, as this installation holds them.

A member that was away (or saw a gap) asks the hub: "items of issuer X after N". The
answer lists, in sequence order, the signed items the asker may receive (`tlp.may_forward`)
and, as bare numbers, the sequences it may not (`withheld`), so that the asker's cursor
moves over them without learning more than that they exist. A cursor past the issuer's
last item here is refused (a cursor from the future). Requests are signed by the asking
member's own key over the member, issuer, cursor and time (`feed_request_bytes`): the feed
answers members only, each with what its label allows.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gate_protocol.passes.keys import load_public_key
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from central_api.community.envelope import SharedItem
from central_api.community.members import CommunityKeys
from central_api.community.tlp import may_forward
from central_api.db import utc_now
from central_api.errors import InvalidError, NotFoundError, ServiceError
from central_api.models.community import (
    CommunityMember,
    MemberStatus,
    ReceivedItem,
    SharedItemOut,
)

__all__ = [
    "FEED_PAGE",
    "FeedAnswer",
    "FeedPage",
    "FeedRefused",
    "check_feed_request",
    "feed_page",
    "feed_request_bytes",
    "sign_feed_request",
]

FEED_PAGE: Final = 500
MAX_CLOCK_SKEW: Final = timedelta(minutes=5)
_DOMAIN = "portgate/community-feed/v1"


class FeedRefused(ServiceError):
    """A feed request from no member, a removed one, or without a valid signature."""

    status_code = 401


@dataclass(slots=True)
class FeedPage:
    """Items after the cursor (oldest first), sequences withheld, where to go on from."""

    issuer: str
    items: list[SharedItem] = field(default_factory=list)
    withheld: list[int] = field(default_factory=list)
    next_after: int = 0
    last: int = 0


class FeedAnswer(BaseModel):
    """One page on the wire; `withheld`: sequences held here that are not for the asker."""

    issuer: str
    items: list[SharedItem]
    withheld: list[int]
    next_after: int
    last: int
    page_size: int = FEED_PAGE


def feed_request_bytes(*, member: str, issuer: str, after: int | str, signed_at: str) -> bytes:
    """What a feed request's signature covers."""
    return f"{_DOMAIN}\n{member}\n{issuer}\n{after}\n{signed_at}".encode()


def sign_feed_request(
    key: Ed25519PrivateKey, *, member: str, issuer: str, after: int, signed_at: str
) -> str:
    """The base64 signature of a feed request."""
    signed = feed_request_bytes(member=member, issuer=issuer, after=after, signed_at=signed_at)
    return base64.b64encode(key.sign(signed)).decode("ascii")


def check_feed_request(
    session: Session,
    *,
    member: str,
    issuer: str,
    after: int | str,
    signed_at: str,
    signature: str,
    now: datetime | None = None,
) -> CommunityMember:
    """The asking member, once its request verifies; FeedRefused otherwise."""
    row = session.get(CommunityMember, member)
    if row is None or row.status is not MemberStatus.ACTIVE:
        raise FeedRefused(f"{member!r} is not an active member of this community")
    try:
        at = datetime.fromisoformat(signed_at)
    except ValueError:
        raise FeedRefused("X-PortGate-Signed-At is not an ISO 8601 time") from None
    if at.tzinfo is None or abs((now or utc_now()) - at) > MAX_CLOCK_SKEW:
        raise FeedRefused("the feed request's time is more than 5 minutes off (or has no zone)")
    try:
        load_public_key(row.public_key_b64).verify(
            base64.b64decode(signature, validate=True),
            feed_request_bytes(member=member, issuer=issuer, after=after, signed_at=signed_at),
        )
    except (InvalidSignature, binascii.Error, ValueError):
        raise FeedRefused("the feed request's signature does not verify") from None
    return row


def _held(session: Session, keys: CommunityKeys, issuer: str, after: int) -> list[tuple[int, str]]:
    if issuer == keys.own_member_id:
        rows = session.exec(
            select(SharedItemOut.sequence, SharedItemOut.item_json)
            .where(SharedItemOut.sequence > after)
            .order_by(col(SharedItemOut.sequence))
            .limit(FEED_PAGE)
        ).all()
    else:
        rows = session.exec(
            select(ReceivedItem.sequence, ReceivedItem.item_json)
            .where(ReceivedItem.issuer == issuer, ReceivedItem.sequence > after)
            .order_by(col(ReceivedItem.sequence))
            .limit(FEED_PAGE)
        ).all()
    return [(int(sequence), text) for sequence, text in rows]


def _last(session: Session, keys: CommunityKeys, issuer: str) -> int:
    if issuer == keys.own_member_id:
        return int(session.exec(select(func.max(SharedItemOut.sequence))).one() or 0)
    member = session.get(CommunityMember, issuer)
    if member is None:
        raise NotFoundError(f"community member {issuer!r} not found")
    return member.last_received_seq


def feed_page(
    session: Session, keys: CommunityKeys, *, asker: CommunityMember, issuer: str, after: int
) -> FeedPage:
    """One page of `issuer`'s items after `after` for `asker`; notes what was delivered.

    Raises:
        NotFoundError: No such issuer here.
        InvalidError: `after` is negative or past the issuer's last item here.
    """
    last = _last(session, keys, issuer)
    if after < 0 or after > last:
        raise InvalidError(f"cursor {after} is past {issuer}'s last item here ({last})")
    page = FeedPage(issuer=issuer, next_after=after, last=last)
    for sequence, text in _held(session, keys, issuer, after):
        # A stub (an item not for us, or one we were told was withheld) has no body here.
        item = SharedItem.model_validate(json.loads(text)) if text else None
        if item and item.signature and may_forward(item, holder=keys.own_member_id, to=asker.id):
            page.items.append(item)
        else:
            page.withheld.append(sequence)
        page.next_after = sequence
    if issuer == keys.own_member_id and page.next_after > asker.last_delivered_seq:
        asker.last_delivered_seq = page.next_after
        session.add(asker)
        session.commit()
    return page

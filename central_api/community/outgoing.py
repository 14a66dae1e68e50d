"""Share an item: sign it with the next sequence, keep it in the outgoing log, publish it.

`share` is the one way out for every kind (bans here, incident reports elsewhere): the
item is stored and audited in the caller's transaction, then handed to the publisher once
committed. A publish that fails loses nothing: the item stays in the log, unpublished, and
`publish_pending` (or a member's feed fetch) delivers it later.
"""

import json
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import func
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.community.envelope import MAX_ITEM_BYTES, ItemKind, SharedItem, Tlp, sign_item
from central_api.community.members import CommunityKeys, get_member
from central_api.db import utc_now
from central_api.errors import InvalidError
from central_api.models.community import MemberStatus, SharedItemOut

__all__ = ["ItemPublisher", "mark_published", "pending_items", "publish_pending", "share"]


class ItemPublisher(Protocol):
    """Hands a signed item to the transport (the local broker); True once accepted."""

    def publish_item(self, item: SharedItem) -> bool:
        """Publish `item` on its topic (QoS 1)."""
        ...


def _next_sequence(session: Session) -> int:
    last = session.exec(select(func.max(SharedItemOut.sequence))).one()
    return int(last or 0) + 1


def _check_recipients(session: Session, tlp: Tlp, recipients: Sequence[str]) -> None:
    for member_id in recipients:
        if get_member(session=session, member_id=member_id).status is not MemberStatus.ACTIVE:
            raise InvalidError(f"community member {member_id!r} was removed: not a recipient")
    if tlp.addressed and not recipients:
        raise InvalidError(f"{tlp} items must name their recipients")
    if not tlp.addressed and recipients:
        raise InvalidError(f"{tlp} items go to the whole community: name no recipients")


def share(
    session: Session,
    keys: CommunityKeys,
    *,
    kind: ItemKind,
    body: dict[str, Any],
    tlp: Tlp,
    recipients: Sequence[str] = (),
    actor: str,
) -> SharedItem:
    """Sign and log our next item in the caller's transaction (the caller commits).

    Raises:
        InvalidError: A recipient removed, recipients that do not fit the label, or an
            item over `MAX_ITEM_BYTES`.
    """
    _check_recipients(session, tlp, recipients)
    sequence = _next_sequence(session)
    unsigned = SharedItem(
        community_id=keys.community_id,
        issuer=keys.own_member_id,
        sequence=sequence,
        kind=kind,
        tlp=tlp,
        recipients=tuple(recipients),
        issued_at=utc_now(),
        body=body,
    )
    item = sign_item(unsigned, keys.signing_key)
    size = len(item.model_dump_json().encode())
    if size > MAX_ITEM_BYTES:
        # Every receiver would refuse it as oversized: refuse it here, before it is logged.
        raise InvalidError(f"the item is {size} bytes, over {MAX_ITEM_BYTES}: share less at once")
    session.add(
        SharedItemOut(
            sequence=sequence,
            kind=str(kind),
            tlp=str(tlp),
            recipients=" ".join(recipients),
            item_json=item.model_dump_json(),
        )
    )
    append_audit(
        session=session,
        actor=actor,
        action="community.share",
        target=f"shared_item:{keys.own_member_id}:{sequence}",
        after={"kind": str(kind), "tlp": str(tlp), "recipients": list(recipients)},
    )
    return item


def pending_items(session: Session) -> list[SharedItem]:
    """Our items not yet handed to the broker, oldest first."""
    rows = session.exec(
        select(SharedItemOut)
        .where(col(SharedItemOut.published_at).is_(None))
        .order_by(col(SharedItemOut.sequence))
    ).all()
    return [SharedItem.model_validate(json.loads(row.item_json)) for row in rows]


def mark_published(session: Session, sequence: int) -> None:
    """Note that item `sequence` was accepted by the broker (commits)."""
    row = session.get(SharedItemOut, sequence)
    if row is not None and row.published_at is None:
        row.published_at = utc_now()
        session.add(row)
        session.commit()


def publish_pending(session: Session, publisher: ItemPublisher) -> int:
    """Publish every unpublished item in order, stopping at the first refusal; how many went."""
    sent = 0
    for item in pending_items(session):
        if not publisher.publish_item(item):
            break
        mark_published(session, item.sequence)
        sent += 1
    return sent

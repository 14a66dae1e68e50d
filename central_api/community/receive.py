"""Receive one item: decode, check, count a refusal or keep it and apply it, audited.

The one way in for the bus worker and the feed catch-up alike. Every item this
installation keeps is in `shared_item_in` once (issuer, sequence): the same item again (a
QoS 1 redelivery, the feed overlapping the bus) is a `duplicate`, neither applied twice nor
counted as a refusal; a different item under a sequence already applied is a `replay`.
"""

from dataclasses import dataclass
from enum import StrEnum

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from central_api.audit.chain import append_audit
from central_api.community.appliers import ApplyContext, ApplyRefused, applier_for
from central_api.community.envelope import SharedItem
from central_api.community.members import CommunityKeys
from central_api.community.register import register_builtin
from central_api.community.verify import ItemError, MemberKey, Refusal, check_item, decode_item
from central_api.db import utc_now
from central_api.errors import InvalidError
from central_api.models.community import (
    CommunityMember,
    MemberRole,
    MemberStatus,
    ReceivedItem,
    SharingRefusal,
)

__all__ = [
    "Received",
    "ReceiveStatus",
    "count_refusal",
    "receive_item",
    "receive_payload",
    "skip_withheld",
]

register_builtin()


class ReceiveStatus(StrEnum):
    """What became of a received payload."""

    APPLIED = "applied"
    KEPT = "kept"
    DUPLICATE = "duplicate"
    OWN = "own"
    WITHHELD = "withheld"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Received:
    """The outcome of one payload: its status, the refusal (if refused) and what was done."""

    status: ReceiveStatus
    issuer: str = ""
    sequence: int = 0
    refusal: Refusal | None = None
    outcome: str = ""


def count_refusal(session: Session, *, issuer: str, refusal: Refusal, detail: str) -> None:
    """Count one refused item by issuer and reason (commits)."""
    _count(session, issuer=issuer, refusal=refusal, detail=detail)
    session.commit()


def _count(session: Session, *, issuer: str, refusal: Refusal, detail: str) -> None:
    row = session.get(SharingRefusal, (issuer[:64], str(refusal)))
    if row is None:
        row = SharingRefusal(issuer=issuer[:64], reason=str(refusal))
    row.count += 1
    row.last_at = utc_now()
    row.last_detail = detail[:300]
    session.add(row)


def _members(session: Session) -> dict[str, MemberKey]:
    rows = session.exec(select(CommunityMember)).all()
    return {
        row.id: MemberKey(row.id, row.public_key_b64, row.status is MemberStatus.ACTIVE)
        for row in rows
    }


def _same_as_kept(session: Session, item: SharedItem) -> bool:
    kept = session.exec(
        select(ReceivedItem).where(
            ReceivedItem.issuer == item.issuer, ReceivedItem.sequence == item.sequence
        )
    ).first()
    return (
        kept is not None
        and bool(kept.item_json)
        and SharedItem.model_validate_json(kept.item_json) == item
    )


def receive_payload(session: Session, payload: bytes | str, *, keys: CommunityKeys) -> Received:
    """Decode and receive one payload from the bus or the feed."""
    try:
        item = decode_item(payload)
    except ItemError as exc:
        count_refusal(session, issuer=exc.issuer, refusal=exc.refusal, detail=str(exc))
        return Received(ReceiveStatus.REFUSED, refusal=exc.refusal, outcome=str(exc))
    return receive_item(session, item, keys=keys)


def receive_item(
    session: Session, item: SharedItem, *, keys: CommunityKeys, commit: bool = True
) -> Received:
    """Check `item`; count a refusal, or keep it, apply it and audit both, then commit.

    With `commit` False a kept item is only flushed: the feed's catch-up commits a page of
    items at once (the cursor moves with them, so a page rolled back is fetched again).
    """
    if item.issuer == keys.own_member_id:
        return Received(ReceiveStatus.OWN, item.issuer, item.sequence)
    members = _members(session)
    member = session.get(CommunityMember, item.issuer)
    last = 0 if member is None else member.last_received_seq
    refusal = check_item(
        item,
        community_id=keys.community_id,
        own_member_id=keys.own_member_id,
        members=members,
        last_sequence=last,
    )
    if refusal is Refusal.REPLAY and _same_as_kept(session, item):
        return Received(ReceiveStatus.DUPLICATE, item.issuer, item.sequence)
    if refusal is Refusal.NOT_FOR_US and member is not None and _we_are_hub(session, keys):
        # The hub's broker carries every item; the hub keeps of one for others the number only.
        skip_withheld(session, issuer=item.issuer, sequences=[item.sequence])
        return Received(ReceiveStatus.WITHHELD, item.issuer, item.sequence)
    if refusal is not None or member is None:
        detail = f"{item.issuer} #{item.sequence} {item.kind} (last applied #{last})"
        count_refusal(
            session, issuer=item.issuer, refusal=refusal or Refusal.UNKNOWN_ISSUER, detail=detail
        )
        return Received(ReceiveStatus.REFUSED, item.issuer, item.sequence, refusal, detail)
    try:
        return _keep_and_apply(session, item, member, keys, commit=commit)
    except IntegrityError:
        # Another process kept the same item first.
        session.rollback()
        return Received(ReceiveStatus.DUPLICATE, item.issuer, item.sequence)


def _keep_and_apply(
    session: Session,
    item: SharedItem,
    member: CommunityMember,
    keys: CommunityKeys,
    *,
    commit: bool,
) -> Received:
    actor = f"community:{item.issuer}"
    row = ReceivedItem(
        issuer=item.issuer,
        sequence=item.sequence,
        kind=str(item.kind),
        tlp=str(item.tlp),
        item_json=item.model_dump_json(),
    )
    member.last_received_seq = item.sequence
    session.add_all([row, member])
    target = f"shared_item:{item.issuer}:{item.sequence}"
    append_audit(
        session=session,
        actor=actor,
        action="community.receive",
        target=target,
        after={"kind": str(item.kind), "tlp": str(item.tlp)},
    )
    session.flush()
    status, outcome, refusal = _apply(session, item, ApplyContext(keys=keys, actor=actor))
    row.applied = status is ReceiveStatus.APPLIED
    row.outcome = outcome[:300]
    session.add(row)
    append_audit(
        session=session,
        actor=actor,
        action="community.apply",
        target=target,
        after={"applied": row.applied, "outcome": row.outcome},
    )
    if commit:
        session.commit()
    else:
        session.flush()
    return Received(status, item.issuer, item.sequence, refusal, outcome)


def _apply(
    session: Session, item: SharedItem, context: ApplyContext
) -> tuple[ReceiveStatus, str, Refusal | None]:
    """Run the kind's applier: applied, or kept with why not (and a refusal it counted)."""
    applier = applier_for(item.kind)
    if applier is None:
        return ReceiveStatus.KEPT, f"kept: no applier for {item.kind} here", None
    try:
        return ReceiveStatus.APPLIED, applier(session, item, context), None
    except ValidationError as exc:
        return (
            ReceiveStatus.KEPT,
            f"kept, not applied: body invalid ({exc.error_count()} error(s))",
            None,
        )
    except InvalidError as exc:
        # A signed item whose body its applier cannot use (an incident whose own label is
        # not the item's): kept with the reason, so the issuer's later items are not held up.
        return ReceiveStatus.KEPT, f"kept, not applied: {exc.message}"[:300], None
    except ApplyRefused as exc:
        # Refused before the applier changed anything; the cursor still moves past it.
        target = f"shared_item:{item.issuer}:{item.sequence}"
        _count(session, issuer=item.issuer, refusal=exc.refusal, detail=f"{target} {exc}")
        return ReceiveStatus.KEPT, f"kept, not applied: {exc}", exc.refusal


def _we_are_hub(session: Session, keys: CommunityKeys) -> bool:
    own = session.get(CommunityMember, keys.own_member_id)
    return own is not None and own.role is MemberRole.HUB


def skip_withheld(session: Session, *, issuer: str, sequences: list[int]) -> int:
    """Move the issuer's cursor over sequences not for us (from the hub's feed); commits.

    Only the next sequences in a row move it: a number past a gap waits for the gap.
    Returns how many were skipped.
    """
    member = session.get(CommunityMember, issuer)
    if member is None:
        return 0
    skipped = 0
    for sequence in sorted(set(sequences)):
        if sequence != member.last_received_seq + 1:
            continue
        session.add(
            ReceivedItem(
                issuer=issuer,
                sequence=sequence,
                kind="withheld",
                tlp="",
                item_json="",
                outcome="withheld: not for this member",
            )
        )
        member.last_received_seq = sequence
        skipped += 1
    session.add(member)
    session.commit()
    return skipped

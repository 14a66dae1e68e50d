"""What an admin reads about sharing: refusals by issuer and reason, the logs' figures."""

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from central_api.models.community import (
    CommunityMember,
    ReceivedItem,
    SharedItemOut,
    SharingRefusal,
)

__all__ = ["SharingStatus", "refusal_counts", "sharing_status"]


class SharingStatus(BaseModel):
    """The admin's card: items shared and received, refusals by reason, each member's cursor."""

    shared: int
    unpublished: int
    received: int
    applied: int
    refused: dict[str, int]
    members: dict[str, dict[str, object]]


def refusal_counts(session: Session) -> list[SharingRefusal]:
    """Every refusal counter, by issuer then reason."""
    statement = select(SharingRefusal).order_by(
        col(SharingRefusal.issuer), col(SharingRefusal.reason)
    )
    return list(session.exec(statement).all())


def sharing_status(session: Session) -> SharingStatus:
    """The figures of the admin's card."""
    refused: dict[str, int] = {}
    for row in refusal_counts(session):
        refused[row.reason] = refused.get(row.reason, 0) + row.count
    members = {
        row.id: {
            "role": str(row.role),
            "status": str(row.status),
            "last_received_seq": row.last_received_seq,
            "last_delivered_seq": row.last_delivered_seq,
        }
        for row in session.exec(select(CommunityMember).order_by(col(CommunityMember.id)))
    }
    count = func.count()
    return SharingStatus(
        shared=session.exec(select(count).select_from(SharedItemOut)).one(),
        unpublished=session.exec(
            select(count)
            .select_from(SharedItemOut)
            .where(col(SharedItemOut.published_at).is_(None))
        ).one(),
        received=session.exec(select(count).select_from(ReceivedItem)).one(),
        applied=session.exec(
            select(count).select_from(ReceivedItem).where(col(ReceivedItem.applied).is_(True))
        ).one(),
        refused=refused,
        members=members,
    )

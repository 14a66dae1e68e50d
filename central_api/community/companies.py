"""Company status across the community: share a local company's status, apply a received one.

Companies have local ids, so a shared status names the company by its registered name; a
member that has no company of that name keeps the item and changes nothing.
"""

from gate_protocol.records import CompanyStatus
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from central_api.community.appliers import ApplyContext
from central_api.community.envelope import ItemKind, SharedItem, Tlp
from central_api.community.members import CommunityKeys
from central_api.community.outgoing import share
from central_api.crud.companies import find_company, set_company_status
from central_api.errors import NotFoundError, ServiceError

__all__ = ["CompanyStatusBody", "apply_company_status", "share_company_status"]


class CompanyStatusBody(BaseModel):
    """The body of a `company_status` item."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    company_name: str = Field(min_length=1, max_length=120)
    status: CompanyStatus
    reason: str = Field(default="", max_length=500)


def share_company_status(
    session: Session,
    keys: CommunityKeys,
    *,
    company: str,
    tlp: Tlp,
    recipients: tuple[str, ...] = (),
    actor: str,
) -> SharedItem:
    """Share a local company's current status (the caller commits)."""
    row = find_company(session=session, ref=company)
    body = CompanyStatusBody(
        company_name=row.name, status=row.status, reason=row.status_reason or ""
    )
    return share(
        session,
        keys,
        kind=ItemKind.COMPANY_STATUS,
        body=body.model_dump(mode="json"),
        tlp=tlp,
        recipients=recipients,
        actor=actor,
    )


def apply_company_status(session: Session, item: SharedItem, context: ApplyContext) -> str:
    """Give the local company of that name the shared status.

    `set_company_status` commits the change with its audit row (and the received item the
    receiver added before): the one applier that commits on its own.
    """
    body = CompanyStatusBody.model_validate(item.body)
    try:
        row = find_company(session=session, ref=body.company_name)
    except NotFoundError:
        return f"no company {body.company_name!r} here: kept, nothing changed"
    assert row.id is not None  # noqa: S101 (stored)
    if row.status is body.status:
        return f"company {row.name!r} is already {body.status}"
    reason = f"{body.reason} [{item.issuer}]".strip()
    try:
        set_company_status(
            session=session,
            company_id=row.id,
            status=body.status,
            reason=reason,
            actor=context.actor,
        )
    except ServiceError as exc:
        return f"company {row.name!r} not changed: {exc.message}"
    return f"company {row.name!r} is now {body.status} (from {item.issuer})"

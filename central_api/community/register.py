"""Members the hub adds or removes, as items, and the registration of the built-in appliers.

Only the hub's `member_added` and `member_removed` items change the member list; the same
items from anyone else are kept and ignored.
"""

from gate_protocol.ids import Id
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from central_api.audit.chain import append_audit
from central_api.community.appliers import ApplyContext, register
from central_api.community.bans import apply_ban, apply_ban_lift
from central_api.community.companies import apply_company_status
from central_api.community.envelope import ItemKind, SharedItem
from central_api.community.incidents import apply_incident
from central_api.db import utc_now
from central_api.models.community import CommunityMember, MemberRole, MemberStatus

__all__ = ["MemberBody", "apply_member_added", "apply_member_removed", "register_builtin"]


class MemberBody(BaseModel):
    """The body of `member_added` (with name and key) and `member_removed` (id only)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member_id: Id
    name: str = Field(default="", max_length=120)
    public_key: str = Field(default="", max_length=64)


def _from_hub(session: Session, item: SharedItem) -> bool:
    issuer = session.get(CommunityMember, item.issuer)
    return issuer is not None and issuer.role is MemberRole.HUB


def apply_member_added(session: Session, item: SharedItem, context: ApplyContext) -> str:
    """The hub added a member: learn its key (so its items verify here)."""
    body = MemberBody.model_validate(item.body)
    if not _from_hub(session, item):
        return f"ignored: {item.issuer} is not the hub"
    if session.get(CommunityMember, body.member_id) is not None:
        return f"member {body.member_id} known already"
    session.add(
        CommunityMember(
            id=body.member_id,
            name=body.name or body.member_id,
            role=MemberRole.MEMBER,
            public_key_b64=body.public_key,
        )
    )
    append_audit(
        session=session,
        actor=context.actor,
        action="community.member_add",
        target=f"member:{body.member_id}",
        after={"public_key": body.public_key},
    )
    return f"member {body.member_id} added by the hub"


def apply_member_removed(session: Session, item: SharedItem, context: ApplyContext) -> str:
    """The hub removed a member: its items are refused here from now on."""
    body = MemberBody.model_validate(item.body)
    if not _from_hub(session, item):
        return f"ignored: {item.issuer} is not the hub"
    member = session.get(CommunityMember, body.member_id)
    if member is None or member.status is MemberStatus.REMOVED:
        return f"member {body.member_id} not active here"
    member.status, member.removed_at = MemberStatus.REMOVED, utc_now()
    session.add(member)
    append_audit(
        session=session,
        actor=context.actor,
        action="community.member_remove",
        target=f"member:{body.member_id}",
        after={"status": "removed"},
    )
    return f"member {body.member_id} removed by the hub"


def register_builtin() -> None:
    """Register the appliers of bans, their lifts, company status, incidents, members."""
    register(ItemKind.BAN, apply_ban)
    register(ItemKind.BAN_LIFT, apply_ban_lift)
    register(ItemKind.COMPANY_STATUS, apply_company_status)
    register(ItemKind.MEMBER_ADDED, apply_member_added)
    register(ItemKind.MEMBER_REMOVED, apply_member_removed)
    register(ItemKind.INCIDENT, apply_incident)

"""Give a local person an identity reference; received bans for it apply at once.

The document number is turned into the keyed reference here and forgotten: only the
reference is stored (`community_identity_ref`), never the number, and the audit row says
that a reference was set, not which.
"""

from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.community.bans import ban_local
from central_api.community.identity import identity_ref, normalise_document_number
from central_api.community.members import CommunityKeys, load_keys
from central_api.config import Settings
from central_api.crud.people import get_person
from central_api.errors import InvalidError
from central_api.models import PortBan
from central_api.models.community import CommunityBan, IdentityRef

__all__ = ["reference_keys", "set_identity_ref"]


def reference_keys(session: Session, settings: Settings, number: str) -> CommunityKeys:
    """The keys to reference `number` with, checked before anything is written.

    Raises:
        InvalidError: Not in a community, or not a document number.
    """
    try:
        normalise_document_number(number)
        seal_key = settings.template_key_bytes()
    except ValueError as exc:  # SettingsError is one
        raise InvalidError(str(exc)) from None
    return load_keys(session=session, seal_key=seal_key)


def set_identity_ref(
    session: Session, keys: CommunityKeys, *, person_id: str, document_number: str, actor: str
) -> int:
    """Store the person's reference for `document_number` and commit; returns bans applied.

    Raises:
        NotFoundError: No such person.
        InvalidError: Not a document number.
    """
    get_person(session=session, person_id=person_id)
    try:
        ref = identity_ref(keys.ref_key, document_number)
    except ValueError as exc:
        raise InvalidError(str(exc)) from None
    known = session.exec(
        select(IdentityRef).where(IdentityRef.ref == ref, IdentityRef.person_id == person_id)
    ).first()
    if known is None:
        session.add(IdentityRef(ref=ref, person_id=person_id))
        append_audit(
            session=session,
            actor=actor,
            action="community.ref_set",
            target=f"person:{person_id}",
            after={"reference": "set"},
        )
    pending = session.exec(
        select(CommunityBan).where(
            CommunityBan.identity_ref == ref,
            col(CommunityBan.lifted_at).is_(None),
        )
    ).all()
    applied = 0
    for received in pending:
        if any(
            _bans_person(session, ban_id, person_id) for ban_id in received.local_ban_ids.split()
        ):
            continue
        ban_local(session, received, person_id=person_id, actor=actor)
        applied += 1
    session.commit()
    return applied


def _bans_person(session: Session, ban_id: str, person_id: str) -> bool:
    ban = session.get(PortBan, ban_id)
    return ban is not None and ban.person_id == person_id

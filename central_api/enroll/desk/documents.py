"""Identity documents the desk checked, and finding a person again by the document's number.

The number is personal data the desk must not keep (the model keeps the kind, who checked
and when: `DocumentCheck`). What is kept is a keyed hash of the normalised number
(`DocumentRef`), under a key derived from the installation's template key, so the desk
finds the person when the number is typed or read again, and nobody without the key can
test numbers. Erasure deletes the hashes with the person.
"""

import hashlib
import hmac

from sqlmodel import Session, select

from central_api.crud.audited import commit_audited
from central_api.crud.people import get_person
from central_api.enroll.tables import DocumentRef
from central_api.models import DocumentCheck, DocumentKind

__all__ = ["desk_document_ref", "record_document"]

_LABEL = b"portgate desk document lookup v1"


def desk_document_ref(template_key: bytes, normalised_number: str) -> str:
    """``desk:<hex>``: HMAC-SHA256 of the normalised number under the desk's lookup key."""
    key = hmac.new(template_key, _LABEL, hashlib.sha256).digest()
    return "desk:" + hmac.new(key, normalised_number.encode(), hashlib.sha256).hexdigest()


def record_document(
    *, session: Session, person_id: str, kind: DocumentKind, ref: str, actor: str
) -> DocumentCheck:
    """Record the check (kind, who, when) and the number's lookup hash, in one transaction.

    Raises:
        NotFoundError: No such person (in the caller's scope).
    """
    get_person(session=session, person_id=person_id)
    rows: list[DocumentCheck | DocumentRef] = [
        DocumentCheck(person_id=person_id, kind=kind, checked_by=actor)
    ]
    known = session.exec(
        select(DocumentRef).where(DocumentRef.person_id == person_id, DocumentRef.ref == ref)
    ).first()
    if known is None:
        rows.append(DocumentRef(person_id=person_id, ref=ref))
    commit_audited(
        session,
        actor=actor,
        action="person.document_check",
        target=f"person:{person_id}",
        after={"kind": str(kind), "lookup": "set"},
        rows=rows,
    )
    check = rows[0]
    assert isinstance(check, DocumentCheck)  # noqa: S101 (built above)
    return check

"""Erase a person from the desk: a typed confirmation first, the erasure receipt after.

The erasure itself is `central_api.enroll.privacy.erase_person` (the CLI's too). The
receipt is what the desk hands the data subject or files: which identity was erased, when,
by whom, how many rows of each kind, and the audit row that records it (its sequence number
and hash, so anyone holding the chain can check the receipt against it). It names the
person by id only, like the audit chain: after erasure the id names nobody.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from central_api.crud.people import get_person
from central_api.enroll.privacy import erase_person
from central_api.errors import InvalidError
from central_api.models import AuditEntry

__all__ = ["EraseIn", "ErasureReceipt", "erase_with_receipt"]


class EraseIn(BaseModel):
    """The typed confirmation: the person's id, as the page shows it."""

    model_config = ConfigDict(extra="forbid")

    confirm: str = Field(max_length=64, description="The person id, typed by the clerk.")


class ErasureReceipt(BaseModel):
    """Proof of an erasure (GDPR Art. 17), without any of the erased data."""

    person_id: str
    erased_at: datetime
    erased_by: str
    deleted: dict[str, int]
    audit_seq: int
    audit_hash: str


def erase_with_receipt(
    *, session: Session, person_id: str, confirm: EraseIn, actor: str
) -> ErasureReceipt:
    """Erase the person once the confirmation names them; return the receipt.

    Raises:
        NotFoundError: No such person (in the caller's scope).
        InvalidError: The confirmation is not the person's id (nothing is erased).
    """
    get_person(session=session, person_id=person_id)
    if confirm.confirm.strip().upper() != person_id.upper():
        raise InvalidError(f"type the person id {person_id} to confirm the erasure")
    counts = erase_person(session=session, person_id=person_id, actor=actor)
    entry = session.exec(
        select(AuditEntry)
        .where(AuditEntry.target == f"person:{person_id}", AuditEntry.action == "person.erase")
        .order_by(col(AuditEntry.seq).desc())
    ).first()
    if entry is None:  # erase_person commits its audit row with the deletion
        raise RuntimeError("the erasure's audit row is missing")
    return ErasureReceipt(
        person_id=person_id,
        erased_at=entry.at,
        erased_by=actor,
        deleted=counts,
        audit_seq=entry.seq,
        audit_hash=entry.hash,
    )

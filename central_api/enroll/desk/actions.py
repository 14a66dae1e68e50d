"""The desk's changes to one person: standing with a reason, validity, a lost badge replaced.

Each is ONE transaction through `commit_audited`: the change, the desk's note (the reason,
erased with the person) and one audit row, and the replica bump of every site that
activated the person, whose gates then fetch the delta (the notify/sync path every change
takes). Audit rows carry the reason and badge numbers as keyed hashes only
(`central_api.audit.privacy`). Everything is checked before anything is written.
"""

from datetime import datetime
from typing import Annotated, Literal

from gate_protocol.badges import badge_number_problem
from gate_protocol.ids import Id
from gate_protocol.messages import BadgeFormat, CredentialKind
from gate_protocol.records import PersonStatus
from gate_protocol.text import refuse_unsafe_text
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from sqlmodel import Session

from central_api.audit.privacy import keyed_hash
from central_api.crud.activations import activation_at
from central_api.crud.audited import Resync, commit_audited
from central_api.crud.people import get_person, is_credential_bound
from central_api.db import utc_now
from central_api.enroll.desk.days import (
    DeskDay,
    check_days,
    day_start,
    site_zone,
    until_instant,
)
from central_api.enroll.tables import DeskNote
from central_api.errors import ConflictError, NotFoundError
from central_api.models import Credential, Person, SiteActivation

__all__ = [
    "LOST",
    "ReplaceBadgeIn",
    "StandingIn",
    "ValidityIn",
    "change_validity",
    "replace_lost_badge",
    "set_standing",
]

LOST = "lost"
# A reason is mandatory: not empty, not only blanks, no control characters.
Reason = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500, strip_whitespace=True, pattern=r"\S"),
    AfterValidator(refuse_unsafe_text),
]
_STATUS_OF = {
    "revoke": PersonStatus.REVOKED,
    "suspend": PersonStatus.SUSPENDED,
    "reinstate": PersonStatus.ACTIVE,
}


class StandingIn(BaseModel):
    """Revoke, suspend or reinstate a person, always with a reason."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["revoke", "suspend", "reinstate"]
    reason: Reason


class ValidityIn(BaseModel):
    """A new validity in inclusive days; `site_id` changes that site's activation only."""

    model_config = ConfigDict(extra="forbid")

    first_day: DeskDay | None = None
    last_day: DeskDay | None = None
    site_id: Id | None = Field(
        default=None, description="Change the window at this site only (else the identity's)."
    )

    @model_validator(mode="after")
    def _in_order(self) -> "ValidityIn":
        check_days(self.first_day, self.last_day)
        return self


class ReplaceBadgeIn(BaseModel):
    """The lost badge (one of the person's, not revoked) and the new badge's number."""

    model_config = ConfigDict(extra="forbid")

    lost_credential_id: int = Field(ge=1, le=2**62)
    number: Id
    badge_format: BadgeFormat | None = None

    @model_validator(mode="after")
    def _a_reader_can_produce_it(self) -> "ReplaceBadgeIn":
        problem = badge_number_problem(self.number, self.badge_format)
        if problem is not None:
            raise ValueError(problem)
        return self


def set_standing(*, session: Session, person_id: str, change: StandingIn, actor: str) -> Person:
    """Revoke, suspend or reinstate the person everywhere, with the reason kept and audited.

    Raises:
        NotFoundError: No such person (in the caller's scope).
        ConflictError: The person already has that status.
    """
    person = get_person(session=session, person_id=person_id)
    status = _STATUS_OF[change.action]
    if person.status is status:
        raise ConflictError(f"{person_id} is already {status.value}")
    before = person.status.value
    person.status = status
    person.updated_at = utc_now()
    note = DeskNote(person_id=person_id, action=change.action, reason=change.reason, actor=actor)
    commit_audited(
        session,
        actor=actor,
        action=f"person.{change.action}",
        target=f"person:{person_id}",
        before={"status": before},
        after={"status": status.value, "reason": keyed_hash(change.reason), "via": "desk"},
        rows=[person, note],
        resync=Resync(person.site_id, person_id),
    )
    return person


def change_validity(*, session: Session, person_id: str, change: ValidityIn, actor: str) -> None:
    """Set the identity's (or one site's) window from inclusive days in that site's zone.

    Raises:
        NotFoundError: No such person, or not activated at `site_id`.
    """
    person = get_person(session=session, person_id=person_id)
    site_id = change.site_id or person.site_id
    zone = site_zone(session, site_id)
    valid_from = day_start(change.first_day, zone) if change.first_day else None
    valid_until = until_instant(change.last_day, zone) if change.last_day else None
    row: Person | SiteActivation = person
    if change.site_id is not None:
        activation = activation_at(session=session, person_id=person_id, site_id=site_id)
        if activation is None:
            raise NotFoundError(f"{person_id} is not activated at {site_id!r}")
        row = activation
    before = {"valid_from": _iso(row.valid_from), "valid_until": _iso(row.valid_until)}
    row.valid_from = valid_from
    row.valid_until = valid_until
    person.updated_at = utc_now()
    commit_audited(
        session,
        actor=actor,
        action="person.validity" if change.site_id is None else "person.activation_update",
        target=f"person:{person_id}",
        before={"site_id": change.site_id, **before},
        after={
            "site_id": change.site_id,
            "valid_from": _iso(valid_from),
            "valid_until": _iso(valid_until),
        },
        rows=[person, row],
        resync=Resync(site_id, person_id),
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def replace_lost_badge(
    *, session: Session, person_id: str, change: ReplaceBadgeIn, actor: str
) -> Credential:
    """Revoke the lost badge (reason ``lost``) and bind the new one, as one audited action.

    Raises:
        NotFoundError: The lost badge is not one of this person's badges.
        ConflictError: It is revoked already, or the new number is bound to anyone.
    """
    person = get_person(session=session, person_id=person_id)
    lost = session.get(Credential, change.lost_credential_id)
    if lost is None or lost.person_id != person_id or lost.kind is not CredentialKind.BADGE:
        raise NotFoundError(f"{person_id} has no badge {change.lost_credential_id}")
    if lost.revoked_at is not None:
        raise ConflictError(f"badge {lost.ref!r} is already revoked")
    if is_credential_bound(session=session, kind=CredentialKind.BADGE, ref=change.number):
        raise ConflictError(f"badge {change.number!r} is already in use")
    lost.revoked_at = utc_now()
    new = Credential(
        person_id=person_id,
        kind=CredentialKind.BADGE,
        ref=change.number,
        badge_format=change.badge_format,
        # The replacement is the same entitlement on a new card: the lost badge's window.
        valid_from=lost.valid_from,
        valid_until=lost.valid_until,
    )
    session.add_all([lost, new])
    session.flush()  # the note and the audit row name the new row's id
    commit_audited(
        session,
        actor=actor,
        action="credential.replace_lost",
        target=f"person:{person_id}",
        after={
            "revoked_credential_id": lost.id,
            "revoked_ref": keyed_hash(lost.ref),
            "reason": LOST,
            "credential_id": new.id,
            "ref": keyed_hash(new.ref),
        },
        rows=[
            DeskNote(
                person_id=person_id, action=LOST, reason=LOST, credential_id=lost.id, actor=actor
            )
        ],
        resync=Resync(person.site_id, person_id),
    )
    return new

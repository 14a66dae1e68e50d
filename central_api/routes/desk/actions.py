"""Desk routes for acting on one person (issue 22.3): standing, status, validity, lost badge, erase.

Every change requires the desk role (admins too) and, from the page, the CSRF token
(`central_api.security.csrf`, checked by the role requirement); the domain is
`central_api.enroll.desk`. Changes answer with the person's new standing, so the page
shows what the gates now decide on. Cancelling a pass and the subject-access export are
the routes the desk already had (`passes.cancel`, `people.export`).
"""

from fastapi import APIRouter

from central_api.db import utc_now
from central_api.deps import SessionDep
from central_api.enroll.deps import EnrollSessionDep, GalleryDep
from central_api.enroll.desk.actions import (
    ReplaceBadgeIn,
    StandingIn,
    ValidityIn,
    change_validity,
    replace_lost_badge,
    set_standing,
)
from central_api.enroll.desk.receipt import EraseIn, ErasureReceipt, erase_with_receipt
from central_api.enroll.desk.standing import PersonStanding, person_standing
from central_api.routes.params import IdPath
from central_api.security.auth import DeskUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/enroll/people/{person_id}", tags=["enrollment"])


@router.get("/standing", response_model=PersonStanding)
def standing(person_id: IdPath, session: SessionDep, desk: DeskUser) -> PersonStanding:
    """The person's status everywhere: sites, bans in force, watchlist, badges, passes."""
    return person_standing(session=session, person_id=person_id, now=utc_now())


@router.post("/standing", response_model=PersonStanding)
def change_standing(
    person_id: IdPath, body: StandingIn, session: EnrollSessionDep, desk: DeskUser
) -> PersonStanding:
    """Revoke, suspend or reinstate the person everywhere, with a mandatory reason."""
    set_standing(session=session, person_id=person_id, change=body, actor=desk.actor)
    return person_standing(session=session, person_id=person_id, now=utc_now())


@router.post("/validity", response_model=PersonStanding)
def change_person_validity(
    person_id: IdPath, body: ValidityIn, session: EnrollSessionDep, desk: DeskUser
) -> PersonStanding:
    """Set the validity from inclusive days in the site's time zone (or one site's window)."""
    change_validity(session=session, person_id=person_id, change=body, actor=desk.actor)
    return person_standing(session=session, person_id=person_id, now=utc_now())


@router.post("/lost-badge", response_model=PersonStanding, status_code=201)
def replace_badge(
    person_id: IdPath, body: ReplaceBadgeIn, session: EnrollSessionDep, desk: DeskUser
) -> PersonStanding:
    """Replace a lost badge: the old one revoked (reason "lost") and the new one bound, at once."""
    replace_lost_badge(session=session, person_id=person_id, change=body, actor=desk.actor)
    return person_standing(session=session, person_id=person_id, now=utc_now())


@router.post("/erase", response_model=ErasureReceipt)
def erase_confirmed(
    person_id: IdPath,
    body: EraseIn,
    session: EnrollSessionDep,
    gallery: GalleryDep,
    desk: DeskUser,
) -> ErasureReceipt:
    """Erase the person everywhere once the typed confirmation names them; the receipt."""
    receipt = erase_with_receipt(
        session=session, person_id=person_id, confirm=body, actor=desk.actor
    )
    gallery.forget(person_id)
    return receipt

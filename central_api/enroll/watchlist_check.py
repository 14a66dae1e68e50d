"""An enrollment photo whose face is on the port's watchlist: refused, alarmed and audited.

The desk encodes every photo anyway; screening it against the watchlist gallery (the
gates' own, `central_api.replica.watchlist`) at the gates' strict threshold keeps a banned
person or a person of interest from being enrolled under a new name. The person's own
entry (a flagged person adding a photo) is left out.
"""

import base64

import numpy as np
import numpy.typing as npt
from biometrics import WatchlistGallery
from gate_protocol.messages import AlarmKind
from gate_protocol.thresholds import WATCHLIST_THRESHOLD
from sqlmodel import Session

from central_api.alarms.raise_alarm import raise_alarm
from central_api.audit.chain import append_audit
from central_api.db import utc_now
from central_api.errors import ConflictError
from central_api.models import Person
from central_api.replica.watchlist import watchlist_entries

__all__ = ["refuse_a_watchlisted_face"]


def refuse_a_watchlisted_face(
    *,
    session: Session,
    person: Person,
    encoding: npt.NDArray[np.float32],
    key: bytes,
    actor: str,
) -> None:
    """Raise ConflictError (after committing the alarm and the audit row) on a hit.

    Args:
        session: The desk's session (committed on a hit, untouched otherwise).
        person: Whom the photo is for.
        encoding: The photo's face encoding (128 float32).
        key: The template key (the gallery's templates are decrypted with it).
        actor: The desk user.
    """
    own = f"person:{person.id}"
    now = utc_now()
    entries = [
        e for e in watchlist_entries(session, now, key) if e.entry_id != own and e.in_effect(now)
    ]
    if not entries:
        return
    gallery = WatchlistGallery(
        [e.entry_id for e in entries], [base64.b64decode(e.encoding_b64) for e in entries]
    )
    hit = gallery.screen([encoding], threshold=WATCHLIST_THRESHOLD)
    if hit is None:
        return
    raise_alarm(
        session=session,
        site_id=person.site_id,
        gate_id=None,
        kind=AlarmKind.WATCHLIST,
        person_id=person.id,
        detail=f"enrollment photo of {person.id} matches watchlist entry {hit.entry_id}",
    )
    append_audit(
        session=session,
        actor=actor,
        action="watchlist.enroll_hit",
        target=own,
        after={"entry": hit.entry_id, "distance": round(hit.distance, 3)},
    )
    session.commit()
    raise ConflictError(
        f"the face matches watchlist entry {hit.entry_id}: not enrolled, the port authority"
        " is alerted"
    )

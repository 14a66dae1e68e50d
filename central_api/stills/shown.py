"""The still an operator may see: one "not found" for every case it is not shown, views audited."""

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.db import utc_now
from central_api.errors import NotFoundError
from central_api.models import Alarm, Site
from central_api.stills.ingest import still_aad
from central_api.stills.tables import AlarmStill

__all__ = ["has_still", "shown_still"]

_NOT_SHOWN = "no camera still to show for this alarm"


def _shown_row(session: Session, alarm_id: str) -> AlarmStill | None:
    # The alarm through the (site-scoped) session: another site's alarm is not found.
    alarm = session.exec(select(Alarm).where(Alarm.alarm_id == alarm_id)).first()
    if alarm is None:
        return None
    site = session.get(Site, alarm.site_id)
    if site is None or not site.keep_alarm_stills:
        return None
    return session.exec(
        select(AlarmStill).where(
            AlarmStill.alarm_id == alarm_id,
            AlarmStill.site_id == alarm.site_id,
            col(AlarmStill.expires_at) > utc_now(),
        )
    ).first()


def has_still(*, session: Session, alarm_id: str) -> bool:
    """Whether the context screen has a still to show for `alarm_id` (no audit: no image)."""
    return _shown_row(session, alarm_id) is not None


def shown_still(*, session: Session, alarm_id: str, key: bytes, actor: str) -> bytes:
    """The JPEG of `alarm_id`'s still; the view is audited (one row per view).

    Raises:
        NotFoundError: no such alarm (for this user), its site keeps no stills, the still
            expired or none arrived (one message for all).
    """
    row = _shown_row(session, alarm_id)
    if row is None:
        raise NotFoundError(_NOT_SHOWN)
    jpeg = AESGCM(key).decrypt(row.nonce, row.ciphertext, still_aad(row.alarm_id))
    append_audit(
        session=session,
        actor=actor,
        action="alarm.still_viewed",
        target=f"alarm:{alarm_id}",
        after={"gate_id": row.gate_id, "size": row.size},
    )
    session.commit()
    return jpeg

"""Acknowledging several alarms at once with one comment: all of them or none.

An operator clearing a burst (a reader flapping, a fire drill's held doors) acknowledges
the lot with one comment. Each alarm still gets its own audit row and its own message on
the site's alarm topic, exactly as if acknowledged one by one. Nothing changes unless every
alarm can be acknowledged: an unknown id (or another site's, which the scoped session
hides) or one acknowledged already refuses the whole request and names the culprits.
"""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from central_api.alarms.ack import mark_acknowledged
from central_api.errors import ConflictError, InvalidError, NotFoundError
from central_api.models import Alarm
from central_api.security.auth import UserPrincipal

__all__ = ["MAX_BULK_ACK", "acknowledge_alarms"]

MAX_BULK_ACK = 200
"""The most alarms one request acknowledges (a page of the dashboard's list is less)."""


def _named(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:5])
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _check_request(alarm_ids: Sequence[str], comment: str) -> str:
    text = comment.strip()
    if not text:
        raise InvalidError("a comment is required to acknowledge alarms")
    if not alarm_ids:
        raise InvalidError("no alarms selected")
    if len(alarm_ids) > MAX_BULK_ACK:
        raise InvalidError(f"at most {MAX_BULK_ACK} alarms at once, not {len(alarm_ids)}")
    if len(set(alarm_ids)) != len(alarm_ids):
        raise InvalidError("an alarm is named twice")
    return text


def acknowledge_alarms(
    *, session: Session, alarm_ids: Sequence[str], comment: str, user: UserPrincipal
) -> list[Alarm]:
    """Acknowledge every alarm of `alarm_ids` as `user` with one comment, in one commit.

    Returns:
        The acknowledged alarms, in the order asked.

    Raises:
        InvalidError: no ids, too many, an id twice, or a blank comment.
        NotFoundError: an alarm does not exist (for this user); none is acknowledged.
        ConflictError: an alarm is acknowledged already; none is acknowledged.
    """
    text = _check_request(alarm_ids, comment)
    rows = session.exec(select(Alarm).where(col(Alarm.alarm_id).in_(list(alarm_ids)))).all()
    by_id = {row.alarm_id: row for row in rows}
    missing = [alarm_id for alarm_id in alarm_ids if alarm_id not in by_id]
    if missing:
        raise NotFoundError(f"alarms not found: {_named(missing)}; none acknowledged")
    done = [a for a in alarm_ids if by_id[a].acknowledged_at is not None]
    if done:
        raise ConflictError(f"already acknowledged: {_named(done)}; none acknowledged")
    for alarm_id in alarm_ids:
        # Conditional per row: another operator's acknowledgement meanwhile undoes ours.
        if not mark_acknowledged(session=session, alarm=by_id[alarm_id], comment=text, user=user):
            session.rollback()
            raise ConflictError(f"already acknowledged: {alarm_id} (just now); none acknowledged")
    session.commit()
    for row in rows:
        session.refresh(row)
    return [by_id[alarm_id] for alarm_id in alarm_ids]

"""What the decision-data versions after a generation's touched, read from the triggers' notes.

The triggers of migration 0008 note, with every new version, the person each changed row
belongs to (and a credential's ref), or no one when a shared row changed (a zone, gate,
group, schedule, holiday or key). `read_data_changes` turns the notes between two
versions into `DataChanges` when they touched only people's own rows, so that a process
keeps what it loaded for everyone else (`central_api.decision_data.cache`).
"""

from functools import partial

from sqlmodel import Session, col, select

from central_api.decision_data.cache import ChangeReader, DataChanges
from central_api.models import DecisionDataChange, DecisionDataVersion
from central_api.models.versions import DECISION_CHANGE_KEPT

__all__ = ["change_reader", "read_data_changes", "read_data_version"]


def read_data_version(session: Session) -> int | None:
    """The current decision-data version (None: the row is missing)."""
    return session.exec(
        select(DecisionDataVersion.version).where(DecisionDataVersion.id == 1)
    ).first()


def read_data_changes(session: Session, after: int, upto: int) -> DataChanges | None:
    """The people and credential refs that versions `after` + 1 .. `upto` touched.

    Returns:
        None when anything may have changed: a shared row, or a version without notes
        (pruned, or written before migration 0008).
    """
    if not 0 < upto - after <= DECISION_CHANGE_KEPT:
        return None
    rows = session.exec(
        select(
            DecisionDataChange.version,
            DecisionDataChange.person_id,
            DecisionDataChange.credential_ref,
        ).where(col(DecisionDataChange.version) > after, col(DecisionDataChange.version) <= upto)
    ).all()
    if len({version for version, _, _ in rows}) != upto - after:
        return None
    people: set[str] = set()
    refs: set[str] = set()
    for _, person_id, ref in rows:
        if person_id is None:
            return None
        people.add(person_id)
        if ref is not None:
            refs.add(ref)
    return DataChanges(people=frozenset(people), credential_refs=frozenset(refs))


def change_reader(session: Session) -> ChangeReader:
    """`read_data_changes` through `session`, for `DecisionCache.generation`."""
    return partial(read_data_changes, session)

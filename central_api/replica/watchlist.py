"""The port-wide watchlist gallery: which faces every gate screens, and telling gates it changed.

`watchlist_entries` is the one place that says what the gallery holds; its sources are
unioned there, one function each:

- persons of interest the port authority entered (`PersonOfInterest`), within their period;
- enrolled people with an active `deny` watchlist entry (their face templates): an
  ``alert`` entry only raises an alarm when that person presents, so it does not deny a
  face holding another badge either;
- identities under a port ban not yet ended (`central_api.replica.bans.unended_bans`), with
  their face templates, one entry per ban with its window.

The watchlist is port-wide: every site's replica carries it whole, so a change bumps every
site's replica version (`bump_watchlist`, scope ``watchlist``), and a delta after such a
bump carries the whole gallery again.
"""

import base64
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from gate_protocol.records import WatchlistAction, ban_entry_id, flagged_entry_id
from gate_protocol.replica import WatchlistRecord, WatchlistSource
from sqlmodel import Session, col, select

from central_api.models import FaceTemplate, PersonOfInterest, ReplicaChange, Site, WatchlistEntry
from central_api.replica.bans import ActiveBan, unended_bans
from central_api.replica.versions import bump_replica
from central_api.security.stored_templates import usable_template
from central_api.security.vault import TemplateVaultError, decrypt_template

__all__ = [
    "WATCHLIST_SCOPE",
    "bump_watchlist",
    "has_face",
    "poi_template",
    "watchlist_changed",
    "watchlist_entries",
]

WATCHLIST_SCOPE = "watchlist"
log = logging.getLogger(__name__)


def watchlist_entries(session: Session, now: datetime, key: bytes) -> list[WatchlistRecord]:
    """Every face on the port's watchlist now or later (templates decrypted with `key`).

    Entries with a period (persons of interest, bans) carry it and are left out only once
    ended: gates screen each inside its period (`WatchlistRecord.in_effect`), so one that
    starts or ends takes effect there without a resync. Who screens here filters the same way.
    """
    return [
        *_persons_of_interest(session, now, key),
        *_flagged_people(session, key),
        *_banned_people(session, now, key),
    ]


def has_face(*, session: Session, person_id: str) -> bool:
    """Whether the person has a face template (so a change of their ban moves the gallery)."""
    statement = select(FaceTemplate.id).where(FaceTemplate.person_id == person_id).limit(1)
    return session.exec(statement).first() is not None


def poi_template(*, key: bytes, row: PersonOfInterest) -> bytes:
    """A person of interest's template, decrypted (``poi:<id>`` is the associated data).

    Raises:
        TemplateVaultError: The row does not decrypt with `key`.
    """
    return decrypt_template(
        key=key, person_id=row.entry_id, nonce=row.nonce, ciphertext=row.ciphertext
    )


def _record(
    entry_id: str,
    source: WatchlistSource,
    raw: bytes,
    window: tuple[datetime | None, datetime | None] = (None, None),
) -> WatchlistRecord:
    return WatchlistRecord(
        entry_id=entry_id,
        source=source,
        encoding_b64=base64.b64encode(raw).decode(),
        valid_from=window[0],
        valid_until=window[1],
    )


def _persons_of_interest(session: Session, now: datetime, key: bytes) -> Iterable[WatchlistRecord]:
    rows = session.exec(select(PersonOfInterest).order_by(col(PersonOfInterest.id))).all()
    for row in rows:
        if row.valid_until is not None and now >= row.valid_until:
            continue  # ended (one still to come travels with its period)
        try:
            raw = poi_template(key=key, row=row)
        except TemplateVaultError:
            log.warning("person of interest %s does not decrypt, skipped", row.id)
            continue
        window = (row.valid_from, row.valid_until)
        yield _record(row.entry_id, WatchlistSource.PERSON_OF_INTEREST, raw, window)


def _flagged_people(session: Session, key: bytes) -> Iterable[WatchlistRecord]:
    flagged = session.exec(
        select(WatchlistEntry.person_id).where(
            col(WatchlistEntry.active).is_(True),
            col(WatchlistEntry.action) == WatchlistAction.DENY.value,
        )
    ).all()
    if not flagged:
        return
    rows = session.exec(
        select(FaceTemplate)
        .where(col(FaceTemplate.person_id).in_(sorted(set(flagged))))
        .order_by(col(FaceTemplate.id))
    ).all()
    for row in rows:
        raw = usable_template(key=key, row=row)
        if raw is not None:
            yield _record(flagged_entry_id(row.person_id), WatchlistSource.FLAGGED, raw)


def _banned_people(session: Session, now: datetime, key: bytes) -> Iterable[WatchlistRecord]:
    bans: dict[str, list[ActiveBan]] = defaultdict(list)
    for ban in unended_bans(session, now):
        bans[ban.person_id].append(ban)
    if not bans:
        return
    rows = session.exec(
        select(FaceTemplate)
        .where(col(FaceTemplate.person_id).in_(sorted(bans)))
        .order_by(col(FaceTemplate.id))
    ).all()
    for row in rows:
        raw = usable_template(key=key, row=row)
        if raw is None:
            continue
        for ban in bans[row.person_id]:
            window = (ban.valid_from, ban.valid_until)
            yield _record(ban_entry_id(ban.ban_id), WatchlistSource.BANNED, raw, window)


def bump_watchlist(*, session: Session, reason: str) -> dict[str, int]:
    """Bump every site's replica: each gate must fetch the changed watchlist.

    Returns:
        The new replica version of each site.
    """
    site_ids = list(session.exec(select(Site.id)).all())
    return {
        site_id: bump_replica(
            session=session, site_id=site_id, scope=WATCHLIST_SCOPE, detail={"reason": reason}
        )
        for site_id in site_ids
    }


def watchlist_changed(changes: Sequence[ReplicaChange]) -> bool:
    """Whether any of these replica changes is a watchlist change."""
    return any(change.scope == WATCHLIST_SCOPE for change in changes)

"""Catch up from the hub's feed: every issuer's items after our cursor, pages in order.

Run by the community worker after a gap and every few seconds: whatever the bus lost (a
member away, a broker restarted) comes back through here, and the received log makes a
second delivery a `duplicate`, never a second application.
"""

import logging
from collections.abc import Callable

import httpx
from sqlmodel import Session, col, select

from central_api.community.feed import FeedAnswer, sign_feed_request
from central_api.community.members import CommunityKeys
from central_api.community.receive import ReceiveStatus, receive_item, skip_withheld
from central_api.db import utc_now
from central_api.models.community import CommunityMember, MemberStatus

__all__ = ["catch_up", "fetch_page"]

log = logging.getLogger(__name__)
_MAX_PAGES = 50


def fetch_page(
    http: httpx.Client, feed_url: str, keys: CommunityKeys, *, issuer: str, after: int
) -> httpx.Response:
    """GET one feed page, the request signed with our member key."""
    signed_at = utc_now().isoformat()
    signature = sign_feed_request(
        keys.signing_key,
        member=keys.own_member_id,
        issuer=issuer,
        after=after,
        signed_at=signed_at,
    )
    return http.get(
        f"{feed_url.rstrip('/')}/api/v1/community/feed",
        params={"issuer": issuer, "after": after},
        headers={
            "X-PortGate-Member": keys.own_member_id,
            "X-PortGate-Signed-At": signed_at,
            "X-PortGate-Signature": signature,
        },
    )


def _issuers(session: Session, keys: CommunityKeys) -> list[tuple[str, int]]:
    rows = session.exec(
        select(CommunityMember)
        .where(
            CommunityMember.status == MemberStatus.ACTIVE,
            CommunityMember.id != keys.own_member_id,
        )
        .order_by(col(CommunityMember.id))
    ).all()
    return [(row.id, row.last_received_seq) for row in rows]


def _apply_page(session: Session, keys: CommunityKeys, issuer: str, body: FeedAnswer) -> int:
    items = {item.sequence: item for item in body.items}
    withheld = set(body.withheld)
    applied = 0
    for sequence in sorted(set(items) | withheld):
        if sequence in items:
            status = receive_item(session, items[sequence], keys=keys, commit=False).status
            applied += status is ReceiveStatus.APPLIED
        else:
            skip_withheld(session, issuer=issuer, sequences=[sequence])
    session.commit()  # the page at once: its items and the cursor that moved over them
    return applied


def catch_up(
    sessions: Callable[[], Session], keys: CommunityKeys, *, feed_url: str, http: httpx.Client
) -> int:
    """Fetch and receive every issuer's items after our cursor; how many were applied."""
    applied = 0
    with sessions() as session:
        issuers = _issuers(session, keys)
    for issuer, after in issuers:
        for _ in range(_MAX_PAGES):
            try:
                response = fetch_page(http, feed_url, keys, issuer=issuer, after=after)
            except httpx.HTTPError as exc:
                log.warning("community feed at %s unreachable: %s", feed_url, exc)
                return applied
            if response.status_code != 200:
                break  # e.g. the hub does not know the issuer yet, or we are ahead of it
            body = FeedAnswer.model_validate_json(response.content)
            with sessions() as session:
                applied += _apply_page(session, keys, issuer, body)
                member = session.get(CommunityMember, issuer)
                moved = member is not None and member.last_received_seq > after
                after = member.last_received_seq if member is not None else after
            if not moved or after >= body.last:
                break
    return applied

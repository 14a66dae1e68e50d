"""The purge of stills: expired ones, and every still of a site that no longer keeps them."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import Engine, delete, or_
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.db import utc_now
from central_api.enroll.settings import EnrollSettings
from central_api.models import Site
from central_api.stills.tables import AlarmStill

__all__ = ["purge_expired_stills", "still_purge_lifespan"]

logger = logging.getLogger(__name__)


def purge_expired_stills(*, session: Session, now: datetime | None = None) -> int:
    """Delete stills past their retention or of sites that keep none (audited by count)."""
    at = now or utc_now()
    keeping = select(Site.id).where(col(Site.keep_alarm_stills))
    result = session.exec(
        delete(AlarmStill).where(
            or_(col(AlarmStill.expires_at) <= at, col(AlarmStill.site_id).not_in(keeping))
        )
    )
    count = int(result.rowcount or 0)
    if count:
        append_audit(session=session, actor="system", action="still.purge", after={"stills": count})
    session.commit()
    return count


def _purge_once(engine: Engine) -> int:
    # The session lives and dies in the worker thread (see enroll.purge_timer).
    with Session(engine, expire_on_commit=False) as session:
        return purge_expired_stills(session=session)


async def _purge_forever(app: FastAPI, interval_s: int) -> None:
    while True:
        try:
            count = await asyncio.to_thread(_purge_once, app.state.engine)
            if count:
                logger.info("purged %d camera stills", count)
        except Exception:  # the timer must survive a database hiccup
            logger.exception("camera still purge failed")
        await asyncio.sleep(interval_s)


@asynccontextmanager
async def still_purge_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Purge stills on the photo purge's interval (PORTGATE_PHOTO_PURGE_INTERVAL_S)."""
    task = asyncio.create_task(_purge_forever(app, EnrollSettings().purge_interval_s))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

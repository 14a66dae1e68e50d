"""Enrollment at the security desk: people, photos to templates, badges, passes, privacy.

Mount with ``app.include_router(central_api.enroll.router)``; the router's lifespan runs the
purge of expired kept photos and stale pending faces on a timer. The enrollment tables come
from the Alembic migrations (`portgate db upgrade`), like every other table.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.enroll import desk_page, routes_import, routes_passes, routes_people, routes_photos
from central_api.enroll.privacy import purge_expired
from central_api.enroll.settings import EnrollSettings

__all__ = ["router"]

logger = logging.getLogger(__name__)


def _purge_once(engine: Engine, pending_hours: int) -> dict[str, int]:
    # The session lives and dies in the worker thread: closed from the event loop while the
    # thread was committing (a shutdown cancelling the timer), it raised an error that the
    # timer caught as a database hiccup, so the cancellation was lost and shutdown hung.
    with Session(engine, expire_on_commit=False) as session:
        return purge_expired(session=session, pending_hours=pending_hours)


async def _purge_forever(app: FastAPI, settings: EnrollSettings) -> None:
    while True:
        try:
            counts = await asyncio.to_thread(_purge_once, app.state.engine, settings.pending_hours)
            if any(counts.values()):
                logger.info("purged %s", counts)
        except Exception:  # the timer must survive a database hiccup
            logger.exception("photo purge failed")
        await asyncio.sleep(settings.purge_interval_s)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: EnrollSettings | None = getattr(app.state, "enroll_settings", None)
    if settings is None:
        settings = EnrollSettings()
        app.state.enroll_settings = settings
    task = asyncio.create_task(_purge_forever(app, settings))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


router = APIRouter(lifespan=_lifespan)
for _module in (routes_people, routes_photos, routes_passes, routes_import, desk_page):
    router.include_router(_module.router)

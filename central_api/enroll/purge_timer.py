"""The enrollment purge timer: expired kept photos and stale pending faces, while the app runs."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.enroll.privacy import purge_expired
from central_api.enroll.settings import EnrollSettings

__all__ = ["purge_lifespan"]

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
async def purge_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Purge expired kept photos and stale pending faces on a timer while the app runs."""
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

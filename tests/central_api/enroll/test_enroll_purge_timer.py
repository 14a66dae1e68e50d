"""The photo-purge timer of the enrollment router ends when the app shuts down mid-purge."""

import asyncio
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

import central_api.enroll.purge_timer as enroll
from central_api.enroll.settings import EnrollSettings


def test_a_purge_under_way_does_not_keep_the_timer_alive_at_shutdown(
    monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_purge(*, session: Session, pending_hours: int) -> dict[str, int]:
        # A commit still going on when shutdown cancels the timer.
        event.listen(session, "before_commit", lambda _: (started.set(), release.wait(10)))
        session.exec(select(1))
        session.commit()
        return {"photos": 0}

    monkeypatch.setattr(enroll, "purge_expired", slow_purge)
    app = SimpleNamespace(state=SimpleNamespace(engine=engine))

    async def shutdown_mid_purge() -> bool:
        task = asyncio.create_task(enroll._purge_forever(app, EnrollSettings()))  # type: ignore[arg-type]
        await asyncio.to_thread(started.wait, 10)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=2)
        release.set()
        return task in done and task.cancelled()

    try:
        assert asyncio.run(shutdown_mid_purge()), "the timer swallowed its cancellation"
    finally:
        release.set()

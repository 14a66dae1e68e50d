"""The operator's board served for browser tests: a seeded site with a morning's traffic.

`serve_board` starts one API (uvicorn on a thread, SQLite in a folder) over the seeded
world (`testkit.api.world`) with passages at both gates; the helpers raise alarms, read
what was acknowledged, log a fresh browser context in and keep screenshots (in
PORTGATE_SCREENSHOT_DIR when it is set). Playwright's objects are typed `Any`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from central_api.ingest.store import store_events
from central_api.models import Alarm, AuditEntry, User
from gate_protocol.messages import AlarmKind, Decision
from gate_protocol.reasons import ReasonCode
from testkit.api.dashboard import add_person, make_event
from testkit.api.server import ThreadedApi
from testkit.api.world import PASSWORD, World, seed_world
from testkit.browser import log_in
from testkit.migrated_db import migrate_database

__all__ = [
    "WAIT_MS",
    "Served",
    "ack_audits",
    "acknowledged",
    "alarm_row",
    "open_dashboard",
    "raise_alarms",
    "screenshot",
    "serve_board",
]

WAIT_MS = 15000
"""How long a page wait may take: a loaded machine serves slowly, so wait for states."""


@dataclass
class Served:
    """The served board: its URL, database, seeded world and settings."""

    url: str
    engine: Engine
    world: World
    settings: Settings


def seed_traffic(engine: Engine, world: World) -> None:
    """A morning's passages at both gates, some denied: what the board shows at load."""
    names = ("Ria de Vries", "Jonas Berg", "Eva Lind", "Tom Peeters")
    firms = ("Quay Movers", "Nordic Lashing", "Harbour Logistics", None)
    people = [add_person(engine, world.site, n, f) for n, f in zip(names, firms, strict=True)]
    denied = (Decision.DENIED, ReasonCode.FACE_MISMATCH)
    granted = (Decision.GRANTED, ReasonCode.GRANTED)
    with Session(engine) as session:
        for gate in (world.gate, world.gate2):
            events = [
                make_event(
                    person_id=person,
                    decision=(denied if n % 3 == 2 else granted)[0],
                    reason=(denied if n % 3 == 2 else granted)[1],
                    minutes_ago=40 - 4 * n,
                )
                for n, person in enumerate(people)
            ]
            store_events(session=session, site_id=world.site, gate_id=gate, events=events)
        session.commit()


@contextmanager
def serve_board(folder: Path) -> Iterator[Served]:
    """Serve the seeded board from a database in `folder` until the block ends."""
    url = f"sqlite:///{folder / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    settings = Settings(
        PORTGATE_DEV_MODE=True,  # type: ignore[call-arg]
        DATABASE_URL=url,
        PORTGATE_COOKIE_SECURE=False,
    )
    world = seed_world(engine, settings)
    seed_traffic(engine, world)
    try:
        with ThreadedApi(create_app(settings, engine=engine)) as api:
            yield Served(api.url, engine, world, settings)
    finally:
        engine.dispose()


def raise_alarms(served: Served, count: int, *, gate: str | None = None) -> list[str]:
    """Raise `count` held-door alarms at the world's gate (or `gate`); their ids, oldest first."""
    with Session(served.engine, expire_on_commit=False) as session:
        alarms = [
            raise_alarm(
                session=session,
                site_id=served.world.site,
                gate_id=gate or served.world.gate,
                kind=AlarmKind.HELD,
                detail=f"lane {n} held open",
            )
            for n in range(count)
        ]
        session.commit()
    return [alarm.alarm_id for alarm in alarms]


def acknowledged(served: Served, ids: list[str]) -> dict[str, str | None]:
    """Each alarm's acknowledgement comment (None: still open)."""
    with Session(served.engine) as session:
        rows = session.exec(select(Alarm).where(col(Alarm.alarm_id).in_(ids))).all()
        return {row.alarm_id: row.ack_comment for row in rows}


def ack_audits(served: Served) -> int:
    """How many acknowledgements the audit log holds."""
    with Session(served.engine) as session:
        return len(session.exec(select(AuditEntry).where(AuditEntry.action == "alarm.ack")).all())


def open_dashboard(
    chrome: Any, served: Served, *, username: str = "operator-user", **context: Any
) -> Any:
    """A fresh browser context logged in (the operator by default), in English."""
    with Session(served.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        user.locale = None
        session.add(user)
        session.commit()
    page = chrome.new_context(locale="en-US", **context).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    log_in(page, served.url, username, PASSWORD, timeout_ms=WAIT_MS)
    page.wait_for_selector("#conn-state[data-state='live']", timeout=WAIT_MS)
    return page


def alarm_row(page: Any, alarm_id: str) -> Any:
    """The dashboard's row of `alarm_id`."""
    return page.locator(f"#alarm-list li[data-alarm-id='{alarm_id}']")


def screenshot(page: Any, tmp_path: Path, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG of `page` as `name` (copied to PORTGATE_SCREENSHOT_DIR when set)."""
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=full_page)
    keep = os.environ.get("PORTGATE_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    print(f"screenshot: {path}")  # noqa: T201 (the reviewer opens it)
    return path

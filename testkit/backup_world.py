"""A populated database for the backup tests, writes that go on meanwhile, and fingerprints.

`populate` leaves people with badges and face templates, a suspended person, gates and
stored events (through ingest, so they are in the audit chain); `KeepWriting` enrols one
person after another on a thread until stopped (each one audited); `fingerprint` says
whether a target database changed at all.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlmodel import Session

from central_api.backup.inventory import read_inventory
from central_api.config import Settings
from central_api.crud.people import add_face_template, update_person
from central_api.db import make_engine, utc_now
from central_api.ingest.store import store_events
from central_api.models import PersonUpdate
from gate_protocol.records import PersonStatus
from testkit.api.decisions import enroll
from testkit.api.enrollment import random_template
from testkit.api.world import World, make_event, seed_world

__all__ = ["KeepWriting", "Populated", "fingerprint", "populate"]


@dataclass(frozen=True)
class Populated:
    """What `populate` made: the world, the badges by role, the face template's bytes."""

    world: World
    granted: str
    suspended: str
    template: bytes


def populate(engine: Engine, settings: Settings) -> Populated:
    """Seed sites, gates, people with badges and a face template, and stored events."""
    world = seed_world(engine, settings)
    person = enroll(engine, world, badge="A1")
    suspended = enroll(engine, world, badge="B2")
    template = random_template(7)
    with Session(engine, expire_on_commit=False) as session:
        add_face_template(
            session=session,
            person_id=person,
            template=template,
            quality=0.9,
            key=settings.template_key_bytes(),
            actor="test",
        )
        update_person(
            session=session,
            person_id=suspended,
            person_update=PersonUpdate(status=PersonStatus.SUSPENDED),
            actor="test",
        )
        now = utc_now()
        events = [
            make_event(n, occurred_at=now - timedelta(minutes=30 - n), person_id=person)
            for n in range(20)
        ]
        store_events(session=session, site_id=world.site, gate_id=world.gate, events=events)
        session.commit()
    return Populated(world=world, granted="A1", suspended="B2", template=template)


class KeepWriting:
    """Enrol people on a thread until `stop` (the API's writes during a backup)."""

    def __init__(self, engine: Engine, world: World) -> None:
        self._engine, self._world = engine, world
        self._stop = threading.Event()
        self.written = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> KeepWriting:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.is_set():
            enroll(self._engine, self._world, badge=f"C{self.written:05d}")
            self.written += 1


def fingerprint(url: str) -> object:
    """What the database at `url` holds: a SQLite file's bytes' SHA-256, else its inventory."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    engine = make_engine(url, pool_size=1) if url.startswith("postgresql") else create_engine(url)
    try:
        with engine.connect() as connection:
            try:
                return read_inventory(connection)
            except Exception:  # noqa: BLE001 - an empty database has no revision
                return "empty"
    finally:
        engine.dispose()

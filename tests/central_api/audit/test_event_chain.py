"""Stored events in the hash chain: `portgate audit verify` names each tampered event.

Every kind of tampering is done the way a database owner would, with raw SQL on SQLite and
on PostgreSQL: an edited reason, score or time, a deleted row, an inserted row, an edit
whose stored leaf is rewritten too, an event id changed.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

from central_api.audit import event_chain
from central_api.audit.chain import verify_chain
from central_api.audit.event_chain import (
    EVENT_BATCH_ACTION,
    EVENT_LEAF_FIELDS,
    event_leaf,
    seal_uncovered_events,
    verify_events,
)
from central_api.audit.merkle import leaf_hash, merkle_root, node_hash
from central_api.dashboard.views import event_view
from central_api.ingest.store import store_event_batch
from central_api.models import AccessEventRecord, AuditEntry, Role
from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode
from portgate.cli import app as cli
from testkit.api.world import World, make_event


def rfc6962_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 section 2.1 as written: split at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(rfc6962_root(leaves[:k]), rfc6962_root(leaves[k:]))


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17])
def test_the_merkle_root_is_rfc_6962s(count: int) -> None:
    leaves = [leaf_hash(f"event {n}".encode()) for n in range(count)]
    assert merkle_root(leaves) == rfc6962_root(leaves)


def test_a_leaf_cannot_pass_as_a_node() -> None:
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    # The two children's hashes presented as one leaf's data give another hash.
    assert leaf_hash(a + b) != node_hash(a, b)
    assert merkle_root([a, b]) != merkle_root([b, a])


def store_batches(engine: Engine, world: World) -> None:
    """Three batches (two, three and one events), ev-1 to ev-6, one with face figures."""
    batches = [
        [1, 2],
        [3, 4, 5],
        [6],
    ]
    for numbers in batches:
        events = [
            (
                world.site,
                world.gate,
                make_event(
                    n,
                    face_score=0.31,
                    liveness_score=0.9,
                    face_model="dlib_resnet_v1/68pt",
                    face_threshold=0.54,
                ),
            )
            for n in numbers
        ]
        with Session(engine) as session:
            store_event_batch(session=session, events=events)
            session.commit()


def sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement), params)


def problems(engine: Engine) -> list[str]:
    with Session(engine) as session:
        assert verify_chain(session=session).ok  # the chain itself was not touched
        return verify_events(session=session).problems


def test_each_batch_is_one_audit_entry_with_its_merkle_root(world: World, engine: Engine) -> None:
    store_batches(engine, world)
    with Session(engine) as session:
        entries = session.exec(
            select(AuditEntry).where(col(AuditEntry.action) == EVENT_BATCH_ACTION)
        ).all()
        rows = {r.event_id: r for r in session.exec(select(AccessEventRecord)).all()}
        verdict = verify_events(session=session)
    assert [e.target for e in entries] == [
        "access_event:2",
        "access_event:3",
        "access_event:1",
    ]
    assert (verdict.ok, verdict.checked, verdict.batches, verdict.not_covered) == (True, 6, 3, 0)
    # The face decision's model and threshold are stored, and the stored leaf is the row's.
    assert (rows["ev-4"].face_model, rows["ev-4"].face_threshold) == ("dlib_resnet_v1/68pt", 0.54)
    assert rows["ev-4"].chain_leaf == event_leaf(rows["ev-4"].model_dump())
    # ...and the dashboard's event detail shows them.
    shown = event_view(rows["ev-4"], person=None)
    assert (shown["face_model"], shown["face_threshold"]) == ("dlib_resnet_v1/68pt", 0.54)


def test_a_replayed_event_adds_no_batch(world: World, engine: Engine) -> None:
    store_batches(engine, world)
    with Session(engine) as session:
        replayed = [(world.site, world.gate, make_event(2))]
        result = store_event_batch(session=session, events=replayed)
        session.commit()
        batches = session.exec(
            select(AuditEntry).where(col(AuditEntry.action) == EVENT_BATCH_ACTION)
        ).all()
        assert verify_events(session=session).ok
    assert (result.stored, len(batches)) == (0, 3)


@pytest.mark.parametrize(
    ("statement", "params", "expected"),
    [
        (
            "UPDATE access_event SET reason = :reason, decision = :decision "
            "WHERE event_id = 'ev-4'",
            {"reason": ReasonCode.GRANTED.value, "decision": Decision.GRANTED.value},
            None,  # filled below: the row's own values differ, see test body
        ),
        ("UPDATE access_event SET face_score = 0.2 WHERE event_id = 'ev-4'", {}, None),
        ("UPDATE access_event SET face_threshold = 0.9 WHERE event_id = 'ev-4'", {}, None),
        ("UPDATE access_event SET face_model = 'other' WHERE event_id = 'ev-4'", {}, None),
        ("UPDATE access_event SET occurred_at = :at WHERE event_id = 'ev-4'", {}, "time"),
        ("UPDATE access_event SET decided_by = 'replica' WHERE event_id = 'ev-4'", {}, None),
        ("UPDATE access_event SET replica_version = 7 WHERE event_id = 'ev-4'", {}, None),
    ],
    ids=["reason", "score", "threshold", "model", "time", "decided_by", "replica_version"],
)
def test_an_edited_field_names_its_event(
    world: World, engine: Engine, statement: str, params: dict[str, object], expected: str | None
) -> None:
    store_batches(engine, world)
    if expected == "time":
        params = {"at": datetime(2026, 11, 22, 9, 30, tzinfo=UTC)}
    if "reason" in params:
        # The stored event was granted; the edit turns it into a denial.
        params = {"reason": ReasonCode.REVOKED.value, "decision": Decision.DENIED.value}
    sql(engine, statement, **params)
    assert problems(engine) == ["event ev-4: edited (its fields no longer match its leaf)"]


def test_an_edit_with_its_leaf_rewritten_breaks_the_batch_root(
    world: World, engine: Engine
) -> None:
    store_batches(engine, world)
    sql(engine, "UPDATE access_event SET reason = 'revoked' WHERE event_id = 'ev-4'")
    with Session(engine) as session:
        row = session.exec(
            select(AccessEventRecord).where(AccessEventRecord.event_id == "ev-4")
        ).one()
        forged = event_leaf(row.model_dump())
    sql(engine, "UPDATE access_event SET chain_leaf = :leaf WHERE event_id = 'ev-4'", leaf=forged)
    found = problems(engine)
    assert len(found) == 1
    assert "3 events do not match the recorded Merkle root" in found[0]


def test_a_deleted_row_is_named(world: World, engine: Engine) -> None:
    store_batches(engine, world)
    sql(engine, "DELETE FROM access_event WHERE event_id = 'ev-6'")
    found = problems(engine)
    assert len(found) == 1
    assert found[0].startswith("event ev-6: deleted (batch at audit seq")


def copy_row(engine: Engine, *, source: str, event_id: str) -> None:
    """INSERT a copy of a stored event under another id (every column but the key)."""
    table = SQLModel.metadata.tables[AccessEventRecord.__tablename__]
    names = [c.name for c in table.columns if c.name not in {"id", "event_id"}]
    listed = ", ".join(names)
    sql(
        engine,
        f"INSERT INTO access_event (event_id, {listed}) "  # noqa: S608 (column names ours)
        f"SELECT :new, {listed} FROM access_event WHERE event_id = :old",
        new=event_id,
        old=source,
    )


def test_an_inserted_row_is_named(world: World, engine: Engine) -> None:
    store_batches(engine, world)
    copy_row(engine, source="ev-2", event_id="ev-forged")
    assert problems(engine) == ["event ev-forged: inserted (no batch in the audit chain covers it)"]


def test_a_changed_event_id_is_an_insertion_and_a_deletion(world: World, engine: Engine) -> None:
    store_batches(engine, world)
    sql(engine, "UPDATE access_event SET event_id = 'ev-99' WHERE event_id = 'ev-3'")
    found = problems(engine)
    assert found[0] == "event ev-99: inserted (no batch in the audit chain covers it)"
    assert found[1].startswith("event ev-3: deleted")
    assert len(found) == 2


def add_rows_before_coverage(engine: Engine) -> None:
    """What a database migrated from before 0022 holds: rows without leaf or batch entry,
    with ids below the first covered row's, as they would be."""
    copy_row(engine, source="ev-1", event_id="old-1")
    copy_row(engine, source="ev-1", event_id="old-2")
    sql(engine, "UPDATE access_event SET chain_leaf = NULL WHERE event_id LIKE 'old-%'")
    sql(engine, "UPDATE access_event SET id = id + 1000")
    sql(engine, "UPDATE access_event SET id = 1 WHERE event_id = 'old-1'")
    sql(engine, "UPDATE access_event SET id = 2 WHERE event_id = 'old-2'")


def test_events_stored_before_coverage_are_reported_then_sealed_once(
    world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_batches(engine, world)
    add_rows_before_coverage(engine)
    with Session(engine) as session:
        verdict = verify_events(session=session)
    assert (verdict.ok, verdict.not_covered, verdict.checked) == (True, 2, 8)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    reported = runner.invoke(cli, ["audit", "verify"])
    assert reported.exit_code == 0, reported.output
    assert "2 events not covered (before 20" in reported.output
    sealed = runner.invoke(cli, ["audit", "seal-events"])
    assert sealed.exit_code == 0
    assert sealed.output == "sealed 2 events stored before coverage began\n"
    with Session(engine) as session:
        verdict = verify_events(session=session)
    assert (verdict.ok, verdict.not_covered, verdict.batches, verdict.sealed) == (True, 0, 4, True)
    # Once only: a second seal would cover whatever was inserted since, so it is refused.
    again = runner.invoke(cli, ["audit", "seal-events"])
    assert again.exit_code == 1
    assert "sealed already" in again.output
    # A sealed old row edited is named like any other.
    sql(engine, "UPDATE access_event SET reason = 'revoked' WHERE event_id = 'old-2'")
    assert problems(engine) == ["event old-2: edited (its fields no longer match its leaf)"]


def test_after_the_seal_a_row_with_a_low_id_is_an_insertion(world: World, engine: Engine) -> None:
    store_batches(engine, world)
    add_rows_before_coverage(engine)
    with Session(engine) as session:
        assert seal_uncovered_events(session=session) == 2
        session.commit()
    # Inserted below every id (0 and negative ids too are read).
    copy_row(engine, source="ev-2", event_id="ev-hidden")
    sql(engine, "UPDATE access_event SET id = -5 WHERE event_id = 'ev-hidden'")
    assert problems(engine) == ["event ev-hidden: inserted (no batch in the audit chain covers it)"]


def test_audit_verify_fails_and_names_the_event(
    world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_batches(engine, world)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    intact = runner.invoke(cli, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "events intact: 6 events in 3 batches" in intact.output
    sql(engine, "UPDATE access_event SET liveness_score = 0.99 WHERE event_id = 'ev-5'")
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "event tampering: event ev-5: edited" in broken.output
    assert "events BROKEN: 1 problems in 6 events" in broken.output


def test_the_verify_route_reports_the_events_too(
    client: TestClient, world: World, engine: Engine
) -> None:
    store_batches(engine, world)
    admin = world.user(Role.ADMIN)
    intact = client.get("/api/v1/audit/verify", headers=admin).json()
    assert (intact["ok"], intact["events_ok"], intact["events_checked"]) == (True, True, 6)
    sql(engine, "DELETE FROM access_event WHERE event_id = 'ev-1'")
    broken = client.get("/api/v1/audit/verify", headers=admin).json()
    assert (broken["ok"], broken["events_ok"]) == (False, False)
    assert broken["event_problems"][0].startswith("event ev-1: deleted")


def test_a_batch_keeps_the_fields_it_was_sealed_with(
    world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Events stored while the leaf had one field fewer, then the leaf grows (a new column):
    # the older batches are checked with their own fields and still hold.
    shorter = tuple(f for f in EVENT_LEAF_FIELDS if f != "face_threshold")
    monkeypatch.setattr(event_chain, "EVENT_LEAF_FIELDS", shorter)
    monkeypatch.setattr(event_chain.event_leaf, "__defaults__", (shorter,))
    store_batches(engine, world)
    monkeypatch.undo()
    with Session(engine) as session:
        store_event_batch(session=session, events=[(world.site, world.gate, make_event(7))])
        session.commit()
        entries = session.exec(
            select(AuditEntry).where(col(AuditEntry.action) == EVENT_BATCH_ACTION)
        ).all()
        assert [len(json.loads(e.after or "{}")["fields"]) for e in entries] == [24, 24, 24, 25]
        assert verify_events(session=session).ok
    sql(engine, "UPDATE access_event SET face_threshold = 0.7 WHERE event_id = 'ev-7'")
    assert problems(engine) == ["event ev-7: edited (its fields no longer match its leaf)"]

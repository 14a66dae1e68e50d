"""The demo's self-check: an announced alarm or reason holds, or one line names the miss."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from central_api.db import make_engine
from central_api.models import AccessEventRecord, Alarm
from gate_protocol.messages import (
    AlarmKind,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
)
from gate_protocol.reasons import ReasonCode
from portgate.demo.expect import Expectations


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    tables = [SQLModel.metadata.tables[name] for name in ("alarm", "access_event")]
    SQLModel.metadata.create_all(made, tables=tables)
    yield made
    made.dispose()


def alarm(engine: Engine, *, gate: str, kind: AlarmKind) -> None:
    with Session(engine) as session:
        number = len(session.exec(select(Alarm)).all())
        session.add(
            Alarm(
                alarm_id=f"a-{number}",
                site_id="demo-port",
                gate_id=gate,
                kind=kind,
                raised_at=datetime.now(UTC),
            )
        )
        session.commit()


def event(engine: Engine, *, ref: str, reason: ReasonCode) -> None:
    with Session(engine) as session:
        session.add(
            AccessEventRecord(
                event_id=f"e-{ref}-{reason.value}",
                site_id="demo-port",
                gate_id="staff-1",
                agent_seq=1,
                occurred_at=datetime.now(UTC),
                lane=0,
                direction=Direction.ENTRY,
                decision=Decision.GRANTED if reason is ReasonCode.GRANTED else Decision.DENIED,
                reason=reason,
                credential_kind=CredentialKind.BADGE,
                credential_ref=ref,
                decided_by=DecidedBy.CENTRAL,
                liveness_score=0.16,
                face_score=0.25,
            )
        )
        session.commit()


def test_a_forced_alarm_after_the_mark_holds(engine: Engine) -> None:
    said: list[str] = []
    expect = Expectations(engine=engine, say=said.append, timeout_s=5)
    since = expect.mark_alarms()
    alarm(engine, gate="staff-1", kind=AlarmKind.FORCED)
    held = expect.check_alarm(step="door", gate="staff-1", since=since, expected=AlarmKind.FORCED)
    assert held and expect.failures == [] and expect.checked == 1
    assert said == ["as expected: forced alarm (door)"]


def test_a_missing_alarm_is_named_in_one_line(engine: Engine) -> None:
    said: list[str] = []
    expect = Expectations(engine=engine, say=said.append, timeout_s=0.3)
    alarm(engine, gate="staff-1", kind=AlarmKind.FORCED)  # before the mark: not this step's
    since = expect.mark_alarms()
    alarm(engine, gate="truck-1", kind=AlarmKind.FORCED)  # another gate
    alarm(engine, gate="staff-1", kind=AlarmKind.LIVENESS)  # another kind
    held = expect.check_alarm(step="door", gate="staff-1", since=since, expected=AlarmKind.FORCED)
    assert not held and expect.checked == 1
    assert expect.failures == ["EXPECTED a forced alarm, GOT none within 0 s (door)"]
    assert said == expect.failures


def test_a_liveness_refusal_is_reported_with_its_scores_and_a_grant_is_a_miss(
    engine: Engine,
) -> None:
    said: list[str] = []
    expect = Expectations(engine=engine, say=said.append, timeout_s=2)
    since = expect.mark()
    event(engine, ref="40001", reason=ReasonCode.LIVENESS_FAILED)
    event(engine, ref="40002", reason=ReasonCode.GRANTED)
    assert expect.check(
        step="print", gate="staff-1", ref="40001", since=since, expected=ReasonCode.LIVENESS_FAILED
    )
    assert said[-1] == (
        "as expected: liveness_failed (print) [face score 0.25, liveness score 0.16]"
    )
    assert not expect.check(
        step="print 2",
        gate="staff-1",
        ref="40002",
        since=since,
        expected=ReasonCode.LIVENESS_FAILED,
    )
    assert expect.failures == ["EXPECTED liveness_failed, GOT granted (print 2)"]

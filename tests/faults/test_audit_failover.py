"""The audit chain across a PostgreSQL failover: why the standby must be synchronous.

The chain's head is published outside the database (docs/production.md, "Audit"). With
asynchronous streaming replication a commit returns before the standby has it; if the
primary dies then, the promoted standby lacks the last rows, the next append reuses their
seq with another hash, and a head published before the crash no longer matches: the chain
has forked. With the standby named in ``synchronous_standby_names`` the commit waits for
it (and stays invisible to other sessions, so no head names it), the failover loses
nothing that anyone saw, and every published head still matches.

The standby is made to lag by stopping the primary's WAL sender (SIGSTOP), deterministically.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.audit.anchor import current_head, verify_against_heads
from central_api.audit.chain import append_audit, verify_chain
from central_api.db import make_engine
from central_api.migrate import upgrade_database
from gate_protocol.messages import AuditHead
from testkit.faults.pg_standby import PgPair, start_pair, stop_pair
from testkit.polling import wait_until
from testkit.postgres import postgres_available

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture(params=[False, True], ids=["asynchronous", "synchronous"])
def pair(request: pytest.FixtureRequest) -> Iterator[PgPair]:
    if not postgres_available():
        pytest.skip("PostgreSQL server binaries are not installed")
    pair = start_pair(synchronous=request.param)
    try:
        yield pair
    finally:
        stop_pair(pair)


def _append(engine: Engine, action: str) -> None:
    with Session(engine) as session:
        append_audit(session=session, actor="system", action=action, target="test")
        session.commit()


def _head(engine: Engine) -> AuditHead:
    with Session(engine) as session:
        return current_head(session)


def test_a_failover_forks_the_chain_only_without_a_synchronous_standby(pair: PgPair) -> None:
    synchronous = pair.standby.name in _sync_names(pair)
    url = pair.create_database("audit")
    upgrade_database(url)
    engine = make_engine(url)
    for n in range(3):
        _append(engine, f"before.{n}")
    published = [_head(engine)]
    pair.wait_caught_up()  # the standby holds everything so far, even when asynchronous
    # WAL the sender has not sent is what a lagging standby lacks (WAL already in the
    # standby's socket buffer would still reach it after the crash).
    os.kill(pair.primary.sender_pid(), signal.SIGSTOP)
    outcome: list[str] = []

    def late_commit() -> None:
        try:
            _append(engine, "late")
            outcome.append("committed")
        except Exception as exc:  # the primary dies under it
            outcome.append(type(exc).__name__)

    writer = threading.Thread(target=late_commit)
    writer.start()
    writer.join(timeout=2)
    # What the API's head publisher would publish now.
    published.append(_head(engine))
    pair.primary.kill9()
    writer.join(timeout=30)
    pair.standby.promote()
    assert wait_until(lambda: _try_append(engine), 30, interval=0.2)

    with Session(engine) as session:
        assert verify_chain(session=session).ok  # each node's chain is consistent
        anchored = verify_against_heads(session, published)
    if synchronous:
        assert outcome and outcome[0] != "committed", "a commit was confirmed without the standby"
        assert published[1].seq == published[0].seq == 3
        assert anchored.ok, anchored.message
    else:
        assert outcome == ["committed"]
        assert published[1].seq == 4
        assert not anchored.ok and anchored.broken_seq == 4, anchored.message
    engine.dispose()


def _try_append(engine: Engine) -> bool:
    try:
        _append(engine, "after.failover")
    except Exception:
        return False
    return True


def _sync_names(pair: PgPair) -> str:
    import psycopg

    conninfo = f"host=127.0.0.1 port={pair.primary.port} user=postgres dbname=postgres"
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SHOW synchronous_standby_names").fetchone()
    return str(row[0]) if row else ""

import sqlite3
from pathlib import Path

import pytest

from gate_agent.outbox.rows import OutboxFull
from gate_agent.outbox.store import Outbox
from gate_protocol.messages import AccessEvent
from testkit.agent.doubles import make_event as event


def test_sequence_numbers_grow_and_survive_reopening(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=100)
    first = outbox.events.append(event)
    second = outbox.events.append(event)
    assert (first.agent_seq, second.agent_seq) == (1, 2)
    outbox.events.mark_confirmed([1, 2])
    outbox.close()
    reopened = Outbox(tmp_path / "o.db", max_unsent=100)
    assert reopened.events.append(event).agent_seq == 3
    assert reopened.events.last_seq() == 3


def test_database_is_wal_with_full_sync(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    assert outbox._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert outbox._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_pending_and_mark_published(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=100)
    for _ in range(5):
        outbox.events.append(event)
    assert [p.seq for p in outbox.events.pending(limit=3)] == [1, 2, 3]
    assert [p.seq for p in outbox.events.pending(limit=10, after_seq=3)] == [4, 5]
    assert outbox.events.mark_published([2, 4], at=1000.0) == 2
    assert outbox.events.mark_published([2], at=1001.0) == 0  # already published
    assert outbox.events.unsent == 3
    assert [p.seq for p in outbox.events.pending(limit=10)] == [1, 3, 5]
    # A PUBACK is not the API's word: the bound still counts them.
    assert outbox.events.unconfirmed == 5


def test_published_events_wait_for_the_grace_period(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=100)
    for _ in range(4):
        outbox.events.append(event)
    outbox.events.mark_published([1, 2], at=1000.0)
    outbox.events.mark_published([3], at=1010.0)
    assert outbox.events.published_unconfirmed(limit=10, published_before=999.0) == []
    due = outbox.events.published_unconfirmed(limit=10, published_before=1005.0)
    assert [p.seq for p in due] == [1, 2]
    assert [p.message.agent_seq for p in due] == [1, 2]
    events = outbox.events
    assert [p.seq for p in events.published_unconfirmed(limit=1, published_before=2e9)] == [1]
    assert [p.seq for p in events.published_unconfirmed(limit=9, published_before=2e9)] == [1, 2, 3]


def test_confirmation_from_either_state(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=100)
    for _ in range(4):
        outbox.events.append(event)
    outbox.events.mark_published([1, 2], at=1000.0)
    # 1 published -> confirmed; 3 unsent -> confirmed (the HTTP batch answer); 9 is not there.
    assert outbox.events.mark_confirmed([1, 3, 9]) == 2
    assert outbox.events.mark_confirmed([1, 3]) == 0
    assert (outbox.events.unsent, outbox.events.unconfirmed) == (1, 2)
    assert [p.seq for p in outbox.events.pending(limit=10)] == [4]
    due = outbox.events.published_unconfirmed(limit=10, published_before=2e9)
    assert [p.seq for p in due] == [2]
    # A confirmed event is never published again, nor asked about again.
    assert outbox.events.mark_published([3], at=1001.0) == 0
    outbox.close()
    reopened = Outbox(tmp_path / "o.db", max_unsent=100)
    assert (reopened.events.unsent, reopened.events.unconfirmed) == (1, 2)


def test_only_confirmed_events_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gate_agent.outbox.rows._KEEP_CONFIRMED", 2)
    outbox = Outbox(tmp_path / "o.db", max_unsent=100)
    for _ in range(8):
        outbox.events.append(event)
    outbox.events.mark_published(range(1, 9), at=1000.0)
    outbox.events.mark_confirmed([1, 2, 3, 7, 8])
    seqs = [row[0] for row in outbox._db.execute("SELECT seq FROM events ORDER BY seq")]
    # Unconfirmed 4..6 stay however old; confirmed rows are kept only among the last two.
    assert seqs == [4, 5, 6, 7, 8]


def test_full_counts_published_but_unconfirmed_events(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=2)
    outbox.events.append(event)
    outbox.events.append(event)
    outbox.events.mark_published([1, 2], at=1000.0)
    assert outbox.events.unsent == 0 and outbox.events.full
    with pytest.raises(OutboxFull):
        outbox.events.append(event)
    outbox.events.mark_confirmed([1])
    assert not outbox.events.full
    assert outbox.events.append(event).agent_seq == 3


_OLD_SCHEMA = """
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_unsent ON events (sent, seq);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def test_an_outbox_from_before_confirmation_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(_OLD_SCHEMA)
        for seq, sent in ((1, 1), (2, 1), (3, 0)):
            db.execute(
                "INSERT INTO events (seq, event_id, payload, sent) VALUES (?, ?, ?, ?)",
                (seq, f"e{seq}", event(seq).model_dump_json(), sent),
            )
        db.execute("INSERT INTO counters VALUES ('seq', 3)")
    outbox = Outbox(path, max_unsent=100)
    columns = {row[1] for row in outbox._db.execute("PRAGMA table_info(events)")}
    assert {"published_at", "confirmed"} <= columns
    # Rows the old agent marked sent were only PUBACKed: unconfirmed, and due at once.
    assert (outbox.events.unsent, outbox.events.unconfirmed) == (1, 3)
    due = outbox.events.published_unconfirmed(limit=10, published_before=0.0)
    assert [p.seq for p in due] == [1, 2]
    assert outbox.events.append(event).agent_seq == 4
    outbox.close()
    # Opening it again changes nothing.
    again = Outbox(path, max_unsent=100)
    assert (again.events.unsent, again.events.unconfirmed) == (2, 4)


def test_full_outbox_refuses_but_keeps_room_for_denials(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=3)
    for _ in range(3):
        outbox.events.append(event)
    assert outbox.events.full
    with pytest.raises(OutboxFull):
        outbox.events.append(event)
    assert outbox.events.append(event, reserve=1).agent_seq == 4
    with pytest.raises(OutboxFull):
        outbox.events.append(event, reserve=1)
    assert outbox.events.unsent == outbox.events.unconfirmed == 4


def test_failed_build_takes_no_sequence_number(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)

    def broken(seq: int) -> AccessEvent:
        raise ValueError("bad event")

    with pytest.raises(ValueError, match="bad event"):
        outbox.events.append(broken)
    assert outbox.events.append(event).agent_seq == 1
    assert outbox.events.unsent == 1


def test_duplicate_event_id_is_refused(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    outbox.events.append(lambda seq: event(seq, "same"))
    with pytest.raises(Exception, match="UNIQUE"):
        outbox.events.append(lambda seq: event(seq, "same"))
    assert outbox.events.unsent == 1 and outbox.events.last_seq() == 1


def test_drafts_become_events_once(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=1)
    outbox.events.append(event)
    outbox.save_draft("cmd1", event(0, "draft-event"))
    outbox.close()
    reopened = Outbox(tmp_path / "o.db", max_unsent=1)
    drafts = reopened.drafts()
    assert [(cid, e.event_id) for cid, e in drafts] == [("cmd1", "draft-event")]
    # Even a full outbox records an opening that already happened.
    recorded = reopened.finish_draft("cmd1", lambda seq: event(seq, "draft-event"))
    assert recorded.agent_seq == 2
    assert reopened.drafts() == []

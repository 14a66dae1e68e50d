from pathlib import Path

import pytest
from agent_support import make_event as event

from gate_agent.outbox import Outbox, OutboxFull
from gate_protocol.messages import AccessEvent


def test_sequence_numbers_grow_and_survive_reopening(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=100)
    first = outbox.append(event)
    second = outbox.append(event)
    assert (first.agent_seq, second.agent_seq) == (1, 2)
    outbox.mark_sent([1, 2])
    outbox.close()
    reopened = Outbox(tmp_path / "o.db", max_unsent=100)
    assert reopened.append(event).agent_seq == 3
    assert reopened.last_seq() == 3


def test_database_is_wal_with_full_sync(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    assert outbox._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert outbox._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_pending_and_mark_sent(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=100)
    for _ in range(5):
        outbox.append(event)
    assert [p.seq for p in outbox.pending(limit=3)] == [1, 2, 3]
    assert [p.seq for p in outbox.pending(limit=10, after_seq=3)] == [4, 5]
    assert outbox.mark_sent([2, 4]) == 2
    assert outbox.mark_sent([2]) == 0  # already sent
    assert outbox.unsent == 3
    assert [p.seq for p in outbox.pending(limit=10)] == [1, 3, 5]


def test_full_outbox_refuses_but_keeps_room_for_denials(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=3)
    for _ in range(3):
        outbox.append(event)
    assert outbox.full
    with pytest.raises(OutboxFull):
        outbox.append(event)
    assert outbox.append(event, reserve=1).agent_seq == 4
    with pytest.raises(OutboxFull):
        outbox.append(event, reserve=1)
    assert outbox.unsent == 4


def test_failed_build_takes_no_sequence_number(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)

    def broken(seq: int) -> AccessEvent:
        raise ValueError("bad event")

    with pytest.raises(ValueError, match="bad event"):
        outbox.append(broken)
    assert outbox.append(event).agent_seq == 1
    assert outbox.unsent == 1


def test_duplicate_event_id_is_refused(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=10)
    outbox.append(lambda seq: event(seq, "same"))
    with pytest.raises(Exception, match="UNIQUE"):
        outbox.append(lambda seq: event(seq, "same"))
    assert outbox.unsent == 1 and outbox.last_seq() == 1


def test_drafts_become_events_once(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=1)
    outbox.append(event)
    outbox.save_draft("cmd1", event(0, "draft-event"))
    outbox.close()
    reopened = Outbox(tmp_path / "o.db", max_unsent=1)
    drafts = reopened.drafts()
    assert [(cid, e.event_id) for cid, e in drafts] == [("cmd1", "draft-event")]
    # Even a full outbox records an opening that already happened.
    recorded = reopened.append(lambda seq: event(seq, "draft-event"), draft_id="cmd1")
    assert recorded.agent_seq == 2
    assert reopened.drafts() == []

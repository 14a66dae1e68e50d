"""The outbox on a volume that fills up: SQLITE_FULL writes nothing half, the ballast leaves
room for the denials and the alarm, and writing works again when space returns."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate_agent.outbox.disk import Ballast
from gate_agent.outbox.rows import DiskFull
from gate_agent.outbox.store import Outbox
from testkit.agent.doubles import make_event as event
from testkit.faults.small_volume import VolumeUnavailable, fill, small_volume


@pytest.fixture
def volume(tmp_path: Path) -> Iterator[Path]:
    try:
        with small_volume(tmp_path / "vol", size_bytes=4 << 20) as path:
            yield path
    except VolumeUnavailable as exc:
        pytest.skip(f"no tmpfs here: {exc}")


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def test_a_full_volume_refuses_the_write_whole_and_keeps_every_row(volume: Path) -> None:
    outbox = Outbox(volume / "o.db", max_unsent=100_000)
    for _ in range(50):
        outbox.events.append(event)
    assert not outbox.ballast.released
    filler = fill(volume)
    with pytest.raises(DiskFull):
        for _ in range(10_000):  # the WAL's free pages go first
            outbox.events.append(event)
    kept = outbox.events.last_seq()
    assert kept >= 50 and outbox.events.unconfirmed == kept
    with pytest.raises(DiskFull):
        outbox.save_draft("c1", event(0))
    assert outbox.drafts() == []
    # The ballast gives room for what tells of it; then the volume is full again.
    assert outbox.ballast.release() and outbox.disk_full
    assert outbox.events.append(event).agent_seq == kept + 1
    filler.unlink()
    outbox.close()
    reopened = Outbox(volume / "o.db", max_unsent=100_000)
    assert reopened.events.last_seq() == kept + 1
    assert [p.seq for p in reopened.events.pending(limit=5)] == [1, 2, 3, 4, 5]
    assert not reopened.ballast.released and not reopened.disk_full
    reopened.close()
    assert _integrity(volume / "o.db") == "ok"


def test_the_ballast_is_reserved_again_only_when_space_returns(volume: Path) -> None:
    now = [0.0]
    ballast = Ballast(volume / "b", size=256 * 1024, clock=lambda: now[0])
    assert not ballast.released and (volume / "b").stat().st_size == 256 * 1024
    filler = fill(volume)
    assert ballast.release() and not ballast.release()  # once per full disk
    fill(volume, "filler2")
    now[0] = 10.0
    assert not ballast.space_returned()  # still full: tried, not reserved, no half file
    assert not (volume / "b").exists()
    filler.unlink()
    now[0] = 11.0
    assert not ballast.space_returned()  # tried at most every few seconds
    now[0] = 20.0
    assert ballast.space_returned() and not ballast.released

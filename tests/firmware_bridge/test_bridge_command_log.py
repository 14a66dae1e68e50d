from datetime import UTC, datetime, timedelta
from pathlib import Path

from firmware_bridge.command_check import check_command
from firmware_bridge.command_log import CommandLog
from gate_protocol.messages import AckResult, Direction, OpenCommand


def test_command_executes_once_even_after_reopen(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    log = CommandLog(path=path, retention_s=3600, max_entries=1000)
    assert log.record_once(command_id="c1", now=100.0)
    assert not log.record_once(command_id="c1", now=101.0)
    log.close()
    reopened = CommandLog(path=path, retention_s=3600, max_entries=1000)
    assert not reopened.record_once(command_id="c1", now=102.0)
    assert reopened.contains("c1")
    mode = reopened._db.execute("PRAGMA journal_mode").fetchone()[0]
    sync = reopened._db.execute("PRAGMA synchronous").fetchone()[0]
    assert (mode, sync) == ("wal", 2)  # 2 = FULL
    reopened.close()


def test_prune_by_age_and_by_size(tmp_path: Path) -> None:
    log = CommandLog(path=tmp_path / "log.sqlite3", retention_s=100, max_entries=100)
    for i in range(150):
        log.record_once(command_id=f"c{i}", now=1000.0 + i)
    log.prune(now=1149.0)
    assert len(log) == 100
    assert not log.contains("c0") and log.contains("c149")
    log.prune(now=1000.0 + 149 + 100 - 10)  # only ids newer than now - 100 remain
    assert len(log) == 11
    log.close()


def command(*, expires_in: float, issued_ago: float = 1.0, lane: int = 0) -> OpenCommand:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    return OpenCommand(
        command_id="c1",
        lane=lane,
        direction=Direction.ENTRY,
        issued_at=now - timedelta(seconds=issued_ago),
        expires_at=now + timedelta(seconds=expires_in),
        issued_by="agent-a",
    )


NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def check(cmd: OpenCommand, *, known_lane: bool = True) -> tuple[AckResult, str] | None:
    return check_command(command=cmd, now=NOW, skew_s=2, max_lifetime_s=300, known_lane=known_lane)


def test_fresh_command_passes() -> None:
    assert check(command(expires_in=5)) is None


def test_expiry_with_skew() -> None:
    assert check(command(expires_in=-1.5)) is None  # within the 2 s skew
    result = check(command(expires_in=-2.5))
    assert result is not None and result[0] is AckResult.EXPIRED


def test_far_future_expiry_future_issue_and_unknown_lane_fault() -> None:
    for cmd, known in (
        (command(expires_in=3600), True),
        (command(expires_in=5, issued_ago=-60), True),
        (command(expires_in=5), False),
    ):
        result = check(cmd, known_lane=known)
        assert result is not None and result[0] is AckResult.FAULT

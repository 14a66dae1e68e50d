"""ReaderLiveness: the online/offline decision and the revival of parked readers."""

from firmware_bridge.drivers.osdp_liveness import ReaderLiveness, ReaderSignals, Revive


def make(started: float = 0.0) -> ReaderLiveness:
    return ReaderLiveness(
        reader_ids=["a", "b"],
        reply_timeout_s=0.3,
        startup_grace_s=10.0,
        revive_idle_s=2.0,
        started=started,
    )


def signals(
    *, online: bool = True, frames: int = 0, idle: float | None = 0.05, enabled: bool = True
) -> ReaderSignals:
    return ReaderSignals(
        libosdp_online=online, enabled=enabled, unanswered_frames=frames, idle_s=idle
    )


def test_coming_up_is_silent_and_a_reader_that_stops_answering_goes_offline() -> None:
    live = make()
    assert live.observe("a", signals(), now=1.0) is None
    assert live.observe("a", signals(frames=1, idle=0.9), now=2.0) is None  # one lost frame
    assert live.observe("a", signals(frames=2, idle=0.1), now=2.1) is None  # resent just now
    assert live.observe("a", signals(frames=2, idle=0.35), now=2.35) is False  # libosdp: online
    assert live.observe("a", signals(frames=3, idle=0.0), now=3.1) is None  # reported once
    assert live.observe("a", signals(online=False, frames=8, idle=9), now=9.0) is None
    assert live.observe("a", signals(), now=12.0) is True


def test_a_late_resend_that_is_answered_keeps_the_reader_online() -> None:
    live = make()
    live.observe("a", signals(), now=1.0)
    # Under load libosdp's resend may go out well after 1 s; only its answer counts.
    assert live.observe("a", signals(frames=1, idle=1.6), now=2.6) is None
    assert live.observe("a", signals(frames=2, idle=0.05), now=2.65) is None
    assert live.observe("a", signals(frames=0, idle=0.01), now=2.7) is None
    assert live.is_online(signals(frames=1, idle=5.0))
    assert not live.is_online(signals(frames=3, idle=0.0))


def test_libosdp_offline_alone_is_offline() -> None:
    live = make()
    live.observe("b", signals(), now=1.0)
    assert live.observe("b", signals(online=False), now=2.0) is False


def test_a_reader_never_seen_is_reported_after_the_grace_time() -> None:
    live = make()
    assert live.observe("a", signals(online=False, idle=None), now=5.0) is None
    assert live.observe("a", signals(online=False, idle=None), now=10.5) is False
    assert live.observe("a", signals(online=False, idle=None), now=11.0) is None


def test_parked_readers_are_revived_and_busy_ones_left_alone() -> None:
    live = make()
    assert live.revive(signals(), now=50) is Revive.NOTHING
    assert live.revive(signals(online=False, idle=0.9), now=50) is Revive.NOTHING  # retrying
    assert live.revive(signals(online=False, idle=2.5), now=50) is Revive.DISABLE  # parked
    assert live.revive(signals(online=False, enabled=False), now=50) is Revive.ENABLE
    assert live.revive(signals(online=False, idle=None), now=1) is Revive.NOTHING
    assert live.revive(signals(online=False, idle=None), now=3) is Revive.DISABLE

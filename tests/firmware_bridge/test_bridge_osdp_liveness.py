"""ReaderLiveness: the online/offline decision and the revival of parked readers."""

from firmware_bridge.drivers.osdp_liveness import ReaderLiveness, ReaderSignals, Revive


def make(started: float = 0.0) -> ReaderLiveness:
    return ReaderLiveness(
        reader_ids=["a", "b"],
        offline_after_s=1.3,
        startup_grace_s=10.0,
        revive_idle_s=2.0,
        started=started,
    )


def signals(
    *, online: bool = True, unanswered: float = 0.0, idle: float | None = 0.05, enabled: bool = True
) -> ReaderSignals:
    return ReaderSignals(
        libosdp_online=online, enabled=enabled, unanswered_s=unanswered, idle_s=idle
    )


def test_coming_up_is_silent_and_a_reader_that_stops_answering_goes_offline() -> None:
    live = make()
    assert live.observe("a", signals(), now=1.0) is None
    assert live.observe("a", signals(unanswered=1.0), now=2.0) is None  # one lost frame
    assert live.observe("a", signals(unanswered=1.4), now=2.5) is False  # libosdp still online
    assert live.observe("a", signals(unanswered=1.5), now=2.6) is None  # reported once
    assert live.observe("a", signals(online=False, unanswered=9), now=9.0) is None
    assert live.observe("a", signals(), now=12.0) is True


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

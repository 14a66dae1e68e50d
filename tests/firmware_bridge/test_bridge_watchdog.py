from firmware_bridge.watchdog import Watchdog


def test_trips_once_per_stall_and_recovers_on_the_next_beat() -> None:
    now = [0.0]
    events: list[str] = []
    dog = Watchdog(
        timeout_s=2,
        on_trip=lambda: events.append("trip"),
        on_recover=lambda: events.append("recover"),
        clock=lambda: now[0],
    )
    now[0] = 1.9
    assert not dog.check()
    now[0] = 2.1
    assert dog.check() and dog.tripped
    now[0] = 10
    assert not dog.check()  # still the same stall
    dog.beat()
    assert events == ["trip", "recover"] and not dog.tripped
    now[0] = 11
    dog.beat()
    assert events == ["trip", "recover"]  # a healthy beat recovers nothing

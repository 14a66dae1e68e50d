"""A demo gate stops waiting for its lane once the lane shows red; its confirm timings.

The script's refused presentations (expired, revoked, mismatch, print, bans) each waited
out `pass_through_if_opened`'s whole wait before; the answer is the red light. Shown here
with a wait of an hour: the call returns because of the light, not the clock.
"""

from pathlib import Path

from gate_protocol.passes.keys import encode_public_key, generate_pass_key
from portgate.demo.broker import DemoBroker
from portgate.demo.gates import DemoGate

HOUR_S = 3600.0


def _gate(tmp_path: Path, *, confirm_s: float | None = None) -> DemoGate:
    broker = DemoBroker(site="s1", gates=["g1"], workdir=tmp_path / "broker")
    broker.prepare()  # users and passwords only: nothing is started or connected
    key_id, key = generate_pass_key()
    return DemoGate(
        site="s1",
        gate="g1",
        broker=broker,
        api_url="http://127.0.0.1:9",
        gate_key="k",
        command_keys={key_id: encode_public_key(key.public_key())},
        workdir=tmp_path / "gate",
        confirm_s=confirm_s,
    )


def test_a_red_light_after_the_badge_ends_the_wait(tmp_path: Path) -> None:
    gate = _gate(tmp_path)
    gate.present_badge(40_001)
    gate.turnstile.indicate(lane=0, granted=False)  # what the bridge does on a denial
    assert gate.pass_through_if_opened(wait_s=HOUR_S) is False
    assert gate.turnstile.unlock_count(0) == 0


def test_a_red_light_from_before_the_badge_does_not_end_it(tmp_path: Path) -> None:
    gate = _gate(tmp_path)
    gate.turnstile.indicate(lane=0, granted=False)  # the previous presentation's answer
    gate.present_badge(40_001)
    assert gate.pass_through_if_opened(wait_s=0.3) is False
    gate.mark_presentation()  # a QR pass shown to the camera: a new presentation too
    gate.turnstile.set_unlocked(lane=0, unlocked=True)
    assert gate.pass_through_if_opened(wait_s=HOUR_S) is True  # opened: walked through


def test_a_gate_whose_broker_has_no_api_confirms_its_events_within_a_second(
    tmp_path: Path,
) -> None:
    # The second terminal's events reach the API only when its agent asks which it lacks.
    terminal = _gate(tmp_path / "t2", confirm_s=1.0).agent.config.api
    assert (terminal.confirm_grace_s, terminal.confirm_interval_s) == (1.0, 1.0)
    default = _gate(tmp_path / "port").agent.config.api
    assert (default.confirm_grace_s, default.confirm_interval_s) == (3.0, 5.0)

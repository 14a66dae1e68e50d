"""Every reason code has the lane's guidance; nothing a screen shows reveals a watchlist."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from biometrics.quality import QualityReason
from gate_agent.display.catalog import LANE_LOCALES, lane_language, lane_messages
from gate_agent.display.guidance import (
    NEUTRAL,
    FaceHint,
    face_hint_text,
    guidance_for,
)
from gate_protocol.reasons import ReasonCode

DENIALS = [code for code in ReasonCode if code is not ReasonCode.GRANTED]
# Words that would tell the lane (and the queue behind) why the person is really stopped.
REVEALING = ("watch", "ban", "suspend", "police", "threat", "company", "alarm", "spoof")


def test_a_grant_has_no_guidance() -> None:
    assert guidance_for(ReasonCode.GRANTED) is None


@pytest.mark.parametrize("code", DENIALS)
def test_every_denial_has_guidance_that_reveals_nothing(code: ReasonCode) -> None:
    guidance = guidance_for(code, "a detail with P7 and a watchlist entry w-1")
    assert guidance is not None and guidance.message and guidance.action
    for text in (guidance.message, guidance.action):
        assert not any(word in text.lower() for word in REVEALING), text
        assert "P7" not in text and "w-1" not in text


@pytest.mark.parametrize(
    "code",
    [
        ReasonCode.WATCHLIST,
        ReasonCode.PORT_BAN,
        ReasonCode.PERSON_SUSPENDED,
        ReasonCode.COMPANY_SUSPENDED,
    ],
)
def test_watchlist_ban_and_suspension_share_the_one_neutral_text(code: ReasonCode) -> None:
    assert guidance_for(code, "legal ref 12/2026") == NEUTRAL
    assert NEUTRAL.message == "Please see the security desk."


def test_the_appointment_opening_is_shown_in_the_sites_zone() -> None:
    opens = datetime(2026, 7, 1, 12, 30, tzinfo=UTC)
    guidance = guidance_for(
        ReasonCode.OUTSIDE_APPOINTMENT_WINDOW,
        "window 12:30-13:30",
        opens_at=opens,
        zone=ZoneInfo("Europe/Amsterdam"),
    )
    assert guidance is not None
    assert guidance.message == "Your appointment opens at {time}."
    assert guidance.params == {"time": "14:30"}
    assert guidance.action == "Wait in the buffer lane."
    # Without an opening ahead (other gates, or it has passed): call the desk.
    other = guidance_for(ReasonCode.OUTSIDE_APPOINTMENT_WINDOW, "appointment is for other gates")
    assert other is not None and other.params == {} and "intercom" in other.action


def test_an_expired_training_is_named_from_the_policys_detail() -> None:
    guidance = guidance_for(
        ReasonCode.COMPETENCY_EXPIRED, "ISPS expired 2026-01-01, First aid missing"
    )
    assert guidance is not None
    assert guidance.params == {"training": "ISPS, First aid"}
    assert guidance.action == "Go to the security desk."
    unnamed = guidance_for(ReasonCode.COMPETENCY_EXPIRED, "garbled")
    assert unnamed is not None and unnamed.params == {}


@pytest.mark.parametrize("reason", list(QualityReason))
def test_every_quality_reason_of_the_camera_has_a_hint(reason: QualityReason) -> None:
    assert face_hint_text(FaceHint(reason.value))


@pytest.mark.parametrize("locale", LANE_LOCALES[1:])
def test_each_guidance_text_is_in_every_lane_language(locale: str) -> None:
    texts = {
        text for code in DENIALS if (g := guidance_for(code)) for text in (g.message, g.action)
    }
    texts |= {face_hint_text(hint) for hint in FaceHint}
    assert texts - set(lane_messages(locale)) == set()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("pl", "pl"), ("PL-pl", "pl"), ("ro_RO", "ro"), ("xx", "en"), (None, "en")],
)
def test_a_persons_language_falls_back_to_english(value: str | None, expected: str) -> None:
    assert lane_language(value) == expected

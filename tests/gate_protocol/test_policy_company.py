"""A company's status in decide(): suspended denies its people, flagged checks their face.

The same `decide()` runs centrally and over a gate's replica, so each case is decided both
ways (the replica with a fresh replica).
"""

from dataclasses import replace

import pytest

from gate_protocol.messages import AlarmKind, DecidedBy
from gate_protocol.policy import DecisionContext, DecisionRequest, decide
from gate_protocol.reasons import ReasonCode, describe_reason
from gate_protocol.records import CompanyStanding, CompanyStatus, PersonStatus
from tests.gate_protocol.test_policy import (
    BASE,
    CENTRAL,
    DRIVER_AT_GATE,
    GATE,
    GOOD_FACE,
    PERSON,
)

REPLICA = replace(CENTRAL, decided_by=DecidedBy.REPLICA, replica_age_s=10.0)
BOTH = pytest.mark.parametrize("context", [CENTRAL, REPLICA], ids=["central", "replica"])


def _of(request: DecisionRequest, status: CompanyStatus, name: str = "Acme") -> DecisionRequest:
    assert request.person is not None
    company = CompanyStanding(name=name, status=status)
    return replace(request, person=request.person.model_copy(update={"company": company}))


@BOTH
def test_a_suspended_company_refuses_its_staff_badge_and_its_drivers_pass(
    context: DecisionContext,
) -> None:
    staff = decide(_of(BASE, CompanyStatus.SUSPENDED, "North Sea Haulage"), context)
    assert staff.reason is ReasonCode.COMPANY_SUSPENDED
    assert staff.detail == "North Sea Haulage"
    assert describe_reason(staff.reason, staff.detail) == (
        "The person's company is suspended: North Sea Haulage."
    )
    driver = decide(_of(DRIVER_AT_GATE, CompanyStatus.SUSPENDED), context)
    assert driver.reason is ReasonCode.COMPANY_SUSPENDED
    assert driver.consume_appointment_id is None  # the one-time pass stays unused


@BOTH
def test_an_active_company_changes_nothing(context: DecisionContext) -> None:
    result = decide(_of(BASE, CompanyStatus.ACTIVE), context)
    assert result.granted
    assert result.alarms == ()


def test_a_suspended_person_is_named_before_the_company() -> None:
    request = _of(BASE, CompanyStatus.SUSPENDED)
    assert request.person is not None
    person = request.person.model_copy(update={"status": PersonStatus.SUSPENDED})
    assert decide(replace(request, person=person), CENTRAL).reason is ReasonCode.PERSON_SUSPENDED


@BOTH
def test_a_flagged_company_is_granted_with_an_alarm(context: DecisionContext) -> None:
    result = decide(_of(BASE, CompanyStatus.FLAGGED), context)
    assert result.granted
    assert result.detail == "flagged company Acme"
    assert result.alarms == (AlarmKind.COMPANY_FLAGGED,)
    assert "company_flagged" in result.flags


@BOTH
def test_a_flagged_company_needs_a_face_even_where_the_gate_does_not(
    context: DecisionContext,
) -> None:
    no_face_gate = GATE.model_copy(update={"face_required": False})
    # Without the flag a badge alone passes this gate...
    assert decide(replace(BASE, gate=no_face_gate, face=None), context).granted
    flagged = _of(replace(BASE, gate=no_face_gate, face=None), CompanyStatus.FLAGGED)
    result = decide(flagged, context)
    assert result.reason is ReasonCode.FACE_NOT_SEEN
    assert result.alarms == ()  # no passage, no company alarm
    # ...and with the face seen it passes.
    assert decide(replace(flagged, face=GOOD_FACE), context).granted


def test_a_flagged_company_denied_for_another_reason_raises_no_company_alarm() -> None:
    person = PERSON.model_copy(update={"grants": ()})
    result = decide(_of(replace(BASE, person=person), CompanyStatus.FLAGGED), CENTRAL)
    assert result.reason is ReasonCode.ZONE_NOT_ALLOWED
    assert AlarmKind.COMPANY_FLAGGED not in result.alarms

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from gate_protocol.api_models import MAX_EVENT_BATCH, DecisionQuery, EventBatch
from gate_protocol.messages import CredentialKind, Direction

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def query(kind: CredentialKind, **fields: str) -> DecisionQuery:
    return DecisionQuery(
        request_id="r1", direction=Direction.ENTRY, credential_kind=kind, occurred_at=NOW, **fields
    )


def test_each_kind_carries_its_own_credential() -> None:
    assert query(CredentialKind.BADGE, badge_number="A1").badge_number == "A1"
    assert query(CredentialKind.QR_PASS, pass_token="PG1:X").pass_token == "PG1:X"
    assert query(CredentialKind.FACE, person_id="p1").person_id == "p1"


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        (CredentialKind.BADGE, {}),
        (CredentialKind.BADGE, {"pass_token": "PG1:X"}),
        (CredentialKind.BADGE, {"badge_number": "A1", "person_id": "p1"}),
        (CredentialKind.FACE, {"badge_number": "A1"}),
    ],
)
def test_mismatched_credentials_are_refused(kind: CredentialKind, fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="carries"):
        query(kind, **fields)


def test_event_batches_are_bounded() -> None:
    with pytest.raises(ValidationError):
        EventBatch(events=())
    assert MAX_EVENT_BATCH == 500

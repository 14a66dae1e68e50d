"""Table models read back from the database serialise without pydantic warnings."""

from sqlalchemy import Engine, text
from sqlmodel import Session, select

from central_api.models import Credential, Gate, Person, User
from central_api.models.common import StrEnumType
from gate_protocol.messages import BadgeFormat, CredentialKind
from gate_protocol.records import OfflinePolicy, PersonKind, PersonStatus
from testkit.api.decisions import enroll
from testkit.api.world import World


def test_enum_columns_load_as_enums_and_dump_without_warnings(world: World, engine: Engine) -> None:
    person_id = enroll(engine, world, badge="A1")
    with Session(engine) as session:
        person = session.get(Person, person_id)
        assert person is not None
        assert type(person.kind) is PersonKind and type(person.status) is PersonStatus
        credential = session.exec(select(Credential)).one()
        assert type(credential.kind) is CredentialKind
        assert type(credential.badge_format) is BadgeFormat
        gate = session.get(Gate, world.gate)
        assert gate is not None and type(gate.offline_policy) is OfflinePolicy
        for row in (person, credential, gate, *session.exec(select(User)).all()):
            row.model_dump(mode="json", warnings="error")  # raises on a str in an enum field
        assert person.model_dump(mode="json")["kind"] == "staff"


def test_a_value_this_version_does_not_know_still_loads(world: World, engine: Engine) -> None:
    person_id = enroll(engine, world, badge="A1")
    with engine.begin() as conn:
        conn.execute(text("UPDATE person SET kind = 'astronaut' WHERE id = :i"), {"i": person_id})
    with Session(engine) as session:
        person = session.get(Person, person_id)
        assert person is not None and person.kind == "astronaut"


def test_the_column_type_stores_the_plain_value() -> None:
    column = StrEnumType(PersonKind)
    assert column.process_bind_param(PersonKind.DRIVER, dialect=None) == "driver"  # type: ignore[arg-type]
    assert column.process_result_value("driver", dialect=None) is PersonKind.DRIVER  # type: ignore[arg-type]

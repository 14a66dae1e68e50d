"""The demo's port authority (portgate/demo/authority.py): its ban denies the demo person."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from portgate.demo.authority import LEGAL_REFERENCE, DemoAuthority
from testkit.api.decisions import enroll, query
from testkit.api.world import World


def test_the_demo_ban_denies_port_ban_at_the_gate_until_lifted(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="DE0001")
    authority = DemoAuthority(engine=engine, person_ids={"granted": person})

    def decide() -> tuple[str, str | None]:
        answer = client.post("/api/v1/decisions", json=query("DE0001"), headers=world.gate_key())
        assert answer.status_code == 200, answer.text
        return answer.json()["reason"], answer.json()["detail"]

    assert decide() == ("granted", None)
    ban_id = authority.ban("granted")
    assert decide() == ("port_ban", LEGAL_REFERENCE)
    authority.lift(ban_id)
    assert decide() == ("granted", None)

from fastapi.testclient import TestClient

from central_api.models import Role
from testkit.api.world import World


def test_healthz_is_anonymous_and_reports_the_database(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": True, "mqtt": None}


def test_metrics_need_the_token_or_an_admin(client: TestClient, world: World) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers=world.user(Role.OPERATOR)).status_code == 403
    by_token = client.get(
        "/metrics", headers={"Authorization": "Bearer metrics-token-for-tests-0123456789"}
    )
    assert by_token.status_code == 200
    assert "portgate_ingest_rejected_total" in by_token.text
    assert client.get("/metrics", headers=world.user(Role.ADMIN)).status_code == 200

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from central_api.models import Role
from gate_protocol.messages import AlarmKind, AlarmRaised
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


def open_alarm_samples(client: TestClient) -> dict[str, float]:
    token = {"Authorization": "Bearer metrics-token-for-tests-0123456789"}
    text = client.get("/metrics", headers=token).text
    wanted = ("portgate_alarms_unacknowledged", "portgate_alarm_oldest_unacknowledged_seconds")
    return {
        f"{sample.name}{{{sample.labels['site']}}}": sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name in wanted
    }


def test_metrics_give_the_oldest_unacknowledged_alarm_per_site(
    client: TestClient, world: World
) -> None:
    assert open_alarm_samples(client) == {}
    now = datetime.now(UTC)
    alarms = [
        AlarmRaised(
            alarm_id=f"al-{n}", alarm=AlarmKind.TAMPER, lane=0, at=now - timedelta(seconds=s)
        )
        for n, s in ((1, 700), (2, 100))
    ]
    body = {"alarms": [a.model_dump(mode="json") for a in alarms]}
    assert client.post("/api/v1/alarms", json=body, headers=world.gate_key()).status_code == 200
    samples = open_alarm_samples(client)
    assert samples["portgate_alarms_unacknowledged{rtm}"] == 2
    assert 700 <= samples["portgate_alarm_oldest_unacknowledged_seconds{rtm}"] < 760

    operator = world.user(Role.OPERATOR)
    missing = client.post("/api/v1/alarms/al-9/ack", json={"comment": "x"}, headers=operator)
    assert missing.status_code == 404  # nothing acknowledged, the figures stay
    after = open_alarm_samples(client)
    assert after["portgate_alarms_unacknowledged{rtm}"] == 2
    assert after["portgate_alarm_oldest_unacknowledged_seconds{rtm}"] >= 700
    ack = client.post("/api/v1/alarms/al-1/ack", json={"comment": "seen"}, headers=operator)
    assert ack.status_code == 200, ack.text
    samples = open_alarm_samples(client)
    assert samples["portgate_alarms_unacknowledged{rtm}"] == 1
    assert 100 <= samples["portgate_alarm_oldest_unacknowledged_seconds{rtm}"] < 160

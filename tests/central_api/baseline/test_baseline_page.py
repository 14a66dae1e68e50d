"""The baseline side by side: the API route and the dashboard page, every site's score."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from central_api.models import Role
from testkit.api.world import World


def test_the_authority_sees_every_sites_score_side_by_side(
    client: TestClient, world: World, engine: Engine
) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE gate SET liveness_required = :off WHERE id = :gate"),
            {"off": False, "gate": world.other_gate},
        )
    answer = client.get("/api/v1/baseline", headers=world.user(Role.AUTHORITY))
    assert answer.status_code == 200, answer.text
    reports = {r["site_id"]: r for r in answer.json()}
    assert set(reports) == {world.site, world.other_site}
    assert reports[world.site]["profile"] == "EU port facility, ISPS level 1"
    findings = {
        site: {f["requirement"]: f for f in report["findings"]} for site, report in reports.items()
    }
    assert findings[world.site]["liveness_on_face_gates"]["status"] == "pass"
    other = findings[world.other_site]["liveness_on_face_gates"]
    assert other["status"] == "fail"
    assert other["detail"] == f"{world.other_gate}: face without liveness"
    assert reports[world.other_site]["score"] < reports[world.site]["score"]
    # The test API has no broker and no anchor: failed musts at both sites, with fixes.
    assert findings[world.site]["broker_tls"]["fix"] == "set an mqtts:// MQTT_URL"
    # Another level for every site: the level 3 profile asks offline policy deny.
    strict = client.get("/api/v1/baseline?level=3", headers=world.user(Role.AUTHORITY)).json()
    assert {r["profile"] for r in strict} == {"EU port facility, ISPS level 3"}
    page = client.get("/dashboard/baseline", headers=world.user(Role.AUTHORITY))
    assert page.status_code == 200
    assert f'<tr data-site="{world.site}" data-state="fail">' in page.text
    assert f"{world.other_gate}: face without liveness" in page.text


def test_who_may_read_it_and_a_bad_level(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/baseline").status_code == 401
    for role in Role:
        expected = 200 if role in (Role.AUTHORITY, Role.ADMIN) else 403
        got = client.get("/api/v1/baseline", headers=world.user(role)).status_code
        assert got == expected, role
    bad = client.get("/api/v1/baseline?level=4", headers=world.user(Role.AUTHORITY))
    assert bad.status_code == 422
    assert "level" in bad.text

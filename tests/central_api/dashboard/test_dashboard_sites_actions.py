"""Acting across sites: B's users cannot act on site A; the hub is told per site.

Acknowledge, remote open, approve and threat level at A are refused (403/404) and change
nothing; the same users act on their own site, and only that site's streams are told.
"""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.dashboard.hub import LiveItem
from central_api.models import Alarm, OpenRequest, Site
from testkit.api.dashboard import capture_live_items
from testkit.api.dashboard_sites import (
    A_DETAIL,
    SiteData,
    Viewers,
    get,
    make_viewers,
    seed_site_data,
)
from testkit.api.world import World


@pytest.fixture
def viewers(world: World, engine: Engine, settings: Settings) -> Viewers:
    return make_viewers(world, engine, settings)


@pytest.fixture
def data(world: World, engine: Engine) -> SiteData:
    return seed_site_data(world, engine)


@pytest.fixture
def told(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[LiveItem]:
    """What the dashboard's actions hand to the live hub."""
    return capture_live_items(app, monkeypatch)


def test_site_b_cannot_act_on_site_a(
    client: TestClient,
    app: FastAPI,
    world: World,
    engine: Engine,
    viewers: Viewers,
    data: SiteData,
    told: list[LiveItem],
) -> None:
    feed = app.state.dashboard.feed

    def actions_told() -> list[tuple[str, str | None]]:
        # Alarms and acknowledgements reach the hub through the feed thread, later.
        return [(i.channel, i.site_id) for i in told if i.channel in ("open", "threat")]

    with Session(engine) as session:
        site_a = session.get(Site, world.site)
        assert site_a is not None
        site_a.four_eyes_open = True  # so A's remote open waits for a second operator
        session.add(site_a)
        session.commit()
    pending = client.post(
        f"/dashboard/api/gates/{world.gate}/open",
        headers=viewers.a_operator,
        json={"lane": 0, "reason": "truck stuck at the barrier"},
    )
    assert pending.status_code == 202, pending.text
    request_id = pending.json()["id"]
    assert actions_told() == [("open", world.site)]
    b_view = get(client, "/dashboard/api/alarms", viewers.b_operator).json()
    assert b_view["open_requests"] == [] and b_view["alarms"] == []
    a_view = get(client, "/dashboard/api/alarms", viewers.a_operator).json()
    assert [r["id"] for r in a_view["open_requests"]] == [request_id]
    assert a_view["open_requests"][0]["site_id"] == world.site
    told.clear()

    refused = [
        (f"/dashboard/api/alarms/{data.a_alarm}/ack", viewers.b_operator, {"comment": "not mine"}),
        (f"/dashboard/api/alarms/{data.a_alarm}/ack", viewers.b_admin, {"comment": "not mine"}),
        (
            f"/dashboard/api/gates/{world.gate}/open",
            viewers.b_operator,
            {"lane": 0, "reason": "let me in"},
        ),
        (f"/dashboard/api/open-requests/{request_id}/approve", viewers.b_operator, None),
        (f"/dashboard/api/open-requests/{request_id}/approve", viewers.b_admin, None),
        (f"/dashboard/api/sites/{world.site}/threat-level", viewers.b_admin, {"level": 3}),
        (f"/dashboard/api/sites/{world.site}/threat-level", viewers.b_operator, {"level": 3}),
    ]
    for path, headers, body in refused:
        answer = client.post(path, headers=headers, json=body)
        assert answer.status_code in (403, 404), f"{path}: {answer.status_code} {answer.text}"
        assert A_DETAIL not in answer.text
    assert feed.wait_idle(5.0)
    assert told == []
    with Session(engine) as session:
        alarm = session.exec(select(Alarm).where(Alarm.alarm_id == data.a_alarm)).one()
        assert alarm.acknowledged_at is None
        requests = session.exec(select(OpenRequest)).all()
        assert [(r.id, r.status, r.approved_by) for r in requests] == [
            (request_id, "pending", None)
        ]
        assert session.get(Site, world.site).threat_level == 1  # type: ignore[union-attr]

    # The same users act on their own site, and only that site's streams are told.
    own = client.post(
        f"/dashboard/api/sites/{world.other_site}/threat-level",
        headers=viewers.b_admin,
        json={"level": 2},
    )
    assert own.status_code == 200, own.text
    assert actions_told() == [("threat", world.other_site)]
    acked = client.post(
        f"/dashboard/api/alarms/{data.a_alarm}/ack",
        headers=viewers.a_operator,
        json={"comment": "guard sent"},
    )
    assert acked.status_code == 200, acked.text
    approved = client.post(
        f"/dashboard/api/open-requests/{request_id}/approve", headers=viewers.admin
    )
    assert approved.status_code == 200 and approved.json()["status"] == "issued", approved.text
    assert actions_told()[-1] == ("open", world.site)
    assert feed.wait_idle(5.0)
    acks = [i.site_id for i in told if i.channel == "alarm_ack"]
    assert acks == [world.site]
    # Not even whether A's request exists or what became of it (404, not "already issued").
    again = client.post(
        f"/dashboard/api/open-requests/{request_id}/approve", headers=viewers.b_operator
    )
    assert again.status_code == 404, again.text

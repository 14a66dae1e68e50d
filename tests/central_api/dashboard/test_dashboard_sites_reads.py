"""What each viewer reads on a two-site dashboard, on SQLite and PostgreSQL.

Site B's operator sees nothing of site A (only B's own gates, events, muster and charts);
A's operator sees A, and the site-wide admin sees both.
"""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central_api.config import Settings
from testkit.api.dashboard_sites import (
    A_NAME,
    B_NAME,
    SiteData,
    Viewers,
    get,
    make_viewers,
    secrets_of_a,
    seed_site_data,
)
from testkit.api.world import World


@pytest.fixture
def viewers(world: World, engine: Engine, settings: Settings) -> Viewers:
    return make_viewers(world, engine, settings)


@pytest.fixture
def data(world: World, engine: Engine) -> SiteData:
    return seed_site_data(world, engine)


READ_PATHS = (
    "/dashboard/api/snapshot",
    "/dashboard/api/gates",
    "/dashboard/api/events",
    "/dashboard/api/events?gate_id=north-1",
    "/dashboard/api/events?person=Alma",
    "/dashboard/api/alarms",
    "/dashboard/api/muster",
    "/dashboard/api/muster?site_id=rtm",
    "/dashboard/api/muster.csv",
    "/dashboard/api/muster.csv?site_id=rtm",
    "/dashboard/api/charts",
    "/dashboard/api/charts?hours=1",
)


def test_site_b_reads_nothing_of_site_a(
    client: TestClient, world: World, viewers: Viewers, data: SiteData
) -> None:
    secrets = secrets_of_a(world, data)
    for path in READ_PATHS:
        text = get(client, path, viewers.b_operator).text
        for secret in secrets:
            assert secret not in text, f"{path} shows site B's operator {secret}"
    # B's own site is there: the filter is by site, not "nothing at all".
    snapshot = get(client, "/dashboard/api/snapshot", viewers.b_operator).json()
    assert [g["gate_id"] for g in snapshot["gates"]] == [world.other_gate]
    assert [e["event_id"] for e in snapshot["events"]] == [data.b_event]
    assert snapshot["alarms"] == [] and snapshot["unacknowledged"] == 0
    assert [s["site_id"] for s in snapshot["sites"]] == [world.other_site]
    (tile,) = get(client, "/dashboard/api/gates", viewers.b_operator).json()
    assert tile["gate_id"] == world.other_gate and tile["events_per_minute"] == 1
    muster = get(client, "/dashboard/api/muster", viewers.b_operator).json()
    assert [m["display_name"] for m in muster] == [B_NAME]
    assert B_NAME in get(client, "/dashboard/api/muster.csv", viewers.b_operator).text
    charts = get(client, "/dashboard/api/charts", viewers.b_operator).json()
    series = charts["events_per_minute"]["series"]
    assert [s["gate_id"] for s in series] == [world.other_gate]
    assert sum(series[0]["counts"]) == 1
    assert charts["denials_by_reason"] == []  # A's denial is not B's
    assert snapshot["user"]["site_id"] == world.other_site


def test_site_a_and_the_site_wide_admin_see_site_a(
    client: TestClient, world: World, viewers: Viewers, data: SiteData
) -> None:
    # B's operator is the first to look: the board every user shares is seeded for all sites.
    get(client, "/dashboard/api/gates", viewers.b_operator)
    mine = get(client, "/dashboard/api/snapshot", viewers.a_operator).json()
    assert [g["gate_id"] for g in mine["gates"]] == [world.gate, world.gate2]
    north = mine["gates"][0]
    assert north["events_per_minute"] == 2
    assert north["last_event"]["event_id"] in data.a_events
    assert {e["event_id"] for e in mine["events"]} == set(data.a_events)
    assert [a["alarm_id"] for a in mine["alarms"]] == [data.a_alarm]
    assert mine["unacknowledged"] == 1
    charts = get(client, "/dashboard/api/charts", viewers.a_operator).json()
    assert [d["count"] for d in charts["denials_by_reason"]] == [1]
    muster = get(client, "/dashboard/api/muster", viewers.a_operator).json()
    assert [m["display_name"] for m in muster] == [A_NAME]

    every = get(client, "/dashboard/api/snapshot", viewers.admin).json()
    assert {g["gate_id"] for g in every["gates"]} == {world.gate, world.gate2, world.other_gate}
    assert {e["event_id"] for e in every["events"]} == {*data.a_events, data.b_event}
    assert every["unacknowledged"] == 1
    muster = get(client, "/dashboard/api/muster", viewers.admin).json()
    assert sorted(m["display_name"] for m in muster) == [A_NAME, B_NAME]
    charts = get(client, "/dashboard/api/charts", viewers.admin).json()
    gates = [s["gate_id"] for s in charts["events_per_minute"]["series"]]
    assert gates == sorted([world.gate, world.other_gate])
    # A site-bound user's request never shrinks the board the other users share.
    get(client, "/dashboard/api/gates", viewers.b_operator)
    assert len(get(client, "/dashboard/api/gates", viewers.admin).json()) == 3

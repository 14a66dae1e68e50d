"""The dashboard's routes (page, read API, actions) and how they are mounted.

`mount_dashboard(app)` is the one call an app factory makes: it adds the routes, serves
``central_api/web/static`` at ``/static``, taps this process's ingest so that the live
stream shows what *this* replica stores (from MQTT and from gates' HTTP re-sends alike)
or its live connection receives, subscribes the site alarm topic (alarms other API
replicas raised or acknowledged) and taps what this process itself releases after a
commit (its own alarms, shown at once; the broker's echo of them is dropped by alarm id).
"""

import logging

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from gate_protocol.topics import SiteAlarmTopic, build_topic, filter_all_site_alarms

from central_api.bus.notify import attach_engine
from central_api.dashboard.state import DashboardState
from central_api.routes.dashboard import (
    actions,
    alarm_context,
    alarm_stills,
    bans_page,
    baseline_page,
    companies_page,
    data,
    events_page,
    incidents_page,
    page,
    reports_file,
    reports_page,
    watchlist_page,
)
from central_api.web.layout import STATIC_DIR

__all__ = ["DashboardState", "mount_dashboard", "site_alarm_filter"]

logger = logging.getLogger(__name__)


def site_alarm_filter(site: str | None) -> str:
    """The live subscription to the API replicas' alarm topic: one site's, or every site's."""
    return build_topic(SiteAlarmTopic(site=site)) if site else filter_all_site_alarms()


def mount_dashboard(app: FastAPI) -> DashboardState:
    """Add the dashboard to an app made by ``create_app`` (needs ``app.state.engine``)."""
    live = DashboardState.create(engine=app.state.engine)
    app.state.dashboard = live
    pages = (companies_page, bans_page, watchlist_page, baseline_page, incidents_page)
    for module in (page, data, actions, *pages):
        app.include_router(module.router)
    app.include_router(events_page.router)  # event search and CSV export
    app.include_router(alarm_context.router)  # an alarm's context, enrolled photos
    app.include_router(alarm_stills.router)  # an alarm's camera still (issue 22.4)
    for reports in (reports_page, reports_file):  # the Reports tab and its files
        app.include_router(reports.router)
    if not any(getattr(route, "path", None) == "/static" for route in app.routes):
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    ingest = getattr(app.state, "ingest", None)
    add_tap = getattr(ingest, "add_tap", None)
    if add_tap is not None:
        add_tap(live.feed)
    else:
        logger.warning("ingest has no tap: the live stream will show nothing gates send")
    bus = getattr(app.state, "bus", None)
    # Sessions without a bus of their own (the ingest thread's, which raises insider-pattern
    # alarms) publish through the app's; whatever a commit releases reaches our feed too.
    attach_engine(engine=app.state.engine, bus=bus, tap=live.feed.offer)
    if bus is not None:
        settings = getattr(app.state, "settings", None)
        bus.route(site_alarm_filter(getattr(settings, "mqtt_site", None)), live.feed.offer)
    return live

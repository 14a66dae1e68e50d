"""The live operator dashboard (issue 7): pages, live stream, tiles, alarms, muster, charts.

`mount_dashboard(app)` is the one call an app factory makes: it adds the routes, serves
``central_api/web/static`` at ``/static`` and taps this process's MQTT ingest so that the
live stream shows what *this* replica's broker subscription receives.
"""

import logging

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from central_api.dashboard import action_routes, data_routes, pages
from central_api.dashboard.state import DashboardState
from central_api.web.layout import STATIC_DIR

__all__ = ["DashboardState", "mount_dashboard"]

logger = logging.getLogger(__name__)


def mount_dashboard(app: FastAPI) -> DashboardState:
    """Add the dashboard to an app made by ``create_app`` (needs ``app.state.engine``)."""
    live = DashboardState.create(engine=app.state.engine)
    app.state.dashboard = live
    for module in (pages, data_routes, action_routes):
        app.include_router(module.router)
    if not any(getattr(route, "path", None) == "/static" for route in app.routes):
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    ingest = getattr(app.state, "ingest", None)
    add_tap = getattr(ingest, "add_tap", None)
    if add_tap is not None:
        add_tap(live.feed.offer)
    else:
        logger.warning("ingest has no tap: the live stream will show nothing from MQTT")
    return live

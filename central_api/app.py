"""The FastAPI application factory: `create_app(settings)` wires DB, MQTT, ingest, routes."""

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from gate_protocol.topics import (
    GateChannel,
    filter_all_gates,
    filter_site_channel,
    shared_filter,
)
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from central_api.audit.chain import ensure_audit_head
from central_api.audit.head_publisher import HeadPublisher, HeadTargets
from central_api.bus.mqtt import MessageBus, make_bus
from central_api.community.service import community_worker
from central_api.config import Settings
from central_api.db import is_postgres, make_engine
from central_api.decision_data.cache import DecisionCache
from central_api.decision_data.changes import read_data_version
from central_api.decisions.entry import read_engine_of
from central_api.decisions.inputs import preload_decision_inputs
from central_api.decisions.lane import DecisionLane
from central_api.decisions.live_reader import LiveReader, conninfo_of
from central_api.errors import BODY_TOO_LARGE, MAX_BODY_BYTES, ServiceError
from central_api.forwarding.service import forwarding_worker, webhook_worker
from central_api.gc_watch import freeze_after, watch_gc
from central_api.incidents.pseudonym import pseudonym_key
from central_api.ingest.worker import IngestWorker
from central_api.replica.site_delta import SiteDeltaCache
from central_api.replica.snapshot_cache import SnapshotCache
from central_api.replica.warmup import SnapshotWarmup
from central_api.routes import (
    activations,
    audit,
    auth,
    bans,
    companies,
    dead_letters,
    events,
    gates,
    health,
    locale,
    people,
    rules,
    sites,
    users,
    watchlist,
)
from central_api.routes.account import router as account_router
from central_api.routes.community import page_router as sharing_page
from central_api.routes.community import router as community_router
from central_api.routes.dashboard import mount_dashboard
from central_api.routes.desk import router as enroll_router
from central_api.routes.forwarding import router as webhooks_router
from central_api.routes.gate_uploads import router as gate_uploads_router
from central_api.routes.incidents import router as incidents_router
from central_api.routes.mobile_pass import routers as mobile_pass_routers
from central_api.routes.staff_reports import routers as staff_report_routers
from central_api.routes.visitors import router as visitors_router
from central_api.security.headers import SecurityHeaders
from central_api.security.login_throttle import LoginThrottle
from central_api.security.strict_json import StrictJsonBody
from central_api.security.throttle_storage import SqlThrottleStorage
from central_api.stills.ingest import still_handler
from central_api.web.api_docs import install_api_docs
from central_api.web.locale import PageLocale

__all__ = ["MAX_BODY_BYTES", "BodyLimit", "create_app"]

logger = logging.getLogger(__name__)

# The longest a starting server waits for its decision inputs before it serves anyway.
_PRELOAD_WAIT_S = 120.0
_INGEST_CHANNELS = (GateChannel.EVENT, GateChannel.ALARM, GateChannel.STATUS, GateChannel.STATE)
# Alarms' camera stills are stored (central_api.stills) but never shown live.
_STORED_ONLY = (GateChannel.STILL,)


def _filters(settings: Settings, channels: tuple[GateChannel, ...] = _INGEST_CHANNELS) -> list[str]:
    if settings.mqtt_site:
        return [filter_site_channel(settings.mqtt_site, c) for c in channels]
    return [filter_all_gates(c) for c in channels]


def _ingest_worker(settings: Settings, engine: Engine, *, tap_received: bool) -> IngestWorker:
    worker = IngestWorker(engine=engine, tap_received=tap_received)
    worker.route(GateChannel.STILL, still_handler(settings, engine))  # alarm stills (22.4)
    return worker


def _preload_before_serving(cache: DecisionCache, engine: Engine) -> None:
    # Decisions that arrive while the preload fills the first generation load their own
    # inputs, and on 2 cores their p95 was 0.9 s for the first 20 s after a start.
    with Session(engine) as session:
        version = read_data_version(session)
    if version is None:
        return
    started = time.perf_counter()
    cache.generation(version)
    if not cache.wait_preloaded(_PRELOAD_WAIT_S):
        logger.warning("decision inputs still loading after %.0f s; serving", _PRELOAD_WAIT_S)
        return
    logger.info("decision inputs loaded in %.1f s", time.perf_counter() - started)


def _before_serving(app: FastAPI, settings: Settings, engine: Engine) -> None:
    _preload_before_serving(app.state.decision_cache, engine)
    # The first full replica after a start is then assembled, not built (minutes at 100k).
    if settings.replica_warmup:
        app.state.replica_warmup = SnapshotWarmup(
            cache=app.state.replica_snapshot_cache, engine=engine, key=settings.template_key_bytes()
        )
        app.state.replica_warmup.start()
        # Its records live as long as the process: out of the collector's sight once built.
        freeze_after(app.state.replica_warmup.wait, name="portgate-freeze-after-warmup")


def create_app(
    settings: Settings, *, engine: Engine | None = None, server: bool = False
) -> FastAPI:
    """Build the central API.

    Args:
        settings: Database URL, MQTT URL (optional: without one nothing is published), secrets.
        engine: An engine to use instead of one made from `settings.database_url` (tests).
        server: A server process (one app for its life): time its garbage collections
            (`central_api.gc_watch`), load every decision input before serving, and
            freeze the decision cache's objects out of the cyclic collector's sight after
            each preload.
    """
    engine = engine or make_engine(settings.database_url)
    pseudonym_key(settings)  # a short PORTGATE_PSEUDONYM_KEY stops the start, not a report
    group = settings.ingest_share_group
    filters, stored = _filters(settings), _filters(settings, _INGEST_CHANNELS + _STORED_ONLY)
    # Several worker processes: each event goes to one worker's ingest (shared
    # subscription), while every process's live dashboard sees every message.
    worker = _ingest_worker(settings, engine, tap_received=group is None)
    bus = make_bus(
        connection=settings.ingest_mqtt_connection(),
        client_id=settings.ingest_client_id(),
        filters=[shared_filter(group, f) for f in stored] if group else stored,
        sink=worker.enqueue,
        live_filters=filters if group else (),
        live_sink=worker.offer_live if group else None,
        live_connection=settings.live_mqtt_connection(),
    )

    head_publisher = _head_publisher(settings, engine=engine, bus=bus)
    forwarding = forwarding_worker(settings, engine)  # docs/siem.md; a bad setting stops here
    webhooks = webhook_worker(settings, engine)  # signed alarm webhooks (docs/siem.md)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ensure_audit_head(engine=engine)
        if server:
            watch_gc()
            await run_in_threadpool(_before_serving, app, settings, engine)
        worker.start()
        bus.start()
        head_publisher.start()
        sharing = community_worker(settings, engine)  # docs/sharing.md
        sharing.start()
        forwarding.start()
        webhooks.start()
        try:
            yield
        finally:
            webhooks.stop()
            forwarding.stop()
            sharing.stop()
            head_publisher.stop()
            bus.stop()
            worker.stop()
            if app.state.live_reader is not None:
                await app.state.live_reader.close()
            if app.state.read_engine is not engine:
                app.state.read_engine.dispose()

    app = FastAPI(
        title="PortGate central API",
        version="0.1.0",
        description="Gate access decisions, enrollment, events, alarms, audit.",
        lifespan=lifespan,
        openapi_url="/openapi.json" if settings.public_docs else None,
        docs_url=None,  # served from this process, no CDN: install_api_docs below
        redoc_url=None,
    )
    if settings.public_docs:
        install_api_docs(app, openapi_url="/openapi.json")
    _install_state(app, settings, engine=engine, server=server)
    app.state.bus = bus
    app.state.ingest = worker
    _install_routes(app)
    _install_handlers(app)
    _install_body_limit(app)
    app.add_middleware(SecurityHeaders)
    return app


def _install_state(app: FastAPI, settings: Settings, *, engine: Engine, server: bool) -> None:
    """What the routes read from `app.state`, besides the bus and the ingest worker."""
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = read_engine_of(engine)
    # Warm decisions read their live state on the event loop (PostgreSQL).
    app.state.live_reader = LiveReader(conninfo_of(engine)) if is_postgres(engine) else None
    # Failed logins, per account and address, counted in the database for every worker.
    app.state.login_throttle = LoginThrottle(SqlThrottleStorage(engine))
    app.state.decision_cache = DecisionCache(
        preload=partial(preload_decision_inputs, engine=engine), freeze_gc=server
    )
    app.state.replica_delta_cache = SiteDeltaCache()  # one delta build per site and change
    # Full replicas assembled from each site's serialized records, patched by the change feed.
    app.state.replica_snapshot_cache = SnapshotCache()
    app.state.replica_warmup = None  # a server's SnapshotWarmup once started


def _install_routes(app: FastAPI) -> None:
    app.include_router(gates.decision_router)
    app.include_router(companies.router)
    for module in (health, auth, users, sites, people, rules, events, gates, audit, dead_letters):
        app.include_router(module.router)
    app.include_router(bans.router)  # the port authority's port bans
    app.include_router(watchlist.router)  # the port authority's persons of interest
    app.include_router(enroll_router)  # security-desk enrollment
    app.include_router(activations.router)  # one identity, activated per site
    app.include_router(gate_uploads_router)  # agents confirm what is stored, send the rest
    app.include_router(visitors_router)  # visitors pre-registered by a host
    app.include_router(incidents_router)  # incident reports for the sharing centre
    app.include_router(community_router)  # sharing between installations (docs/sharing.md)
    app.include_router(sharing_page)  # the admin's sharing card
    for staff_router in staff_report_routers:  # staff reports (docs/staff-reports.md)
        app.include_router(staff_router)
    app.include_router(webhooks_router)  # alarm webhooks' dead letters (docs/siem.md)
    app.include_router(locale.router)  # the language a user reads the pages in (issue 22)
    app.include_router(account_router)  # your own password, reset links, sessions (/account)
    for mobile_router in mobile_pass_routers:  # passes on a phone (issue 26.3)
        app.include_router(mobile_router)
    mount_dashboard(app)  # the live dashboard taps this process's ingest
    app.add_middleware(PageLocale)  # the request's language, set before any route renders


def _head_publisher(settings: Settings, *, engine: Engine, bus: MessageBus) -> HeadPublisher:
    # Every worker process sees the same head: the first one publishes it for all.
    publishes = settings.worker_index in (None, 0)
    targets = HeadTargets(
        bus=bus if publishes and settings.mqtt_url else None,
        site=settings.mqtt_site,
        file=settings.audit_head_file if publishes else None,
    )
    return HeadPublisher(
        engine=engine,
        targets=targets,
        interval_s=settings.audit_head_interval_s,
        every=settings.audit_head_every,
    )


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 413:  # the streaming limit's own wording is Starlette's
            return JSONResponse({"detail": BODY_TOO_LARGE}, status_code=413)
        return await http_exception_handler(request, exc)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        logger.info("integrity error on %s: %s", request.url.path, exc.orig)
        return JSONResponse(
            {"detail": "conflicts with existing data (duplicate or missing reference)"},
            status_code=409,
        )

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        logger.info("data error on %s: %s", request.url.path, exc.orig)
        return JSONResponse({"detail": "a value is out of range for storage"}, status_code=422)


def _install_body_limit(app: FastAPI) -> None:
    # Outermost last. The lane reads only small declared bodies and hands any other
    # request to the app as it came; it is inside both limits all the same.
    app.add_middleware(DecisionLane, state=app.state)
    # NaN, Infinity, 1e999 in a JSON body: one 422 before the lane and every route.
    app.add_middleware(StrictJsonBody)
    # Counts the bytes that arrive (a chunked body has no Content-Length to check) and
    # raises 413 from `receive` once they run over, which the routes answer as JSON.
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=MAX_BODY_BYTES)
    # A declared length over the limit: our own JSON 413 before anything reads (the
    # streaming limit would answer it in plain text).
    app.add_middleware(BodyLimit)


class BodyLimit:
    """Refuse a declared body over MAX_BODY_BYTES (413) before anything reads it.

    A body without a Content-Length (chunked) is counted as it arrives by Starlette's
    `RequestBodyLimitMiddleware`, inside this one, which answers 413 once it runs over.

    A plain ASGI middleware: `@app.middleware("http")` would wrap every request in
    Starlette's BaseHTTPMiddleware, which costs an extra task and stream per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 413 for a too-large or malformed Content-Length; else pass through."""
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length" and (
                    not value.isdigit() or int(value) > MAX_BODY_BYTES
                ):
                    response = JSONResponse({"detail": BODY_TOO_LARGE}, status_code=413)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)

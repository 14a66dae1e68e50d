"""The snapshot cache warmed when the API starts, so the first full replica is assembled too.

Without it the first full replica a site's gate asks for after a start builds the site's
records (54.6 s for 100,000 people at load 8-15, docs/performance.md), and every gate that
restarts with the API waits for it. `SnapshotWarmup` builds them on a background thread
after the decision inputs are loaded, the sites whose access groups grant the most people
first, as many sites as the cache keeps (its memory bound is unchanged). A gate that asks
meanwhile waits for its site's build (`SnapshotCache`'s site lock), never for a half one.
`PORTGATE_REPLICA_WARMUP=0` leaves the cache to fill on demand.

In a server process the warm-up ends with one collection and `gc.freeze`, as the decision
cache's preload does: the kept records of a 100,000-person site and three smaller ones are
about 260,000 tracked objects, which every later full collection walked while holding the
worker's GIL (0.23 s each on the 2-core machine, docs/performance.md's fifth pass on 24.4).
A patch replaces records without cycles, so the frozen ones it drops are still freed.
"""

import gc
import logging
import threading
import time

from sqlalchemy import Engine, func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from central_api.models import AccessGroup, AccessGroupZone, Gate, PersonAccessGroup
from central_api.replica.snapshot_cache import SnapshotCache

__all__ = ["SnapshotWarmup", "sites_to_warm", "warm_snapshot_cache"]

logger = logging.getLogger(__name__)


def sites_to_warm(session: Session, limit: int) -> list[str]:
    """Up to `limit` sites with gates, the most people granted a zone there first."""
    granted = func.count(func.distinct(PersonAccessGroup.person_id))
    rows = session.exec(
        select(AccessGroup.site_id, granted)
        .join(PersonAccessGroup, col(PersonAccessGroup.group_id) == col(AccessGroup.id))
        .join(AccessGroupZone, col(AccessGroupZone.group_id) == col(AccessGroup.id))
        .where(col(AccessGroup.site_id).in_(select(Gate.site_id).distinct()))
        .group_by(col(AccessGroup.site_id))
        .order_by(granted.desc(), col(AccessGroup.site_id))
        .limit(limit)
    ).all()
    return [site_id for site_id, _ in rows]


def warm_snapshot_cache(*, cache: SnapshotCache, engine: Engine, key: bytes) -> list[str]:
    """Warm the cache's sites now (one session each); return the sites warmed."""
    started = time.perf_counter()
    with Session(engine) as session:
        sites = sites_to_warm(session, cache.capacity)
    for site_id in sites:
        with Session(engine) as session:
            cache.warm(session=session, site_id=site_id, key=key)
    logger.info(
        "replica snapshot cache warm: %d sites in %.1f s", len(sites), time.perf_counter() - started
    )
    return sites


class SnapshotWarmup:
    """`warm_snapshot_cache` on a daemon thread (a stopping API does not wait for it)."""

    def __init__(
        self, *, cache: SnapshotCache, engine: Engine, key: bytes, freeze_gc: bool = False
    ) -> None:
        """Prepare the warm-up of `cache` from `engine`'s database (templates sealed by `key`).

        `freeze_gc` (a server process, one app for its life): when done, freeze every
        surviving object out of the cyclic collector's sight. Not in a process that makes
        many apps (tests): what they leave would never be collected.
        """
        self._cache, self._engine, self._key = cache, engine, key
        self._freeze_gc = freeze_gc
        self._thread = threading.Thread(target=self._run, name="replica-warmup", daemon=True)

    def start(self) -> None:
        """Start warming in the background."""
        self._thread.start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait up to `timeout_s` (None: until done); True once the warm-up is over."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            warm_snapshot_cache(cache=self._cache, engine=self._engine, key=self._key)
        except (SQLAlchemyError, ValueError) as exc:
            # The cache fills on demand as without a warm-up: slower first replicas only.
            logger.warning("replica snapshot cache warm-up stopped: %s", type(exc).__name__)
        if self._freeze_gc:
            gc.collect()  # what is garbage now is not frozen with the rest
            gc.freeze()

"""`decide`: the one entry to a gate's decision request (the route and the lane call it).

This is what a gate waits on at the barrier, so its cost is kept to the one read that no
cache may answer: the live state (decision-data version, threat level, replica version,
last passage). The gate key checked against the process's cache
(`central_api.security.gate_keys.GateKeyHeader`) is confirmed by that very read: the version it
returns is the one the key and the inputs were found valid under, or the key is looked up
again and the inputs reloaded.

Two ways, tried in order by `decide` (async, on the event loop):

1. `decide_on_event_loop` (async): everything but the live state from the generation, the
   live state read on the event loop (`central_api.decisions.live_reader`, PostgreSQL), no
   worker thread. None when it cannot decide alone.
2. `decide_on_worker_thread` (blocking, one hop to a worker thread of `decision_limiter`):
   what the first way leaves (a cache miss, an appointment, another data version, a
   decision that writes, SQLite), through
   `central_api.decisions.in_session.decide_in_session`. Its reads go through an
   autocommit pool on PostgreSQL (no BEGIN, no COMMIT: one statement is its own snapshot,
   as each statement of a READ COMMITTED transaction is); a decision that consumes a
   one-time pass or raises an alarm writes in its own short transaction, whose conditional
   UPDATE keeps two gates racing the same pass to exactly one grant.
"""

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import Any

from anyio import CapacityLimiter, to_thread
from gate_protocol.api_models import DecisionAnswer, DecisionQuery
from gate_protocol.messages import CredentialKind
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.bus.notify import attach_bus
from central_api.db import is_postgres, make_engine, utc_now
from central_api.decisions.in_session import (
    decide_in_session,
    finish_decision,
    judge_presentation,
    needs_writes,
)
from central_api.decisions.inputs import cached_decision_inputs
from central_api.decisions.live_reader import LiveReader
from central_api.security.gate_keys import GateKeyClaim, recheck_gate_key

__all__ = [
    "DECISION_THREADS",
    "decide",
    "decide_on_event_loop",
    "decide_on_worker_thread",
    "decision_limiter",
    "read_engine_of",
]

DECISION_THREADS = 8
"""Decisions one process works on at once; the others wait their turn in the event loop.

Each holds a pooled connection for about one round trip; on a few cores more threads
only contend for the GIL, and more than the pool holds would open and close connections.
"""


def decision_limiter(state: Any) -> CapacityLimiter:
    """The app's decision thread limiter (made on first use, inside the event loop)."""
    limiter: CapacityLimiter | None = getattr(state, "decision_limiter", None)
    if limiter is None:
        limiter = CapacityLimiter(DECISION_THREADS)
        state.decision_limiter = limiter
    return limiter


def read_engine_of(engine: Engine) -> Engine:
    """The engine decisions read through: on PostgreSQL its own pool of autocommit connections.

    One round trip a read, with room for every decision thread. SQLite reads take no
    transaction round trips, so there it is `engine` itself.
    """
    if is_postgres(engine):
        url = engine.url.render_as_string(hide_password=False)
        return make_engine(url, pool_size=DECISION_THREADS, autocommit=True)
    return engine


async def decide(*, state: Any, claim: GateKeyClaim, query: DecisionQuery) -> DecisionAnswer:
    """Decide `query` for the gate of `claim`: on the event loop when warm, else on a thread.

    The one entry: the decision route (`central_api.routes.gates`) and the decision lane
    (`central_api.decisions.lane`) both call it, on the event loop.

    Args:
        state: The app's `state` (engines, live reader, settings, decision cache, bus).
        claim: The caller's gate key, as the route's dependency or the lane found it.
        query: The presentation.

    Raises:
        HTTPException: 401, the key was revoked since the process found it valid.
        NotFoundError: The key's gate no longer exists.
    """
    answer = await decide_on_event_loop(state=state, claim=claim, query=query)
    if answer is not None:
        return answer
    # One worker-thread hop for the whole decision, on a few threads of its own: more
    # would only contend for the GIL and the pool.
    return await to_thread.run_sync(
        partial(decide_on_worker_thread, state=state, claim=claim, query=query),
        limiter=decision_limiter(state),
    )


async def decide_on_event_loop(
    *, state: Any, claim: GateKeyClaim, query: DecisionQuery
) -> DecisionAnswer | None:
    """The warm decision without a worker thread; None: the thread path must decide.

    Everything but the live state comes from the claim's generation; the live state is
    read by the app's `LiveReader` (PostgreSQL). None for a QR pass (its appointment is
    always read live), when anything is not cached, when the read fails or shows another
    data version (the thread path checks the key again and reloads), or when the decision
    would write (a one-time pass, an alarm: one short transaction on the thread path).
    """
    reader: LiveReader | None = getattr(state, "live_reader", None)
    generation = claim.generation
    if reader is None or generation is None or generation.version is None:
        return None
    if query.credential_kind is CredentialKind.QR_PASS:
        return None  # its appointment is always read live: verifying it here would be wasted
    started = time.perf_counter()
    now = utc_now()
    cached = cached_decision_inputs(
        settings=state.settings,
        generation=generation,
        gate_id=claim.gate.gate_id,
        request=query,
        now=now,
    )
    if cached is None:
        return None
    gate, presenter = cached
    if presenter.person is not None and presenter.person.escort_host_id is not None:
        return None  # an escorted visitor: the thread path reads the host's grants
    live = await reader.read(
        site_id=gate.site_id,
        person_id=presenter.person.person_id if presenter.person is not None else None,
        zone_id=gate.zone.zone_id,
        before=now,
    )
    if live is None or live.data_version != generation.version:
        return None
    result = judge_presentation(gate=gate, presenter=presenter, live=live, request=query, now=now)
    if needs_writes(result):
        return None
    return finish_decision(
        open_write=_no_writes,
        gate=gate,
        presenter=presenter,
        live=live,
        request=query,
        now=now,
        started=started,
        result=result,
    )


def _no_writes() -> AbstractContextManager[Session]:
    raise AssertionError("a decision judged to write nothing asked to write")


def decide_on_worker_thread(
    *, state: Any, claim: GateKeyClaim, query: DecisionQuery
) -> DecisionAnswer:
    """Decide `query` for the gate of `claim` with the app's engines, cache and bus (blocking).

    Runs on a worker thread (`decide` hands it over): reads through the app's read engine,
    writes a pass or an alarm in a short transaction of its own.

    Args:
        state: The app's `state` (engine, read engine, settings, decision cache, bus).
        claim: The caller's gate key and the generation it was found valid in.
        query: The presentation.

    Raises:
        HTTPException: 401, the key was revoked since `claim.generation`.
        NotFoundError: The key's gate no longer exists.
    """

    @contextmanager
    def open_write() -> Iterator[Session]:
        with Session(state.engine, expire_on_commit=False) as session:
            yield attach_bus(session, state.bus)

    with Session(state.read_engine, expire_on_commit=False) as read:
        return decide_in_session(
            session=read,
            settings=state.settings,
            gate_id=claim.gate.gate_id,
            request=query,
            cache=state.decision_cache,
            generation=claim.generation,
            recheck_gate=lambda fresh: (
                recheck_gate_key(session=read, generation=fresh, digest=claim.digest).gate_id
            ),
            open_write=open_write,
        )

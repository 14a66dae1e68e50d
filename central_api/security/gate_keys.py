"""Gate agents' API keys: who is calling, as a gate, and which gate it may reach.

Keys are 256-bit random and stored as their sha256 (no slow hash needed). A valid key's
gate is kept in the app's decision-input generation: agent keys bump the decision-data
version (migration 0007), so a revoked or rotated key is refused by the very next request
on every worker. Unknown keys are looked up every time and never cached.
"""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.decision_data.cache import DecisionCache, GateKeyInputs, Generation
from central_api.decision_data.changes import change_reader, read_data_version
from central_api.deps import SessionDep
from central_api.models import AgentKey, Gate

__all__ = [
    "GATE_KEY_HEADER",
    "GateAgent",
    "GateClaim",
    "GateKeyClaim",
    "GateKeyHeader",
    "GateKeyRequirement",
    "GatePrincipal",
    "cached_claim",
    "check_gate_key",
    "check_own_gate",
    "hash_key",
    "recheck_gate_key",
    "require_gate",
    "require_gate_claim",
    "resolve_gate_key",
    "unauthorized",
]

GATE_KEY_HEADER = "X-Gate-Key"
_gate_key = APIKeyHeader(name=GATE_KEY_HEADER, auto_error=False)


def unauthorized(detail: str) -> HTTPException:
    """The 401 every failed login or key check answers."""
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def hash_key(key: str) -> str:
    """sha256 hex of a gate API key (keys are 256-bit random, so no slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class GatePrincipal:
    """An authenticated gate agent: it may reach only `gate_id`."""

    gate_id: str
    site_id: str

    @property
    def actor(self) -> str:
        """The audit actor string."""
        return f"gate:{self.gate_id}"


class GateKeyRequirement:
    """Dependency of the gate's other routes (replica, uploads): its own gate's API key.

    A valid key's gate is taken from the app's current decision-input generation while
    that generation is current (one read of the decision-data version instead of the key
    and gate lookups): agent keys bump that version (migration 0007), so a revoked or
    rotated key is refused by the very next request on every worker. Unknown keys are
    looked up every time and never cached. See `check_gate_key`.
    """

    def __call__(
        self,
        request: Request,
        session: SessionDep,
        key: Annotated[str | None, Depends(_gate_key)],
    ) -> GatePrincipal:
        """Resolve the gate from the `X-Gate-Key` header."""
        gate = check_gate_key(
            session=session,
            cache=getattr(request.app.state, "decision_cache", None),
            digest=_digest_of(key),
        )
        return GatePrincipal(gate_id=gate.gate_id, site_id=gate.site_id)


@dataclass(frozen=True, slots=True)
class GateKeyClaim:
    """A gate key found valid under `generation` (None: no cache; checked in the database).

    The decision route confirms it in the decision's own read: if the decision-data
    version moved since `generation`, the key is looked up again (`recheck_gate_key`).
    """

    digest: str
    gate: GateKeyInputs
    generation: Generation | None


class GateKeyHeader:
    """Dependency for the decision route: a gate key, with no database read when cached.

    The hot path of a gate: a key this process already found valid is taken from the
    current generation here, and the decision's one read of the live state confirms that
    the generation is still current (`central_api.decisions.entry`). A key not in the
    generation is looked up as `GateKeyRequirement` does, so an unknown key is refused
    (401) before the body is even validated.
    """

    async def __call__(
        self, request: Request, key: Annotated[str | None, Depends(_gate_key)]
    ) -> GateKeyClaim:
        """The claim behind the `X-Gate-Key` header (401 when unknown or revoked)."""
        digest = _digest_of(key)
        cache: DecisionCache | None = getattr(request.app.state, "decision_cache", None)
        claim = cached_claim(cache, digest) if cache is not None else None
        if claim is not None:
            return claim
        return await run_in_threadpool(
            _claim_from_database, request.app.state.engine, cache, digest
        )


def cached_claim(cache: DecisionCache, digest: str) -> GateKeyClaim | None:
    """The claim of the key with `digest` if the cache's current generation knows it.

    No database read: the decision's live-state read confirms the generation.
    """
    generation = cache.current()
    if generation.version is None:
        return None
    known = generation.gate_keys.get(digest)
    if known is None:
        return None
    return GateKeyClaim(digest=digest, gate=known, generation=generation)


def _claim_from_database(engine: Engine, cache: DecisionCache | None, digest: str) -> GateKeyClaim:
    with Session(engine) as session:
        return resolve_gate_key(session=session, cache=cache, digest=digest)


def _digest_of(key: str | None) -> str:
    if not key or len(key) > 200:
        raise unauthorized(f"missing or malformed {GATE_KEY_HEADER} header")
    return hash_key(key)


def resolve_gate_key(*, session: Session, cache: DecisionCache | None, digest: str) -> GateKeyClaim:
    """The gate of the key with `digest`, through the cache's generation when it knows it.

    Raises:
        HTTPException: 401, the key is unknown or revoked.
    """
    generation = None
    if cache is not None:
        # The version first: what is read after it is at least that current.
        version = read_data_version(session)
        if version is not None:
            generation = cache.generation(version, changes=change_reader(session))
    gate = _gate_in(generation, session=session, digest=digest)
    return GateKeyClaim(digest=digest, gate=gate, generation=generation)


def check_gate_key(*, session: Session, cache: DecisionCache | None, digest: str) -> GateKeyInputs:
    """The gate of the key with `digest`, never moving the cache to a new generation.

    When the decision-data version has moved past the current generation, the key is
    looked up in the database (one statement) and the generation is left as it is: moving
    it carries every other entry over (200,000 at a port's 100,000 people) and starts a
    preload and a full garbage collection, which made a gate's delta right after a change
    take 0.5 s over HTTP where building it takes 20 ms (docs/performance.md, issue 24.4).
    The next decision moves it, as it would have anyway.

    Raises:
        HTTPException: 401, the key is unknown or revoked.
    """
    if cache is None:
        return _require_key(session, digest)
    current = cache.current()
    # The version first: what is read after it is at least that current.
    version = read_data_version(session)
    fresh = current if version is not None and version == current.version else None
    return _gate_in(fresh, session=session, digest=digest)


def _gate_in(generation: Generation | None, *, session: Session, digest: str) -> GateKeyInputs:
    """The key's gate as `generation` knows it, else from the database (kept there)."""
    if generation is None:
        return _require_key(session, digest)
    known = generation.gate_keys.get(digest)
    if known is not None:
        return known
    return recheck_gate_key(session=session, generation=generation, digest=digest)


def recheck_gate_key(*, session: Session, generation: Generation, digest: str) -> GateKeyInputs:
    """Look the key up in the database and keep it in `generation` (read after its version).

    Raises:
        HTTPException: 401, the key is unknown or revoked.
    """
    found = _require_key(session, digest)
    generation.gate_keys[digest] = found
    return found


def _require_key(session: Session, digest: str) -> GateKeyInputs:
    found = _lookup_gate_key(session=session, digest=digest)
    if found is None:
        raise unauthorized("unknown or revoked gate key")
    return found


def _lookup_gate_key(*, session: Session, digest: str) -> GateKeyInputs | None:
    row = session.exec(
        select(AgentKey.key_hash, Gate.id, Gate.site_id)
        .join(Gate, col(Gate.id) == col(AgentKey.gate_id))
        .where(AgentKey.key_hash == digest, col(AgentKey.revoked_at).is_(None))
    ).first()
    if row is None or not hmac.compare_digest(row[0], digest):
        return None
    return GateKeyInputs(gate_id=row[1], site_id=row[2])


def require_gate() -> GateKeyRequirement:
    """The dependency that admits a gate agent by its key."""
    return GateKeyRequirement()


def require_gate_claim() -> GateKeyHeader:
    """The decision route's gate-key dependency (confirmed in the decision's own read)."""
    return GateKeyHeader()


def check_own_gate(principal: GatePrincipal, gate_id: str) -> None:
    """Refuse a gate key that asks about another gate (404: it learns nothing)."""
    if principal.gate_id != gate_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"gate {gate_id!r} not found")


GateAgent = Annotated[GatePrincipal, Depends(require_gate())]
GateClaim = Annotated[GateKeyClaim, Depends(require_gate_claim())]

"""A gate agent's own routes (decisions, replica) and operators' remote opens (bearer token).

The remote-open handlers are shared with the dashboard's URLs: `central_api.routes.remote_open`.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from gate_protocol.api_models import DecisionAnswer, DecisionQuery
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot

from central_api.decisions.entry import decide
from central_api.deps import SessionDep, SettingsDep
from central_api.replica.builder import build_replica
from central_api.routes.params import IdPath
from central_api.routes.remote_open import add_remote_open_routes
from central_api.security.auth import GateAgent, check_own_gate
from central_api.security.gate_keys import GateClaim

__all__ = ["decision_router", "router"]

router = APIRouter(prefix="/api/v1", tags=["gates"])
# The route every gate waits on: the app includes it first, so it is matched first.
decision_router = APIRouter(prefix="/api/v1", tags=["gates"])


@decision_router.post("/decisions", response_model=DecisionAnswer)
async def post_decision(request: Request, body: DecisionQuery, gate: GateClaim) -> Response:
    """May this presenter pass the calling gate now? One reason code on every denial."""
    # No sync dependency: each would be one more hop to a worker thread.
    answer = await decide(state=request.app.state, claim=gate, query=body)
    # Serialised once by the model itself (the route's return is not validated again).
    return Response(answer.model_dump_json(), media_type="application/json")


@router.get(
    "/gates/{gate_id}/replica",
    response_model=ReplicaSnapshot | ReplicaDelta,
    responses={200: {"description": "gate_protocol.replica snapshot or delta"}},
)
def get_replica(
    request: Request,
    gate_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    gate: GateAgent,
    since: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> Response:
    """The calling gate's replica: a snapshot, or the delta after `since`."""
    check_own_gate(gate, gate_id)
    snapshots = getattr(request.app.state, "replica_snapshot_cache", None)
    if since is None and snapshots is not None:
        # The site's records kept serialized: a full replica is assembled, not built.
        body = snapshots.snapshot_body(
            session=session,
            gate_id=gate_id,
            template_key=settings.template_key_bytes(),
            pass_keys=settings.pass_key_entries(),
        )
        session.commit()  # a gate's first command key is made when its replica first asks
        return Response(body, media_type="application/json")
    replica = build_replica(
        session=session,
        gate_id=gate_id,
        since=since,
        template_key=settings.template_key_bytes(),
        pass_keys=settings.pass_key_entries(),
        # A site's gates all ask for the same delta after a change: its shared part once.
        cache=getattr(request.app.state, "replica_delta_cache", None),
    )
    session.commit()  # a gate's first command key is made when its replica first asks
    # Serialised once by the schema model itself (large replicas: skip re-validation).
    return Response(replica.model_dump_json(), media_type="application/json")


add_remote_open_routes(router)

"""Remote opens over HTTP: one implementation behind the API's and the dashboard's URLs.

`add_remote_open_routes` puts the same two handlers on a router: the API's (``/api/v1``,
bearer token) and the dashboard's (``/dashboard/api``, session cookie, CSRF-checked by that
router's own dependency). Either way the request goes through the audited service in
`central_api.openings` (four-eyes, rate alarm, the short-lived OpenCommand), and the live
clients of the gate's site see the request at once, whichever URL made it.
"""

from fastapi import APIRouter
from sqlmodel import Session

from central_api.crud.sites import get_gate
from central_api.dashboard.hub import LiveItem
from central_api.dashboard.state import LiveDep
from central_api.deps import SessionDep, SettingsDep
from central_api.errors import NotFoundError
from central_api.models import OpenRequest, OpenRequestCreate, OpenRequestPublic
from central_api.openings import approve_open, request_open
from central_api.routes.params import IdPath
from central_api.security.auth import OperatorUser

__all__ = ["add_remote_open_routes", "approve_open_request", "open_gate"]


def add_remote_open_routes(router: APIRouter) -> None:
    """Add ``POST gates/{gate_id}/open`` and ``POST open-requests/{request_id}/approve``."""
    router.add_api_route(
        "/gates/{gate_id}/open",
        open_gate,
        methods=["POST"],
        response_model=OpenRequestPublic,
        status_code=202,
    )
    router.add_api_route(
        "/open-requests/{request_id}/approve",
        approve_open_request,
        methods=["POST"],
        response_model=OpenRequestPublic,
    )


def open_gate(
    gate_id: IdPath,
    body: OpenRequestCreate,
    session: SessionDep,
    settings: SettingsDep,
    live: LiveDep,
    user: OperatorUser,
) -> OpenRequestPublic:
    """Open a lane with a reason: issued at once, or pending a second operator (four-eyes)."""
    # The site-scoped session already hides another site's gate; this states the rule
    # where the answer is told live to the site's streams.
    if not user.sees_site(get_gate(session=session, gate_id=gate_id).site_id):
        raise NotFoundError("gate not found")
    request = request_open(
        session=session,
        gate_id=gate_id,
        open_create=body,
        username=user.username,
        ttl_s=settings.open_command_ttl_s,
        seal_key=settings.template_key_bytes(),
    )
    return _told_live(session, live, request)


def approve_open_request(
    request_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    live: LiveDep,
    user: OperatorUser,
) -> OpenRequestPublic:
    """Approve another operator's pending remote open (four-eyes sites)."""
    request = approve_open(
        session=session,
        request_id=request_id,
        username=user.username,
        ttl_s=settings.open_command_ttl_s,
        seal_key=settings.template_key_bytes(),
    )
    return _told_live(session, live, request)


def _told_live(session: Session, live: LiveDep, request: OpenRequest) -> OpenRequestPublic:
    """The answer, after offering it to the live clients of the gate's site."""
    public = OpenRequestPublic.model_validate(request, from_attributes=True)
    gate = get_gate(session=session, gate_id=request.gate_id)
    live.hub.publish(LiveItem.of("open", public.model_dump(mode="json"), site_id=gate.site_id))
    return public

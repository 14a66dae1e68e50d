"""Visitors pre-registered by a host (security desk and admins): register, list, cancel."""

from typing import Annotated

from fastapi import APIRouter, Query

from central_api.crud import visitors as crud
from central_api.deps import SessionDep
from central_api.models import VisitorCreate, VisitorPublic
from central_api.routes.params import IdPath
from central_api.security.auth import DeskUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["visitors"])


@router.post("/visitors", response_model=VisitorPublic, status_code=201)
def create_visitor(body: VisitorCreate, session: SessionDep, desk: DeskUser) -> VisitorPublic:
    """Pre-register a visit: the visitor becomes a person valid in the window only.

    A site-bound desk's session sees its own site only: another site answers 404.
    """
    return crud.create_visitor(session=session, body=body, actor=desk.actor)


@router.get("/visitors", response_model=list[VisitorPublic])
def list_visitors(
    session: SessionDep,
    desk: DeskUser,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    include_cancelled: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[VisitorPublic]:
    """Visits, newest window first; cancelled ones only when asked."""
    return crud.list_visitors(
        session=session, site_id=site_id, include_cancelled=include_cancelled, limit=limit
    )


@router.get("/visitors/{visitor_id}", response_model=VisitorPublic)
def get_visitor(visitor_id: IdPath, session: SessionDep, desk: DeskUser) -> VisitorPublic:
    """One visit."""
    return crud.visitor_public(*crud.get_visitor(session=session, visitor_id=visitor_id))


@router.post("/visitors/{visitor_id}/cancel", response_model=VisitorPublic)
def cancel_visitor(visitor_id: IdPath, session: SessionDep, desk: DeskUser) -> VisitorPublic:
    """Cancel a visit: the visitor and their badge are revoked; a second cancel is 409."""
    return crud.cancel_visitor(session=session, visitor_id=visitor_id, actor=desk.actor)

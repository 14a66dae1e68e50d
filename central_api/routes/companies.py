"""Companies: their status (suspend, flag, clear) and per-company figures.

Every user may read them; only the port authority and site-wide admins change a status
(a company works at every terminal of the port, not at one site).
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from sqlmodel import Session

from central_api.crud import companies as crud
from central_api.dashboard.company_figures import company_figures
from central_api.deps import SessionDep
from central_api.models import (
    Company,
    CompanyFigures,
    CompanyPublic,
    CompanyStatusChangePublic,
    CompanyStatusSet,
    Role,
)
from central_api.security.auth import UserPrincipal, require_role

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["companies"])

Reader = Annotated[
    UserPrincipal,
    Depends(require_role(Role.OPERATOR, Role.SECURITY_DESK, Role.AUTHORITY)),
]
Authority = Annotated[UserPrincipal, Depends(require_role(Role.AUTHORITY))]
# A company's id, or its name (URL-encoded); a name that matches several companies is 409.
CompanyRef = Annotated[str, Path(min_length=1, max_length=120)]


def _public(
    session: Session, company: Company, people: int = 0, *, history: bool = False
) -> CompanyPublic:
    assert company.id is not None  # noqa: S101 (stored)
    changes = crud.company_history(session=session, company_id=company.id) if history else []
    return CompanyPublic.model_validate(
        company,
        update={
            "people": people,
            "history": [CompanyStatusChangePublic.model_validate(c) for c in changes],
        },
    )


@router.get("/companies", response_model=list[CompanyPublic])
def list_companies(session: SessionDep, user: Reader) -> list[CompanyPublic]:
    """Every company with its status and how many of its people the caller may see."""
    return [
        _public(session, company, people)
        for company, people in crud.list_companies(session=session)
    ]


@router.get("/companies/{company}", response_model=CompanyPublic)
def get_company(company: CompanyRef, session: SessionDep, user: Reader) -> CompanyPublic:
    """One company (by id or name) with the history of its status."""
    row = crud.find_company(session=session, ref=company)
    return _public(session, row, history=True)


@router.post("/companies/{company}/status", response_model=CompanyPublic)
def set_status(
    company: CompanyRef, body: CompanyStatusSet, session: SessionDep, user: Authority
) -> CompanyPublic:
    """Suspend, flag or clear a company (audited; its people's gates resync at once)."""
    if user.role is Role.ADMIN and user.site_id is not None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="only the port authority or a site-wide admin may change a company's status",
        )
    row = crud.find_company(session=session, ref=company)
    assert row.id is not None  # noqa: S101 (stored)
    changed = crud.set_company_status(
        session=session,
        company_id=row.id,
        status=body.status,
        reason=body.reason,
        actor=user.actor,
    )
    return _public(session, changed, history=True)


@router.get("/companies/{company}/figures", response_model=CompanyFigures)
def get_figures(
    company: CompanyRef,
    session: SessionDep,
    user: Reader,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> CompanyFigures:
    """Passages, denials by reason, pass reuse, no-shows and alarms from `from` until `to`."""
    row = crud.find_company(session=session, ref=company)
    return company_figures(session=session, company=row, start=start, end=end)

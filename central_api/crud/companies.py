"""Companies: find one by id or name, list them, change their status (audited, with history).

A status change reaches every gate where the company's people may pass in the same
transaction: each of those people is noted as changed in their site's replica (so the gates'
next delta carries their new company standing) and their person rows are touched, so that
the decision-data triggers drop just those people from every API process's cache.
"""

from collections import defaultdict

from gate_protocol.records import CompanyStatus
from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from central_api.crud.audited import commit_audited
from central_api.db import utc_now
from central_api.errors import ConflictError, InvalidError, NotFoundError
from central_api.models import Company, CompanyStatusChange, Person, ReplicaChange
from central_api.models.identity import SiteActivation
from central_api.replica.versions import bump_replica
from central_api.security.site_scope import unscoped

__all__ = ["company_history", "find_company", "get_company", "list_companies", "set_company_status"]

# The audit action of each status a company is set to.
_ACTIONS = {
    CompanyStatus.SUSPENDED: "company.suspend",
    CompanyStatus.FLAGGED: "company.flag",
    CompanyStatus.ACTIVE: "company.clear",
}


def get_company(*, session: Session, company_id: int) -> Company:
    """The company, or NotFoundError."""
    company = session.get(Company, company_id)
    if company is None:
        raise NotFoundError(f"company {company_id} not found")
    return company


def find_company(*, session: Session, ref: str) -> Company:
    """The company whose id (all digits) or name (any case) is `ref`.

    Raises:
        NotFoundError: No such company.
        ConflictError: The name matches several companies (they differ only in case): the
            message lists their ids, one of which the caller must use instead.
    """
    ref = ref.strip()
    if ref.isascii() and ref.isdigit():
        # Beyond a 32-bit id no row can have it (and PostgreSQL would refuse the number).
        if len(ref) > 9:
            raise NotFoundError(f"company {ref} not found")
        return get_company(session=session, company_id=int(ref))
    rows = session.exec(
        select(Company)
        .where(func.lower(col(Company.name)) == ref.lower())
        .order_by(col(Company.id))
    ).all()
    if len(rows) > 1:
        ids = ", ".join(str(row.id) for row in rows)
        raise ConflictError(
            f"company name {ref!r} matches {len(rows)} companies (ids {ids}): use the id"
        )
    if not rows:
        raise NotFoundError(f"company {ref!r} not found")
    return rows[0]


def list_companies(*, session: Session) -> list[tuple[Company, int]]:
    """Every company by name, with how many people it has."""
    counts = dict(
        session.exec(
            select(Person.company_id, func.count())
            .where(col(Person.company_id).is_not(None))
            .group_by(col(Person.company_id))
        ).all()
    )
    companies = session.exec(select(Company).order_by(col(Company.name))).all()
    return [(company, int(counts.get(company.id, 0))) for company in companies]


def company_history(*, session: Session, company_id: int) -> list[CompanyStatusChange]:
    """The company's status changes, oldest first."""
    return list(
        session.exec(
            select(CompanyStatusChange)
            .where(CompanyStatusChange.company_id == company_id)
            .order_by(col(CompanyStatusChange.id))
        ).all()
    )


def _check_change(company: Company, status: CompanyStatus, reason: str) -> None:
    if status is CompanyStatus.ACTIVE and company.status is CompanyStatus.ACTIVE:
        raise ConflictError(f"company {company.name!r} is already active: nothing to clear")
    if status is company.status:
        raise ConflictError(f"company {company.name!r} is already {status}")
    if status is not CompanyStatus.ACTIVE and not reason.strip():
        raise InvalidError(f"a reason is required to set company {company.name!r} {status}")


def set_company_status(
    *, session: Session, company_id: int, status: CompanyStatus, reason: str, actor: str
) -> Company:
    """Suspend, flag or clear a company: one audited transaction that gates learn of at once.

    Raises:
        NotFoundError: No such company.
        ConflictError: The company already has that status (clearing an active one too).
        InvalidError: Suspending or flagging without a reason.
    """
    company = get_company(session=session, company_id=company_id)
    _check_change(company, status, reason)
    before = {"status": str(company.status), "reason": company.status_reason}
    change = CompanyStatusChange(
        company_id=company_id,
        from_status=company.status,
        to_status=status,
        reason=reason.strip(),
        actor=actor[:80],
    )
    company.status = status
    company.status_reason = reason.strip() or None
    company.status_changed_at = change.changed_at
    session.add(company)
    session.add(change)
    _reach_the_gates(session=session, company_id=company_id)
    commit_audited(
        session,
        actor=actor,
        action=_ACTIONS[status],
        target=f"company:{company_id}",
        before=before,
        after={"status": str(status), "reason": company.status_reason, "name": company.name},
    )
    session.refresh(company)
    return company


def _reach_the_gates(*, session: Session, company_id: int) -> None:
    """Note the company's people as changed: in each activated site's replica and the cache."""
    with unscoped(session):
        people = session.exec(
            select(SiteActivation.person_id, SiteActivation.site_id)
            .join(Person, col(Person.id) == col(SiteActivation.person_id))
            .where(Person.company_id == company_id)
        ).all()
    by_site: dict[str, list[str]] = defaultdict(list)
    for person_id, site_id in people:
        by_site[site_id].append(person_id)
    for site_id, person_ids in sorted(by_site.items()):
        first, *others = sorted(person_ids)
        version = bump_replica(session=session, site_id=site_id, person_id=first)
        # One version for the whole company: the delta after it lists all of them.
        if others:  # one executemany: a company may have thousands of people
            session.execute(
                insert(ReplicaChange),
                [
                    {
                        "site_id": site_id,
                        "version": version,
                        "person_id": other,
                        "scope": "person",
                        "detail": {},
                    }
                    for other in others
                ],
            )
    if people:
        # The decision-data triggers note each touched person: API processes reload them.
        session.exec(
            update(Person).where(col(Person.company_id) == company_id).values(updated_at=utc_now())
        )

"""Applying an HR sync plan through the audited crud, and keeping its report.

Each person's change is its own audited transaction (`create_person`, `update_person`), so
a run that stops half-way leaves whole people behind and the next run finishes the rest:
a joiner already enrolled under the same external id (an earlier run, the bulk import) is
taken over, not enrolled twice.
"""

from __future__ import annotations

import json

from gate_protocol.records import PersonKind, PersonStatus
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.crud.people import create_person, get_person, update_person
from central_api.db import utc_now
from central_api.enroll.people import company_id_named, person_by_external_id
from central_api.enroll.tables import PersonExternalId
from central_api.hr_sync.plan import Change, Member, SyncPlan
from central_api.hr_sync.sources import HrEntry
from central_api.models import HrMember, HrSyncReport, PersonCreate, PersonUpdate

__all__ = ["apply_plan", "load_members"]


def load_members(*, session: Session, site_id: str) -> list[Member]:
    """The people the sync manages at the site."""
    rows = session.exec(
        select(HrMember).where(HrMember.site_id == site_id).order_by(col(HrMember.employee))
    ).all()
    return [
        Member(
            row.employee, row.person_id, row.name, row.email, row.company, row.left_at is not None
        )
        for row in rows
    ]


def apply_plan(
    *, session: Session, site_id: str, plan: SyncPlan, source: str, actor: str
) -> HrSyncReport:
    """Apply `plan` at the site and store (and return) the report of the run."""
    for entry in plan.joins:
        _join(session, site_id, entry, actor)
    for change in plan.changes:
        _change(session, site_id, change, actor)
    for member in plan.leavers:
        _leave(session, site_id, member, actor)
    report = HrSyncReport(
        site_id=site_id,
        source=source[:300],
        actor=actor,
        joined=len(plan.joins),
        changed=len(plan.changes),
        left=len(plan.leavers),
        skipped=len(plan.skipped),
        lines=json.dumps(plan.lines(), ensure_ascii=False),
    )
    session.add(report)
    session.flush()
    append_audit(
        session=session,
        actor=actor,
        action="hr_sync.apply",
        target=f"site:{site_id}",
        after={"report": report.id, "source": report.source, "summary": plan.summary()},
    )
    session.commit()
    session.refresh(report)
    return report


def _join(session: Session, site_id: str, entry: HrEntry, actor: str) -> None:
    person_id = person_by_external_id(session=session, site_id=site_id, external_id=entry.employee)
    company_id = company_id_named(session=session, name=entry.company)
    if person_id is None:
        create = PersonCreate(
            display_name=entry.name, kind=PersonKind.STAFF, company_id=company_id, site_id=site_id
        )
        person_id = create_person(session=session, person_create=create, actor=actor).id
        session.add(
            PersonExternalId(site_id=site_id, external_id=entry.employee, person_id=person_id)
        )
    else:  # enrolled before under this number: HR takes the person over as HR has them
        update = PersonUpdate(display_name=entry.name, company_id=company_id)
        update_person(session=session, person_id=person_id, person_update=update, actor=actor)
    session.add(
        HrMember(
            site_id=site_id,
            employee=entry.employee,
            person_id=person_id,
            name=entry.name,
            email=entry.email,
            company=entry.company,
        )
    )
    session.commit()


def _member_row(session: Session, site_id: str, employee: str) -> HrMember:
    return session.exec(
        select(HrMember).where(HrMember.site_id == site_id, HrMember.employee == employee)
    ).one()


def _change(session: Session, site_id: str, change: Change, actor: str) -> None:
    entry = change.entry
    fields: dict[str, object] = {}
    if "name" in change.fields:
        fields["display_name"] = entry.name
    if "company" in change.fields:
        fields["company_id"] = company_id_named(session=session, name=entry.company)
    if change.rejoins:
        fields.update(status=PersonStatus.ACTIVE, valid_until=None)
    if fields:
        update = PersonUpdate.model_validate(fields)
        update_person(
            session=session, person_id=change.member.person_id, person_update=update, actor=actor
        )
    row = _member_row(session, site_id, change.member.employee)
    row.name, row.email, row.company = entry.name, entry.email, entry.company
    row.left_at, row.updated_at = None, utc_now()
    session.add(row)
    session.commit()


def _leave(session: Session, site_id: str, member: Member, actor: str) -> None:
    now = utc_now()
    person = get_person(session=session, person_id=member.person_id)
    # The validity ends today, now; a validity that had not begun yet just ends unused.
    starts = person.valid_from
    fields: dict[str, object] = {"status": PersonStatus.REVOKED}
    if starts is None or starts < now:
        fields["valid_until"] = now
    update = PersonUpdate.model_validate(fields)
    update_person(session=session, person_id=member.person_id, person_update=update, actor=actor)
    row = _member_row(session, site_id, member.employee)
    row.left_at = row.updated_at = now
    session.add(row)
    session.commit()

"""commit_audited: a change, its audit entry and the gates' resync in one transaction."""

import json

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from central_api.crud.audited import Resync, commit_audited
from central_api.crud.sites import create_site
from central_api.models import AuditEntry, Company, ReplicaChange, Site, SiteCreate


@pytest.fixture
def site(engine: Engine) -> str:
    with Session(engine) as session:
        create_site(session=session, site_create=SiteCreate(id="rtm", name="Rtm"), actor="t")
    return "rtm"


def entries(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def version(engine: Engine, site_id: str) -> int:
    with Session(engine) as session:
        row = session.get(Site, site_id)
        assert row is not None
        return row.replica_version


def test_rows_and_their_entry_are_committed_together(engine: Engine, site: str) -> None:
    with Session(engine) as session:
        commit_audited(
            session,
            actor="user:ann",
            action="company.create",
            target="company:Acme",
            before={"n": 0},
            after={"n": 1},
            rows=[Company(name="Acme")],
        )
    with Session(engine) as session:
        assert session.exec(select(Company.name)).all() == ["Acme"]
    [entry] = entries(engine, "company.create")
    assert (entry.actor, entry.target) == ("user:ann", "company:Acme")
    assert json.loads(entry.before or "") == {"n": 0}
    assert json.loads(entry.after or "") == {"n": 1}
    assert version(engine, site) == 0  # no resync asked: no gate learns of it


def test_a_resync_bumps_the_site_for_a_person_or_the_whole_site(engine: Engine, site: str) -> None:
    with Session(engine) as session:
        commit_audited(session, actor="t", action="x.person", target="p", resync=Resync(site, "P1"))
        commit_audited(session, actor="t", action="x.site", target="s", resync=Resync(site))
    assert version(engine, site) == 2
    with Session(engine) as session:
        changes = session.exec(select(ReplicaChange).order_by(col(ReplicaChange.version))).all()
    assert [(c.version, c.person_id, c.scope) for c in changes] == [
        (1, "P1", "person"),
        (2, None, "site"),
    ]


def test_a_change_that_fails_leaves_no_entry(engine: Engine, site: str) -> None:
    with Session(engine) as session:
        with pytest.raises(IntegrityError):
            commit_audited(
                session,
                actor="t",
                action="site.create",
                target="site:rtm",
                rows=[Site(id="rtm", name="again")],
                resync=Resync(site),
            )
        session.rollback()
    assert [e.target for e in entries(engine, "site.create")] == ["site:rtm"]  # the fixture's
    assert version(engine, site) == 0

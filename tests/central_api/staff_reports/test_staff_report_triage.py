"""Triage of staff reports over the API (SQLite and PostgreSQL): statuses, roles, incidents.

A site's security desk and operators triage their own site's reports, the authority
every site's; a wrong transition is a 409 that changes nothing; every change is one
audit row; a report becomes a filed incident once (its photo by hash, never the
reporter's name); closed reports are purged after the retention period.
"""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.db import utc_now
from central_api.incidents.tables import Incident
from central_api.models import AuditEntry, Role, User
from central_api.security.auth import create_token, hash_password
from central_api.staff_reports.retention import purge_closed
from central_api.staff_reports.tables import StaffReport, StaffReportMessage
from testkit.api.staff_reports import phone_photo, send_report
from testkit.api.world import PASSWORD, World


def site_user(engine: Engine, settings: Settings, role: Role, site: str) -> dict[str, str]:
    with Session(engine, expire_on_commit=False) as session:
        user = User(
            username=f"{role.value}-{site}",
            password_hash=hash_password(PASSWORD),
            role=role,
            site_id=site,
        )
        session.add(user)
        session.commit()
        token = create_token(settings=settings, user=user, minutes=5, purpose="access")
    return {"Authorization": f"Bearer {token}"}


def audit_actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()  # type: ignore[arg-type]
        return [r.action for r in rows if r.action.startswith("staff_report.")]


def report_at(client: TestClient, world: World, site: str, **fields: Any) -> str:
    assert send_report(client, site=site, where="fence", **fields).status_code == 201
    authority = world.user(Role.AUTHORITY)
    listed = client.get("/api/v1/staff-reports", params={"limit": 1}, headers=authority)
    return str(listed.json()[0]["id"])


def test_the_queue_moves_by_its_transitions_and_each_change_is_audited(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    report_id = report_at(client, world, world.site)
    desk = site_user(engine, settings, Role.SECURITY_DESK, world.site)
    url = f"/api/v1/staff-reports/{report_id}"

    taken = client.post(url + "/status", json={"status": "in_progress"}, headers=desk)
    assert taken.status_code == 200, taken.text
    assert (taken.json()["status"], taken.json()["assigned_to"]) == (
        "in_progress",
        "security_desk-rtm",
    )
    back = client.post(url + "/status", json={"status": "new"}, headers=desk)
    assert back.status_code == 409 and "may go to closed, not new" in back.json()["detail"]
    sideways = client.post(url + "/status", json={"status": "passed_on"}, headers=desk)
    assert sideways.status_code == 422 and "say to whom" in sideways.json()["detail"]
    bad = client.post(url + "/status", json={"status": "archived"}, headers=desk)
    assert bad.status_code == 422
    blank = client.post(url + "/pass-on", json={"to": " "}, headers=desk)
    assert blank.status_code == 422

    passed = client.post(
        url + "/pass-on", json={"to": "Police, port unit", "note": "Sent to police."}, headers=desk
    )
    assert passed.status_code == 200, passed.text
    assert (passed.json()["status"], passed.json()["passed_on_to"]) == (
        "passed_on",
        "Police, port unit",
    )
    closed = client.post(url + "/status", json={"status": "closed"}, headers=desk)
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    assert client.post(url + "/pass-on", json={"to": "customs"}, headers=desk).status_code == 409
    reopened = client.post(url + "/status", json={"status": "in_progress"}, headers=desk)
    assert reopened.json()["status"] == "in_progress" and reopened.json()["closed_at"] is None

    assert audit_actions(engine) == [
        "staff_report.submit",
        "staff_report.status",
        "staff_report.pass_on",
        "staff_report.status",
        "staff_report.status",
    ]
    thread = client.get(url, headers=desk).json()["messages"]
    assert [(m["author"], m["author_user"], m["body"]) for m in thread] == [
        ("triage", "security_desk-rtm", "Sent to police.")
    ]


def test_roles_and_sites_decide_who_triages(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    here = report_at(client, world, world.site)
    there = report_at(client, world, world.other_site)
    operator = site_user(engine, settings, Role.OPERATOR, world.site)
    other_desk = site_user(engine, settings, Role.SECURITY_DESK, world.other_site)

    assert [r["id"] for r in client.get("/api/v1/staff-reports", headers=operator).json()] == [here]
    assert {
        r["id"]
        for r in client.get("/api/v1/staff-reports", headers=world.user(Role.AUTHORITY)).json()
    } == {
        here,
        there,
    }
    hidden = client.post(
        f"/api/v1/staff-reports/{here}/reply", json={"body": "hello"}, headers=other_desk
    )
    assert hidden.status_code == 404
    assert client.get(f"/api/v1/staff-reports/{here}").status_code == 401
    assert client.post(f"/api/v1/staff-reports/{here}/reply", json={"body": "x"}).status_code == 401
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(StaffReportMessage)).one() == 0
    answered = client.post(
        f"/api/v1/staff-reports/{here}/reply", json={"body": "On our way."}, headers=operator
    )
    assert answered.status_code == 200 and answered.json()["messages"][0]["body"] == "On our way."


def test_a_report_becomes_a_filed_incident_once_without_the_reporters_name(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    report_id = report_at(client, world, world.site, name="Jan de Vries", photo=phone_photo())
    operator = site_user(engine, settings, Role.OPERATOR, world.site)
    url = f"/api/v1/staff-reports/{report_id}/incident"
    made = client.post(url, json={"tlp": "TLP:GREEN"}, headers=operator)
    assert made.status_code == 201, made.text
    incident_id = made.json()["incident_id"]
    with Session(engine) as session:
        incident = session.get(Incident, incident_id)
        report = session.get(StaffReport, report_id)
        assert incident is not None and report is not None
        assert (incident.status, incident.tlp, incident.kind, incident.site_id) == (
            "filed",
            "TLP:GREEN",
            "suspicious_behaviour",
            world.site,
        )
        assert incident.attachments == [report.photo_sha256]
        assert "cutting the wire" in incident.narrative and report_id in incident.narrative
        assert "Jan de Vries" not in incident.narrative + str(incident.location)
    again = client.post(url, json={}, headers=operator)
    assert again.status_code == 409 and incident_id in again.json()["detail"]
    wrong = client.post(url.replace(report_id, "sr-none"), json={}, headers=operator)
    assert wrong.status_code == 404
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Incident)).one() == 1
    # A filed incident is what the community share route sends (docs/sharing.md).
    assert audit_actions(engine)[-1] == "staff_report.incident"


def test_closed_reports_are_purged_after_the_retention_period(
    client: TestClient, world: World, engine: Engine
) -> None:
    old = report_at(client, world, world.site)
    kept = report_at(client, world, world.site)
    for report_id in (old, kept):
        client.post(
            f"/api/v1/staff-reports/{report_id}/status",
            json={"status": "closed", "note": "done"},
            headers=world.user(Role.AUTHORITY),
        )
    with Session(engine) as session:
        assert purge_closed(session=session, days=30) == 0
        row = session.get(StaffReport, old)
        assert row is not None
        row.updated_at = utc_now() - timedelta(days=31)
        session.add(row)
        session.commit()
        assert purge_closed(session=session, days=30) == 1
        left = session.exec(select(StaffReport.id)).all()
        messages = session.exec(select(StaffReportMessage.report_id)).all()
    assert list(left) == [kept] and list(messages) == [kept]
    assert audit_actions(engine)[-1] == "staff_report.purge"


def test_the_triage_page_is_for_triage_roles_and_the_desk_links_to_the_form(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    assert client.get("/dashboard/staff-reports", follow_redirects=False).status_code == 401
    desk = site_user(engine, settings, Role.SECURITY_DESK, world.site)
    for headers in (desk, world.user(Role.OPERATOR), world.user(Role.AUTHORITY)):
        page = client.get("/dashboard/staff-reports", headers=headers)
        assert page.status_code == 200
        assert '<script src="/static/staff_reports.js" defer></script>' in page.text
    assert (
        f'data-report-link="/report/{world.site}"'
        in client.get("/dashboard/staff-reports", headers=desk).text
    )
    assert f'href="/report/{world.site}"' in client.get("/desk", headers=desk).text
    assert (
        'href="/dashboard/staff-reports"'
        in client.get("/dashboard", headers=world.user(Role.OPERATOR)).text
    )
    for name in ("staff_report.js", "staff_reports.js"):
        source = client.get(f"/static/{name}").text
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source, name

"""Staff reports from the phone page's API, without a login (SQLite and PostgreSQL).

A report is anonymous by default: nothing of the request (address, user agent, cookie)
is stored with it or in its audit row, and the follow-up code only as a keyed hash. The
code reads the status and replies; a wrong one gets the same 404 as a malformed one.
Abuse is refused with a clear answer and changes nothing: too many reports (429), a
50 MB photo (413, by its declared length), a bomb (by its header), a retired sign.
"""

import io
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.models import AuditEntry, Role
from central_api.staff_reports.abuse import FOLLOW_UPS_PER_WINDOW, REPORTS_PER_WINDOW
from central_api.staff_reports.photos import MAX_PHOTO_BYTES
from central_api.staff_reports.tables import StaffReport, StaffReportMessage
from testkit.api.staff_reports import GPS_MAKER, phone_photo, send_report, sign_for
from testkit.api.world import World
from testkit.image_bombs import no_pixels_decoded, png_bomb

PHONE = {"User-Agent": "Pixelphone/7 (Jan's phone)", "Cookie": "tracker=jan-de-vries-42"}


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        reports = session.exec(select(func.count()).select_from(StaffReport)).one()
        audits = session.exec(select(func.count()).select_from(AuditEntry)).one()
    return reports, audits


def stored(engine: Engine) -> list[StaffReport]:
    with Session(engine) as session:
        return list(session.exec(select(StaffReport)).all())


def test_an_anonymous_report_stores_nothing_that_identifies_the_reporter(
    client: TestClient, world: World, engine: Engine
) -> None:
    sign = sign_for(engine, world.gate)
    answer = send_report(client, site=world.site, sign=sign, headers=PHONE, where="lane 2")
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    code = receipt["code"]
    assert len(code.replace("-", "")) == 16 and receipt["status"] == "new"
    assert "set-cookie" not in answer.headers

    [report] = stored(engine)
    assert (report.site_id, report.gate_id, report.place) == (
        world.site,
        world.gate,
        "north-1: lane 2",
    )
    assert report.reporter_name is None and report.reporter_contact is None
    assert report.code_hash != code and len(report.code_hash) == 64
    with Session(engine) as session:
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.action == "staff_report.submit")
        ).one()
    assert audit.actor == "anonymous"
    everything = " ".join(map(str, report.model_dump().values())) + str(audit.model_dump())
    for trace in (
        "testclient",
        "Pixelphone",
        "tracker",
        "jan-de-vries",
        code,
        code.replace("-", ""),
    ):
        assert trace not in everything
    assert "cutting the wire" not in (audit.after or "")  # the text only as a keyed hash


def test_a_name_is_kept_only_when_given(client: TestClient, world: World, engine: Engine) -> None:
    answer = send_report(
        client, site=world.site, where="Quay 4, crane 2", name="Jan", contact="+31 6 1234"
    )
    assert answer.status_code == 201, answer.text
    [report] = stored(engine)
    assert (report.gate_id, report.place, report.reporter_name, report.reporter_contact) == (
        None,
        "Quay 4, crane 2",
        "Jan",
        "+31 6 1234",
    )


def test_the_code_reads_replies_and_a_wrong_code_learns_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    code = send_report(client, site=world.site, where="fence").json()["code"]
    [report] = stored(engine)
    desk = world.user(Role.SECURITY_DESK)
    replied = client.post(
        f"/api/v1/staff-reports/{report.id}/reply",
        json={"body": "Thank you, we sent a patrol."},
        headers=desk,
    )
    assert replied.status_code == 200, replied.text

    # As read off a screen and typed on a phone: lower case, spaces, O taken for a zero.
    typed = code.lower().replace("-", " ").replace("o", "0")
    seen = client.post("/api/v1/staff-reports/follow-up", json={"code": typed})
    assert seen.status_code == 200, seen.text
    view = seen.json()
    assert view["status"] == "new" and view["place"] == "fence"
    assert [(m["author"], m["body"]) for m in view["messages"]] == [
        ("triage", "Thank you, we sent a patrol.")
    ]
    assert "author_user" not in view["messages"][0]  # no triage user's name to the reporter

    wrong = "A" * 16 if code.replace("-", "") != "A" * 16 else "B" * 16
    answers = [
        client.post("/api/v1/staff-reports/follow-up", json={"code": c})
        for c in (wrong, "not-a-code!", "2" * 15)
    ]
    assert {a.status_code for a in answers} == {404}
    assert {a.text for a in answers} == {'{"detail":"no report for this code"}'}

    added = client.post(
        "/api/v1/staff-reports/follow-up/messages",
        json={"code": code, "body": "The van was white, a Dutch plate."},
    )
    assert added.status_code == 201, added.text
    assert [m["author"] for m in added.json()["messages"]] == ["triage", "reporter"]
    refused = client.post(
        "/api/v1/staff-reports/follow-up/messages", json={"code": wrong, "body": "spam"}
    )
    assert refused.status_code == 404
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(StaffReportMessage)).one() == 2


def test_too_many_reports_from_one_address_get_a_clear_429(
    client: TestClient, world: World, engine: Engine
) -> None:
    for _ in range(REPORTS_PER_WINDOW):  # refused for their input: they use up nothing
        assert send_report(client, site=world.site).status_code == 422
    for n in range(REPORTS_PER_WINDOW):
        assert send_report(client, site=world.site, where=f"spot {n}").status_code == 201
    before = counts(engine)
    refused = send_report(client, site=world.site, where="one more")
    assert refused.status_code == 429
    assert "too many reports from this network" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert counts(engine) == before
    other_site = send_report(client, site=world.other_site, where="fence")
    assert other_site.status_code == 201  # counted per site: one site's flood is its own


def test_guessing_codes_is_rate_limited_and_a_wrong_code_counts(
    client: TestClient, world: World
) -> None:
    code = send_report(client, site=world.site, where="fence").json()["code"]
    for _ in range(FOLLOW_UPS_PER_WINDOW):
        guess = client.post("/api/v1/staff-reports/follow-up", json={"code": "A" * 16})
        assert guess.status_code == 404
    refused = client.post("/api/v1/staff-reports/follow-up", json={"code": code})
    assert refused.status_code == 429
    assert "too many follow-ups from this network" in refused.json()["detail"]


def test_a_50_mb_photo_is_refused_by_its_length_and_nothing_is_stored(
    client: TestClient, world: World, engine: Engine
) -> None:
    before = counts(engine)
    huge = send_report(client, site=world.site, where="gate", photo=bytes(50 * 1024 * 1024))
    assert huge.status_code == 413
    assert "request body over" in huge.json()["detail"]
    # Over the photo limit but under the API's body limit: the route reads one byte past it.
    over = send_report(client, site=world.site, where="gate", photo=bytes(MAX_PHOTO_BYTES + 1))
    assert over.status_code == 413
    assert "the photo is over 3 MiB" in over.json()["detail"]
    assert counts(engine) == before


def test_a_bomb_or_not_an_image_is_refused_by_its_header(
    client: TestClient, world: World, engine: Engine
) -> None:
    before = counts(engine)
    with no_pixels_decoded():
        bomb = send_report(client, site=world.site, where="gate", photo=png_bomb(30000, 30000))
    assert bomb.status_code == 422
    assert "too many pixels" in bomb.json()["detail"]
    text = send_report(client, site=world.site, where="gate", photo=b"%PDF-1.7 not a photo")
    assert text.status_code == 422 and "not an image" in text.json()["detail"]
    assert counts(engine) == before


def test_the_photo_is_kept_sealed_and_without_its_metadata(
    client: TestClient, world: World, engine: Engine
) -> None:
    from PIL import Image  # noqa: PLC0415

    photo = phone_photo()
    assert GPS_MAKER.encode() in photo
    answer = send_report(client, site=world.site, where="gate", photo=photo)
    assert answer.status_code == 201, answer.text
    [report] = stored(engine)
    assert report.photo_ciphertext is not None and GPS_MAKER.encode() not in report.photo_ciphertext
    shown = client.get(
        f"/api/v1/staff-reports/{report.id}/photo", headers=world.user(Role.OPERATOR)
    )
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert GPS_MAKER.encode() not in shown.content
    with Image.open(io.BytesIO(shown.content)) as image:
        assert image.size == (64, 48) and not image.getexif()


def bad_inputs(world: World, sign: str) -> list[tuple[dict[str, Any], int, str]]:
    return [
        ({"site": world.site, "sign": sign}, 404, "not in use"),  # a rotated sign
        ({"site": "nowhere"}, 404, "unknown site 'nowhere'"),
        ({"site": world.site}, 422, "say where it happened"),
        ({"site": world.site, "where": "x", "what": " "}, 422, "what"),
        ({"site": world.site, "where": "x", "when": "yesterday"}, 422, "when"),
        ({"site": world.site, "where": "x", "when": "2026-12-06T08:15:00"}, 422, "timezone"),
        ({"site": world.site, "where": "x", "when": "2099-01-01T00:00:00Z"}, 422, "in the future"),
        ({"site": world.site, "where": "x", "what": "a\x00b"}, 422, "control or bidi-override"),
        ({"site": world.site, "where": "x" * 201}, 422, "where"),
    ]


def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    old = sign_for(engine, world.gate)
    sign_for(engine, world.gate, rotate=True)
    page = client.get(f"/report/{world.site}/{old}")
    assert page.status_code == 404 and "not in use" in page.text
    before = counts(engine)
    for fields, status, message in bad_inputs(world, old):
        answer = send_report(client, **fields)
        assert answer.status_code == status, (fields, answer.text)
        assert message in answer.text, (fields, answer.text)
    assert counts(engine) == before


def test_the_sign_page_names_the_gate_and_says_what_is_not_stored(
    client: TestClient, world: World, engine: Engine
) -> None:
    sign = sign_for(engine, world.gate)
    page = client.get(f"/report/{world.site}/{sign}")
    assert page.status_code == 200
    assert 'data-place="north-1"' in page.text and f'data-sign="{sign}"' in page.text
    assert "We do not store your network address" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in page.headers
    free = client.get(f"/report/{world.site}")
    assert free.status_code == 200 and 'placeholder="gate, quay, building"' in free.text
    assert client.get("/report/atlantis").status_code == 404

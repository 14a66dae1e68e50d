"""A pass on a phone (issue 26.3): the signed link, its live status, one 404 for any wrong link.

Runs on SQLite and PostgreSQL (the `engine` fixture). The link's QR image is decoded with
zxing-cpp (the reader `portgate scan` uses) and verified with the gate's own verifier.
"""

import base64
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import numpy as np
import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.enroll.mobile.limits import WRONG_PER_WINDOW
from central_api.enroll.tables import IssuedPass, MobilePassLink
from central_api.models import AuditEntry, Role, Site
from central_api.routes.mobile_pass.public import NOT_VALID
from gate_protocol.passes.keys import PassKeyring
from gate_protocol.passes.token import PassVerified, verify_pass
from testkit.api.decisions import query
from testkit.api.enrollment import PUBLIC_KEYS, clear_enroll_tables, enroll_settings
from testkit.api.world import World

ZONE = "Europe/Amsterdam"


@pytest.fixture
def settings(engine: Engine) -> Settings:
    clear_enroll_tables(engine)
    return enroll_settings(engine)


def _issue(
    client: TestClient, world: World, *, start_h: float = -0.1, language: str | None = None
) -> dict[str, str]:
    desk = world.user(Role.SECURITY_DESK)
    person_body = {"site_id": "rtm", "display_name": "Piet Jansen", "kind": "driver"}
    if language is not None:
        person_body["preferred_language"] = language
    person = client.post("/api/v1/enroll/people", json=person_body, headers=desk)
    assert person.status_code == 201, person.text
    start = datetime.now(UTC) + timedelta(hours=start_h)
    body = {
        "gates": [world.gate],
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=4)).isoformat(),
    }
    answer = client.post(
        f"/api/v1/enroll/people/{person.json()['id']}/passes", json=body, headers=desk
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _parts(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {"pass_id": parts.path.rsplit("/", 1)[1], "secret": parts.fragment}


def _read(client: TestClient, link: dict[str, str]) -> tuple[int, dict[str, object]]:
    answer = client.post("/api/v1/mobile-pass", json=link)
    return answer.status_code, dict(answer.json())


def _decoded(data_uri: str) -> list[str]:
    png = base64.b64decode(data_uri.removeprefix("data:image/png;base64,"))
    image = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    return [code.text for code in zxingcpp.read_barcodes(image)]


def _audit_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(AuditEntry)).one())


def test_issued_pass_link_shows_the_gate_s_token_window_and_first_name(
    client: TestClient, world: World, engine: Engine
) -> None:
    with Session(engine) as session:
        site = session.get(Site, "rtm")
        assert site is not None
        site.timezone = ZONE
        session.add(site)
        session.commit()
    issued = _issue(client, world)
    url = issued["mobile_url"]
    assert urlsplit(url).path == f"/m/pass/{issued['pass_id']}" and urlsplit(url).fragment
    assert _decoded(issued["mobile_qr"]) == [url]  # the clerk's QR opens the link
    with Session(engine) as session:
        row = session.get(MobilePassLink, issued["pass_id"])
        assert row is not None and _parts(url)["secret"] not in row.link_hash
    status, view = _read(client, _parts(url))
    assert status == 200, view
    assert view["status"] == "valid" and view["first_name"] == "Piet"
    assert view["gates"] == [world.gate.upper()] and view["zone"] == ZONE
    assert str(view["valid_from"]).endswith(("CET", "CEST"))
    assert view["token"] == issued["token"]
    (decoded,) = _decoded(str(view["qr"]))
    assert decoded == issued["token"]
    keyring = PassKeyring.from_entries(PUBLIC_KEYS)
    verdict = verify_pass(decoded, keyring=keyring, gate_id=world.gate, now=datetime.now(UTC))
    assert isinstance(verdict, PassVerified)
    assert "Jansen" not in str(view) and "person_id" not in view  # first name only

    page = client.get(urlsplit(url).path)
    assert page.status_code == 200 and "mobile_pass.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/m/pass/no-such-pass").text == page.text  # one shell for every id


@pytest.mark.parametrize(("preferred", "shown"), [(None, None), ("nl", "nl"), ("pl", None)])
def test_the_page_speaks_the_holder_s_language_when_the_pages_have_it(
    client: TestClient, world: World, preferred: str | None, shown: str | None
) -> None:
    # Polish is a lane-display language the pages lack: the browser's choice stays.
    issued = _issue(client, world, language=preferred)
    status, view = _read(client, _parts(issued["mobile_url"]))
    assert status == 200 and view["language"] == shown


def test_every_wrong_link_gets_the_same_404_and_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    issued = _issue(client, world)
    right = _parts(issued["mobile_url"])
    before = _audit_count(engine)
    wrong_links = [
        {**right, "secret": right["secret"][:-2] + "xx"},
        {**right, "secret": ""},
        {**right, "pass_id": "no-such-pass"},
        {"pass_id": "../../etc", "secret": right["secret"]},
    ]
    answers = [client.post("/api/v1/mobile-pass", json=link) for link in wrong_links]
    assert {a.status_code for a in answers} == {404}
    assert {a.text for a in answers} == {f'{{"detail":"{NOT_VALID}"}}'}
    assert all(issued["pass_id"] not in a.text for a in answers)
    too_long = client.post("/api/v1/mobile-pass", json={**right, "secret": "x" * 500})
    assert too_long.status_code == 422 and "secret" in too_long.text
    assert _audit_count(engine) == before
    assert _read(client, right)[0] == 200  # the right link still works


def test_wrong_links_are_rate_limited_per_address(client: TestClient, world: World) -> None:
    issued = _issue(client, world)
    right = _parts(issued["mobile_url"])
    for _ in range(5):
        assert _read(client, right)[0] == 200  # a phone polling its pass costs nothing
    wrong = {**right, "secret": "guess"}
    for _ in range(WRONG_PER_WINDOW):
        assert client.post("/api/v1/mobile-pass", json=wrong).status_code == 404
    refused = client.post("/api/v1/mobile-pass", json=wrong)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "too many wrong pass links" in refused.json()["detail"]
    assert client.post("/api/v1/mobile-pass", json=right).status_code == 429


def test_status_follows_the_pass_not_yet_valid_used_cancelled_expired(
    client: TestClient, world: World, engine: Engine
) -> None:
    later = _issue(client, world, start_h=2)
    status, view = _read(client, _parts(later["mobile_url"]))
    assert (status, view["status"]) == (200, "not_yet_valid")
    assert view["token"] == later["token"]  # shown early; the gate checks the window

    used = _issue(client, world)
    body = query(credential_kind="qr_pass", pass_token=used["token"])
    decided = client.post("/api/v1/decisions", json=body, headers=world.gate_key()).json()
    assert decided["decision"] == "granted", decided
    status, view = _read(client, _parts(used["mobile_url"]))
    assert (view["status"], view["token"], view["qr"]) == ("used", None, None)
    assert view["used_at"]

    cancelled = _issue(client, world)
    desk = world.user(Role.SECURITY_DESK)
    assert (
        client.delete(f"/api/v1/enroll/passes/{cancelled['pass_id']}", headers=desk).status_code
        == 204
    )
    status, view = _read(client, _parts(cancelled["mobile_url"]))
    assert (status, view["status"], view["qr"], view["gates"]) == (200, "cancelled", None, [])

    expired = _issue(client, world)
    with Session(engine) as session:
        row = session.get(IssuedPass, expired["pass_id"])
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(row)
        session.commit()
    status, view = _read(client, _parts(expired["mobile_url"]))
    assert (view["status"], view["token"]) == ("expired", None)


def test_a_new_link_kills_the_old_one_and_is_audited(
    client: TestClient, world: World, engine: Engine
) -> None:
    issued = _issue(client, world)
    old = _parts(issued["mobile_url"])
    desk = world.user(Role.SECURITY_DESK)
    answer = client.post(f"/api/v1/enroll/passes/{issued['pass_id']}/mobile-link", headers=desk)
    assert answer.status_code == 201, answer.text
    new = _parts(answer.json()["url"])
    assert new["secret"] != old["secret"]
    assert _read(client, old)[0] == 404
    assert _read(client, new)[1]["status"] == "valid"
    with Session(engine) as session:
        actions = session.exec(
            select(AuditEntry.action).where(AuditEntry.action == "pass.mobile_link")
        ).all()
    assert len(actions) == 2  # the first link with the pass, then the new one

    before = _audit_count(engine)
    unknown = client.post("/api/v1/enroll/passes/no-such-pass/mobile-link", headers=desk)
    assert unknown.status_code == 404 and "no-such-pass" in unknown.text
    operator = client.post(
        f"/api/v1/enroll/passes/{issued['pass_id']}/mobile-link",
        headers=world.user(Role.OPERATOR),
    )
    assert operator.status_code == 403
    assert _audit_count(engine) == before
    assert _read(client, new)[0] == 200


def test_erasing_the_holder_kills_the_link(client: TestClient, world: World) -> None:
    issued = _issue(client, world)
    link = _parts(issued["mobile_url"])
    desk = world.user(Role.SECURITY_DESK)
    erased = client.delete(f"/api/v1/enroll/people/{issued['person_id']}", headers=desk)
    assert erased.status_code == 200 and erased.json()["mobile_pass_links"] == 1
    assert _read(client, link) == (404, {"detail": NOT_VALID})

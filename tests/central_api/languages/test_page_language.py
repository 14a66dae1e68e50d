"""The page's language: Accept-Language by default, ?lang and the user's stored choice.

Run on SQLite and PostgreSQL (the `engine` fixture): the choice is a users column.
"""

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.models import AuditEntry, Role, User
from testkit.api.dashboard import login
from testkit.api.world import World

LANG = re.compile(r'<html lang="([a-z]+)">')


def _locale_of(engine: Engine, role: Role) -> str | None:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == f"{role.value}-user")).one()
        return user.locale


def test_the_login_page_follows_the_browser_and_is_styled(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"})
    assert page.status_code == 200
    assert LANG.search(page.text).group(1) == "sv"  # type: ignore[union-attr]
    assert "Användarnamn" in page.text and "Logga in" in page.text
    assert '<link rel="stylesheet" href="/static/portgate.css">' in page.text
    assert '<label for="login-user">' in page.text  # inputs are labelled
    assert "<script" not in page.text  # still a page without script (scriptless CSP)
    english = client.get("/login", headers={"Accept-Language": "pt-BR"})
    assert LANG.search(english.text).group(1) == "en"  # type: ignore[union-attr]


def test_lang_in_the_url_is_remembered_in_a_cookie(client: TestClient) -> None:
    page = client.get("/login?lang=de", headers={"Accept-Language": "fr"})
    assert "Benutzername" in page.text
    assert "pg_lang=de" in page.headers["set-cookie"]
    again = client.get("/login", headers={"Accept-Language": "fr"})  # the cookie outranks it
    assert LANG.search(again.text).group(1) == "de"  # type: ignore[union-attr]


def test_an_unknown_lang_is_refused_and_sets_nothing(client: TestClient) -> None:
    answer = client.get("/login?lang=xx")
    assert answer.status_code == 400
    assert "unknown language 'xx': choose one of en, nl, sv, de, fr" in answer.text
    assert "set-cookie" not in answer.headers
    assert "pg_lang" not in client.cookies


def test_a_users_choice_is_stored_audited_and_follows_a_new_login(
    client: TestClient, world: World, engine: Engine
) -> None:
    token = login(client, Role.OPERATOR)
    chosen = client.post(
        "/api/v1/me/locale",
        json={"locale": "nl"},
        headers={"X-CSRF-Token": token, "Origin": "http://testserver"},
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["locale"] == "nl"
    assert _locale_of(engine, Role.OPERATOR) == "nl"
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "user.locale")).one()
        assert entry.target == "user:operator-user"
    page = client.get("/dashboard", headers={"Accept-Language": "en"})
    assert LANG.search(page.text).group(1) == "nl"  # type: ignore[union-attr]
    assert "Live gebeurtenissen" in page.text and "Uitloggen" in page.text
    assert '"Door forced": "Deur geforceerd"' in page.text  # the scripts' catalog block
    client.cookies.clear()  # another browser: only the account remembers
    login(client, Role.OPERATOR)
    assert client.cookies.get("pg_lang") == "nl"
    assert "Live gebeurtenissen" in client.get("/dashboard").text


def test_an_unknown_locale_is_refused_and_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    token = login(client, Role.OPERATOR)
    headers = {"X-CSRF-Token": token, "Origin": "http://testserver"}
    assert client.post("/api/v1/me/locale", json={"locale": "sv"}, headers=headers).is_success
    for bad in ({"locale": "xx"}, {"locale": "nl<script>"}, {"lang": "nl"}, {"locale": 7}):
        answer = client.post("/api/v1/me/locale", json=bad, headers=headers)
        assert answer.status_code in (400, 422), (bad, answer.text)
        assert _locale_of(engine, Role.OPERATOR) == "sv"
    refused = client.post("/api/v1/me/locale", json={"locale": "xx"}, headers=headers)
    assert refused.json()["detail"] == "unknown language 'xx': choose one of en, nl, sv, de, fr"
    assert client.cookies.get("pg_lang") == "sv"


def test_choosing_needs_a_login_and_the_csrf_token(client: TestClient, world: World) -> None:
    assert client.post("/api/v1/me/locale", json={"locale": "nl"}).status_code == 401
    login(client, Role.OPERATOR)
    forged = client.post(
        "/api/v1/me/locale", json={"locale": "nl"}, headers={"Origin": "http://testserver"}
    )
    assert forged.status_code == 403


def test_the_staff_report_page_speaks_the_browsers_language(
    client: TestClient, world: World
) -> None:
    page = client.get(f"/report/{world.site}", headers={"Accept-Language": "fr-FR"})
    assert page.status_code == 200
    assert LANG.search(page.text).group(1) == "fr"  # type: ignore[union-attr]
    assert "Signaler une activité suspecte" in page.text
    block = re.search(r'<script type="application/json" id="pg-i18n">(.*?)</script>', page.text)
    assert block is not None
    assert json.loads(block.group(1))["No replies yet."] == "Pas encore de réponse."
    assert "set-cookie" not in page.headers  # no cookie unless a language is picked

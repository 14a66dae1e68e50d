"""The CSRF attack of issue 17, re-run in real Chromium against a real API.

An admin is logged in to the API on one port. A page served from another port of the same
host (same site, so `SameSite=Strict` lets the browser send the admin's session cookie)
auto-submits a form and fires a `fetch` that try to revoke a badge. Both arrive with the
cookie (the API answers 403, not the 401 of an anonymous call) and change nothing. The
dashboard's own page, with its CSRF token and its own Origin, revokes the same badge: the
refusal is the CSRF rule, not a broken route.
"""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.people import add_credential, create_person
from central_api.crud.sites import create_site, create_zone
from central_api.db import make_engine
from central_api.models import (
    Credential,
    CredentialCreate,
    PersonCreate,
    Role,
    SiteCreate,
    User,
    ZoneCreate,
)
from central_api.security.auth import hash_password
from gate_protocol.messages import CredentialKind, new_id
from gate_protocol.records import PersonKind
from testkit.api.server import ThreadedApi
from testkit.browser import log_in
from testkit.migrated_db import migrate_database
from testkit.mosquitto import MosquittoProcess, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
SITE = "rtm"


@dataclass
class Api:
    base_url: str
    engine: Engine
    credential_id: int


def _seed(engine: Engine) -> int:
    with Session(engine, expire_on_commit=False) as session:
        create_site(session=session, site_create=SiteCreate(id=SITE, name="Rotterdam"), actor="t")
        create_zone(
            session=session, zone_create=ZoneCreate(id="quay", site_id=SITE, name="Quay"), actor="t"
        )
        session.add(User(username="admin", password_hash=hash_password(PASSWORD), role=Role.ADMIN))
        session.commit()
        person = create_person(
            session=session,
            person_create=PersonCreate(
                display_name="Ria Visser", kind=PersonKind.STAFF, site_id=SITE
            ),
            actor="t",
        )
        credential = add_credential(
            session=session,
            person_id=person.id,
            credential_create=CredentialCreate(kind=CredentialKind.BADGE, ref="04A1B2C3"),
            actor="t",
        )
        assert credential.id is not None
        return credential.id


def _revoked(engine: Engine, credential_id: int) -> bool:
    with Session(engine) as session:
        credential = session.get(Credential, credential_id)
        assert credential is not None
        return credential.revoked_at is not None


@pytest.fixture
def api(mosquitto: MosquittoProcess, tmp_path: Path) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    credential_id = _seed(engine)
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=url,
        MQTT_URL=f"mqtt://127.0.0.1:{mosquitto.port}",
        PORTGATE_MQTT_CLIENT_ID=f"api-{new_id()[:8]}",
        PORTGATE_COOKIE_SECURE=False,
    )
    with ThreadedApi(create_app(settings, engine=engine)) as served:
        yield Api(base_url=served.url, engine=engine, credential_id=credential_id)
    engine.dispose()


def _attack_page(target: str) -> bytes:
    """What the attacker serves: a self-submitting form, then a no-cors fetch."""
    return f"""<!doctype html><html><body>
<form id="f" method="POST" action="{target}" target="sink"></form>
<iframe name="sink"></iframe>
<script>
document.getElementById("f").submit();
fetch("{target}", {{method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"Content-Type": "text/plain"}}, body: "x"}})
  .finally(() => {{ document.body.dataset.done = "1"; }});
</script></body></html>""".encode()


@pytest.fixture
def attacker(api: Api) -> Iterator[str]:
    page = _attack_page(f"{api.base_url}/api/v1/credentials/{api.credential_id}/revoke")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/attack.html"
    server.shutdown()
    thread.join(5)


def test_a_page_on_another_port_cannot_revoke_with_the_admins_cookie(
    api: Api, attacker: str, browser: Any
) -> None:
    page = browser.new_context().new_page()
    log_in(page, api.base_url, "admin", PASSWORD)

    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if r.url.endswith("/revoke") else None)
    page.goto(attacker)
    page.wait_for_selector("body[data-done='1']", timeout=10_000)
    deadline = time.monotonic() + 5
    while len(answers) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    # Both requests carried the cookie (an anonymous one is 401) and were refused.
    assert answers == [403, 403]
    assert not _revoked(api.engine, api.credential_id)

    # The dashboard's own page may: its token and its Origin pass the same rule.
    page.goto(api.base_url + "/dashboard")
    status = page.evaluate(
        """async (url) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const answer = await fetch(url, {method: "POST", headers: {"X-CSRF-Token": token}});
            return answer.status;
        }""",
        f"/api/v1/credentials/{api.credential_id}/revoke",
    )
    assert status == 200
    assert _revoked(api.engine, api.credential_id)

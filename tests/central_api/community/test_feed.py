"""The catch-up feed: a member that was away gets what its label allows (both databases).

The hub is the `engine` fixture's API (SQLite and PostgreSQL); two members on SQLite files
catch up through it with the worker's own `catch_up`, over the test client.
"""

import base64
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.community.catch_up import catch_up, fetch_page
from central_api.community.companies import share_company_status
from central_api.community.envelope import Tlp
from central_api.community.feed import sign_feed_request
from central_api.community.members import remove_member
from central_api.config import Settings
from central_api.db import make_engine, utc_now
from central_api.models import Company
from central_api.models.community import CommunityMember, ReceivedItem
from gate_protocol.records import CompanyStatus
from testkit.api.server import ThreadedApi
from testkit.community import SEAL_KEY, form_community, keys_of
from testkit.tls_ca import TestCa


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        PORTGATE_COOKIE_SECURE=False,
        PORTGATE_TEMPLATE_KEY=base64.b64encode(SEAL_KEY).decode(),
    )


def _sqlite(tmp_path: Path, template: Path, name: str) -> Engine:
    shutil.copy(template, tmp_path / name)
    return make_engine(f"sqlite:///{tmp_path / name}")


@pytest.fixture
def members(tmp_path: Path, sqlite_template: Path) -> Iterator[dict[str, Engine]]:
    engines = {m: _sqlite(tmp_path, sqlite_template, f"{m}.db") for m in ("term-a", "term-b")}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def hub(engine: Engine, members: dict[str, Engine], client: TestClient) -> Engine:
    form_community(engine, members)
    with Session(engine) as session:
        session.add(Company(name="Quay Haulage", status=CompanyStatus.SUSPENDED))
        session.commit()
        keys = keys_of(engine)
        for tlp, to in ((Tlp.GREEN, ()), (Tlp.AMBER_STRICT, ("term-a",)), (Tlp.GREEN, ())):
            share_company_status(
                session, keys, company="Quay Haulage", tlp=tlp, recipients=to, actor="test"
            )
        session.commit()
    return engine


def sessions_of(engine: Engine) -> Callable[[], Session]:
    return lambda: Session(engine)


def received(engine: Engine) -> list[tuple[int, str]]:
    with Session(engine) as session:
        rows = session.exec(select(ReceivedItem).where(ReceivedItem.issuer == "hub")).all()
        return sorted((row.sequence, row.kind) for row in rows)


def test_a_member_catches_up_with_what_its_label_allows(
    hub: Engine, members: dict[str, Engine], client: TestClient
) -> None:
    for engine in members.values():
        catch_up(sessions_of(engine), keys_of(engine), feed_url="", http=client)
    assert received(members["term-a"]) == [
        (1, "company_status"),
        (2, "company_status"),
        (3, "company_status"),
    ]
    assert received(members["term-b"]) == [
        (1, "company_status"),
        (2, "withheld"),
        (3, "company_status"),
    ]
    with Session(members["term-b"]) as session:
        stub = session.exec(select(ReceivedItem).where(ReceivedItem.sequence == 2)).one()
        assert stub.item_json == "" and not stub.applied
    with Session(hub) as session:
        assert session.get(CommunityMember, "term-b").last_delivered_seq == 3  # type: ignore[union-attr]
    # Again: nothing new, nothing applied twice.
    engine = members["term-a"]
    assert catch_up(sessions_of(engine), keys_of(engine), feed_url="", http=client) == 0
    assert len(received(engine)) == 3


def _get(
    client: TestClient,
    *,
    member: str,
    signature: str,
    after: int = 0,
    signed_at: str | None = None,
    issuer: str = "hub",
) -> tuple[int, str]:
    answer = client.get(
        "/api/v1/community/feed",
        params={"issuer": issuer, "after": after},
        headers={
            "X-PortGate-Member": member,
            "X-PortGate-Signed-At": signed_at or utc_now().isoformat(),
            "X-PortGate-Signature": signature,
        },
    )
    return answer.status_code, answer.text


def test_bad_feed_requests_are_refused_and_change_nothing(
    hub: Engine, members: dict[str, Engine], client: TestClient
) -> None:
    keys = keys_of(members["term-a"])
    assert fetch_page(client, "", keys, issuer="hub", after=0).status_code == 200
    with Session(hub) as session:
        before = session.get(CommunityMember, "term-a").last_delivered_seq  # type: ignore[union-attr]
    future = fetch_page(client, "", keys, issuer="hub", after=4)
    assert future.status_code == 422
    assert "cursor 4 is past hub's last item here (3)" in future.text
    assert fetch_page(client, "", keys, issuer="nobody", after=0).status_code == 404
    now = utc_now().isoformat()
    good = sign_feed_request(
        keys.signing_key, member="term-a", issuer="hub", after=0, signed_at=now
    )
    assert _get(client, member="term-b", signature=good, signed_at=now)[0] == 401
    assert _get(client, member="stranger", signature=good, signed_at=now)[0] == 401
    assert _get(client, member="term-a", signature=good, signed_at=now, after=1)[0] == 401
    old = (utc_now() - timedelta(minutes=10)).isoformat()
    stale = sign_feed_request(
        keys.signing_key, member="term-a", issuer="hub", after=0, signed_at=old
    )
    code, text = _get(client, member="term-a", signature=stale, signed_at=old)
    assert code == 401 and "5 minutes" in text
    with Session(hub) as session:
        remove_member(session=session, member_id="term-a", actor="test")
    assert fetch_page(client, "", keys, issuer="hub", after=0).status_code == 401
    with Session(hub) as session:
        after = session.get(CommunityMember, "term-a").last_delivered_seq  # type: ignore[union-attr]
        assert after == before
        assert session.exec(select(func.count()).select_from(ReceivedItem)).one() == 0


def test_the_feed_is_read_over_https_and_a_stranger_s_certificate_reads_nothing(
    hub: Engine,
    members: dict[str, Engine],
    app: FastAPI,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The worker's own client settings: verify the hub against PORTGATE_COMMUNITY_FEED_CA.
    ours, stranger = TestCa.create(tmp_path / "ours"), TestCa.create(tmp_path / "stranger")
    server = ours.issue_server("hub", hosts=["127.0.0.1"])
    engine = members["term-a"]
    with ThreadedApi(app, tls=(server.cert_file, server.key_file)) as served:
        assert served.url.startswith("https://")
        with httpx.Client(verify=str(stranger.cert_file), timeout=10) as http:
            got = catch_up(sessions_of(engine), keys_of(engine), feed_url=served.url, http=http)
        assert got == 0 and received(engine) == []
        assert "CERTIFICATE_VERIFY_FAILED" in caplog.text and "unreachable" in caplog.text
        with httpx.Client(verify=str(ours.cert_file), timeout=10) as http:
            got = catch_up(sessions_of(engine), keys_of(engine), feed_url=served.url, http=http)
    assert got == 3
    assert [kind for _, kind in received(engine)] == ["company_status"] * 3

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.audit.chain import append_audit, verify_chain
from central_api.models import AuditEntry
from portgate.cli import app as cli
from testkit.concurrency import run_threads


def fill(engine: Engine, count: int = 6) -> None:
    with Session(engine) as session:
        for n in range(count):
            append_audit(
                session=session,
                actor="user:alice",
                action="person.update",
                target=f"person:P{n}",
                before={"status": "active"},
                after={"status": "revoked", "note": "café"},
            )
            session.commit()


def verdict(engine: Engine):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return verify_chain(session=session)


def raw(engine: Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_an_untouched_chain_verifies(engine: Engine) -> None:
    fill(engine)
    result = verdict(engine)
    assert result.ok
    assert result.checked == 6


def test_hash_links_each_row_to_the_previous(engine: Engine) -> None:
    fill(engine, 3)
    with Session(engine) as session:
        rows = session.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert rows[0].prev_hash == "0" * 64
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]


TAMPERING: dict[str, tuple[str, ...]] = {
    "edit actor": ("UPDATE audit_entry SET actor = 'user:mallory' WHERE seq = 3",),
    "edit after": ('UPDATE audit_entry SET after = \'{"status":"active"}\' WHERE seq = 3',),
    "edit time": ("UPDATE audit_entry SET at = at - INTERVAL '1 hour' WHERE seq = 3",),
    "delete middle": ("DELETE FROM audit_entry WHERE seq = 3",),
    "delete first": ("DELETE FROM audit_entry WHERE seq = 1",),
    "reorder seq": (
        "UPDATE audit_entry SET seq = 100 WHERE seq = 3",
        "UPDATE audit_entry SET seq = 3 WHERE seq = 4",
        "UPDATE audit_entry SET seq = 4 WHERE seq = 100",
    ),
    "swap contents": (
        "UPDATE audit_entry SET target = 'x' WHERE seq = 3",
        "UPDATE audit_entry SET target = 'person:P2' WHERE seq = 4",
        "UPDATE audit_entry SET target = 'person:P3' WHERE seq = 3",
    ),
    "truncate tail": ("DELETE FROM audit_entry WHERE seq >= 5",),
    "truncate all": ("DELETE FROM audit_entry",),
    "rehash one row": ("UPDATE audit_entry SET hash = prev_hash WHERE seq = 6",),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_is_detected_with_the_first_broken_link(engine: Engine, case: str) -> None:
    fill(engine)
    statements = TAMPERING[case]
    if engine.dialect.name == "sqlite":
        statements = tuple(
            s.replace("at - INTERVAL '1 hour'", "datetime(at, '-1 hour')") for s in statements
        )
    raw(engine, *statements)
    result = verdict(engine)
    assert not result.ok, case
    assert result.broken_seq is not None
    expected = {"delete first": 1, "truncate tail": 5, "truncate all": 1, "rehash one row": 6}
    assert result.broken_seq == expected.get(case, 3), result.message


def test_cli_verify_exits_1_naming_the_link(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    good = runner.invoke(cli, ["audit", "verify"])
    assert good.exit_code == 0, good.output
    assert "intact: 6 rows" in good.output
    raw(engine, "UPDATE audit_entry SET action = 'nothing' WHERE seq = 2")
    bad = runner.invoke(cli, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "seq 2" in bad.output


def test_concurrent_appends_never_fork_the_chain(engine: Engine) -> None:
    def writer(n: int) -> None:
        for i in range(10):
            with Session(engine) as session:
                session.exec(select(AuditEntry).limit(1)).all()  # a read first, as routes do
                append_audit(session=session, actor=f"user:w{n}", action="test", target=str(i))
                session.commit()

    assert run_threads(8, writer) == []
    result = verdict(engine)
    assert result.ok, result.message
    assert result.checked == 80

"""NaN, Infinity and numbers out of a float's range in a JSON body get one clear 422.

Python's JSON parser reads ``NaN``, ``Infinity``, ``-Infinity`` and ``1e999`` as floats that
cannot be written back as JSON or stored; they used to end in 500s on every route.
"""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.models import AccessEventRecord, Person
from testkit.api.world import World

_NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" * 400 + ".0", "9" * 5000]


@pytest.fixture
def lenient_client(app: FastAPI) -> Iterator[TestClient]:
    """A client that shows a server error as a 500 instead of raising it."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _routes(world: World, bad: str) -> list[tuple[str, dict[str, str], str]]:
    bodies = [
        ("/api/v1/events", world.gate_key(), '{"events": [{"latency": {"total_ms": BAD}}]}'),
        ("/api/v1/decisions", world.gate_key(), '{"credential_kind": "badge", "x": BAD}'),
        ("/api/v1/enroll/people", world.user_desk(), '{"name": BAD, "kind": "staff"}'),
        ("/api/v1/auth/token", {}, '{"username": "admin", "password": BAD}'),
        ("/api/v1/people", world.user_desk(), '{"id": "p-1", "name": [BAD]}'),
    ]
    return [(path, headers, body.replace("BAD", bad)) for path, headers, body in bodies]


@pytest.mark.parametrize("bad", _NON_FINITE)
def test_a_non_finite_number_is_refused_with_422_on_every_route(
    lenient_client: TestClient, world: World, engine: Engine, bad: str
) -> None:
    for path, headers, body in _routes(world, bad):
        answer = lenient_client.post(
            path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert answer.status_code == 422, (path, answer.text[:200])
        assert "number" in answer.json()["detail"], path
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(AccessEventRecord)).one() == 0
        assert session.exec(select(func.count()).select_from(Person)).one() == 0


def test_a_body_without_a_content_type_is_checked_too(
    lenient_client: TestClient, world: World
) -> None:
    # FastAPI reads a body without a Content-Type as JSON.
    answer = lenient_client.post(
        "/api/v1/events", content=b'{"events": [NaN]}', headers=world.gate_key()
    )
    assert answer.status_code == 422


def test_nan_inside_a_string_and_ordinary_numbers_pass(
    lenient_client: TestClient, world: World
) -> None:
    answer = lenient_client.post(
        "/api/v1/enroll/people",
        json={"name": "NaN Infinity 1e999", "kind": "staff", "valid_from": None, "x": 1.5e300},
        headers=world.user_desk(),
    )
    assert answer.status_code != 500
    assert "non-finite" not in answer.text

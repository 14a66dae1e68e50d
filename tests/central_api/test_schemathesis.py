"""Schemathesis over /openapi.json: no operation answers a server error to any input.

Bounded: a few examples per operation, on SQLite, with real credentials supplied (a gate
key for the gate routes, an admin token elsewhere) so that the generated bodies reach the
handlers instead of stopping at 401.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from api_world import World, seed_world
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings

from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from central_api.models import Role
from gate_protocol.pass_keys import encode_private_key, encode_public_key, generate_pass_key

GATE_ROUTES = (
    "/api/v1/decisions",
    "/api/v1/events",
    "/api/v1/events/known",
    "/api/v1/gates/{gate_id}/replica",
)


@pytest.fixture
def fuzz_app(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[FastAPI, World]]:
    path = tmp_path / "fuzz.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    key_id, private = generate_pass_key()
    settings_ = Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=f"sqlite:///{path}",
        PORTGATE_PASS_SIGNING_KEY=f"{key_id}={encode_private_key(private)}",
        PORTGATE_PASS_PUBLIC_KEYS=f"{key_id}={encode_public_key(private.public_key())}",
    )
    app = create_app(settings_, engine=engine)
    with TestClient(app):  # runs the lifespan (tables, workers) for the whole test
        yield app, seed_world(engine, settings_)
    engine.dispose()


def test_no_operation_answers_a_server_error(fuzz_app: tuple[FastAPI, World]) -> None:
    app, world = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if operation.path in GATE_ROUTES:
            headers = world.gate_key()
        else:
            headers = world.user(Role.ADMIN)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=4,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            try:
                response = case.call(headers=headers)  # noqa: B023 (called right away)
            except Exception as exc:  # noqa: BLE001 (an unhandled error is a 500 too)
                failures.append(f"{case.operation.method.upper()} {case.operation.path}: {exc!r}")
                return
            if response.status_code >= 500:
                failures.append(
                    f"{case.operation.method.upper()} {case.operation.path} -> "
                    f"{response.status_code}: {response.text[:200]}"
                )

        call()
    assert operations > 30
    assert failures == [], "\n".join(failures)

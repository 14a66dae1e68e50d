"""Schemathesis over /openapi.json: no operation answers a server error to any input.

Bounded: a few examples per operation, on SQLite and on PostgreSQL (the throwaway cluster
of testkit/postgres.py, through the `engine` fixture), with real
credentials supplied (a gate key for the gate routes, an admin token elsewhere) so that
the generated bodies reach the handlers instead of stopping at 401. PostgreSQL runs fewer
examples: it is there for what only it refuses (string lengths, NUL bytes, integer
ranges, strict types), not to repeat the SQLite run.
"""

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy import Engine

from central_api.app import create_app
from central_api.config import Settings
from central_api.models import Role
from gate_protocol.passes.keys import encode_private_key, encode_public_key, generate_pass_key
from testkit.api.world import World, seed_world

GATE_ROUTES = (
    "/api/v1/decisions",
    "/api/v1/events",
    "/api/v1/events/known",
    "/api/v1/gates/{gate_id}/replica",
)


def _load_schemathesis_now() -> None:
    """Import what schemathesis loads on first use (~100 modules) while no thread runs.

    Schemathesis is a pytest plugin, so its modules are imported through pytest's assertion
    rewriter, which parses each with `ast.parse`; CPython 3.11 keeps that parser's recursion
    depth per interpreter, not per thread (cpython gh-106905), and a parse beside the app's
    threads failed with "AST constructor recursion depth mismatch" in a clean-clone run.
    Done at collection, before any app starts, on a one-route app.
    """
    tiny = FastAPI()

    @tiny.get("/echo/{n}")
    def echo(n: int) -> int:
        return n

    for result in schemathesis.openapi.from_asgi("/openapi.json", tiny).get_all_operations():

        @given(case=result.ok().as_strategy())
        @settings(max_examples=1, database=None, phases=[Phase.generate], deadline=None)
        def call(case: schemathesis.Case) -> None:
            case.call()

        call()


_load_schemathesis_now()


@pytest.fixture
def fuzz_app(engine: Engine) -> Iterator[tuple[FastAPI, World]]:
    key_id, private = generate_pass_key()
    settings_ = Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        PORTGATE_PASS_SIGNING_KEY=f"{key_id}={encode_private_key(private)}",
        PORTGATE_PASS_PUBLIC_KEYS=f"{key_id}={encode_public_key(private.public_key())}",
    )
    app = create_app(settings_, engine=engine)
    with TestClient(app):  # runs the lifespan (tables, workers) for the whole test
        yield app, seed_world(engine, settings_)


def test_no_operation_answers_a_server_error(
    fuzz_app: tuple[FastAPI, World], engine: Engine
) -> None:
    app, world = fuzz_app
    examples = 4 if engine.dialect.name == "sqlite" else 2
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
            max_examples=examples,
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

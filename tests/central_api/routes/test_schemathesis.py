"""Schemathesis over /openapi.json: no operation answers a server error to any input.

Bounded: a few examples per operation, on SQLite and on PostgreSQL (the throwaway cluster
of testkit/postgres.py, through the `engine` fixture), with real
credentials supplied (a gate key for the gate routes, an admin token elsewhere) so that
the generated bodies reach the handlers instead of stopping at 401. PostgreSQL runs fewer
examples: it is there for what only it refuses (string lengths, NUL bytes, integer
ranges, strict types), not to repeat the SQLite run.
"""

from collections.abc import Callable, Iterator
from typing import Any

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

    # A JSON body of anything: its strategy's description parses schemathesis's strategy
    # module with `ast.parse` (hypothesis's lambda descriptions, cached per source file).
    @tiny.post("/echo")
    def echo_body(body: dict[str, Any]) -> int:
        return len(body)

    for result in schemathesis.openapi.from_asgi("/openapi.json", tiny).get_all_operations():

        @given(case=result.ok().as_strategy())
        @settings(max_examples=1, database=None, phases=[Phase.generate], deadline=None)
        def call(case: schemathesis.Case) -> None:
            case.call()

        call()


_load_schemathesis_now()

_AST_RACE = "AST constructor recursion depth mismatch"


def _is_ast_race(error: BaseException | None) -> bool:
    """Whether `error` is, or was raised from, CPython 3.11's shared AST depth (gh-106905)."""
    if error is None:
        return False
    if isinstance(error, SystemError) and _AST_RACE in str(error):
        return True
    if isinstance(error, BaseExceptionGroup) and any(map(_is_ast_race, error.exceptions)):
        return True
    return _is_ast_race(error.__cause__) or _is_ast_race(error.__context__)


def _run_past_the_ast_race(call: Callable[[], None], tries: int = 3) -> None:
    """Run the hypothesis test `call`; again when only the interpreter's AST race failed it.

    Hypothesis describes its strategies with `ast.parse` while it generates, and a parse
    beside the app's threads can fail in CPython 3.11 whatever the route does (gh-106905).
    That one error is not the API's: the run is repeated, with what it parsed now cached.
    Any other error, a 500 included, fails at once.
    """
    for attempt in range(1, tries + 1):
        try:
            call()
            return
        except BaseException as error:
            if attempt == tries or not _is_ast_race(error):
                raise


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

        _run_past_the_ast_race(call)
    assert operations > 30
    assert failures == [], "\n".join(failures)

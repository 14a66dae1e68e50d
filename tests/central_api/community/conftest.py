"""The three installations of the sharing tests: a hub, terminal A (the `engine` fixture's
database, SQLite and PostgreSQL) and terminal B, formed into one community."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from central_api.config import Settings
from central_api.db import make_engine
from testkit.api.world import World, seed_world
from testkit.community import form_community


@pytest.fixture
def hub(
    tmp_path: Path, sqlite_template: Path, settings: Settings
) -> Iterator[tuple[Engine, World]]:
    path = tmp_path / "hub.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    world = seed_world(engine, settings)
    yield engine, world
    engine.dispose()


@pytest.fixture
def term_b(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "term-b.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def community(hub: tuple[Engine, World], engine: Engine, world: World, term_b: Engine) -> Engine:
    form_community(hub[0], {"term-a": engine, "term-b": term_b})
    return hub[0]

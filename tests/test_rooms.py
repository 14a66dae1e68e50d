"""The rooms of gate_agent and central_api import one way (docs/architecture.md, rooms).

A room is a sub-package (`gate_agent/face/`) or a module at the package's root
(`gate_agent/config.py`). Each package lists its rooms from the bottom up; a module may import
its own room and the rooms listed before it, never one listed after it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
ROOM_ORDER: dict[str, tuple[str, ...]] = {
    "gate_agent": (
        "display",
        "face_config",
        "config",
        "camera",
        "face",
        "links",
        "outbox",
        "stills",
        "decision",
        "loop",
        "monitor",
        "app",
        "service",
    ),
    "central_api": (
        "config",
        "errors",
        "metrics",
        "db",
        "gc_watch",
        "migrate",
        "models",
        "bus",
        "deps",
        "audit",
        "decision_data",
        "security",
        "web",
        "replica",
        "alarms",
        "insider",
        "baseline",
        "crud",
        "decisions",
        "ingest",
        "dashboard",
        "search",
        "enroll",
        "stills",
        "watchlist",
        "incidents",
        "community",
        "staff_reports",
        "openings",
        "reports",
        "backup",
        "forwarding",
        "hr_sync",
        "routes",
        "app",
        "serve",
    ),
}
# Alembic's scripts run on their own, outside the application's import order.
NOT_ROOMS = {"migrations", "__init__"}


def room_of(package: str, dotted: str) -> str | None:
    """The room a dotted module name of `package` lies in (None: another package)."""
    parts = dotted.split(".")
    if parts[0] != package or len(parts) < 2:
        return None
    return parts[1]


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def upward_imports(package: str, root: Path = ROOT) -> list[str]:
    order = {room: rank for rank, room in enumerate(ROOM_ORDER[package])}
    found: list[str] = []
    for path in sorted((root / package).rglob("*.py")):
        relative = path.relative_to(root / package)
        room = relative.parts[0].removesuffix(".py")
        if room in NOT_ROOMS:
            continue
        for name in imports_of(path):
            target = room_of(package, name)
            if target is None or target == room or target in NOT_ROOMS:
                continue
            if order[target] > order[room]:
                found.append(f"{package}/{relative} ({room}) imports {name} ({target})")
    return found


@pytest.mark.parametrize("package", sorted(ROOM_ORDER))
def test_every_room_is_in_the_order(package: str) -> None:
    on_disk = {
        path.name.removesuffix(".py")
        for path in (ROOT / package).iterdir()
        if (path.is_dir() and (path / "__init__.py").exists()) or path.suffix == ".py"
    } - NOT_ROOMS
    assert on_disk == set(ROOM_ORDER[package])


@pytest.mark.parametrize("package", sorted(ROOM_ORDER))
def test_rooms_import_only_rooms_below_them(package: str) -> None:
    assert upward_imports(package) == []


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    # The check itself: a camera module that reaches up into the loop is reported.
    package = tmp_path / "gate_agent"
    for room in ROOM_ORDER["gate_agent"]:
        if room in {"face_config", "config", "app", "service"}:
            package.mkdir(exist_ok=True)
            (package / f"{room}.py").write_text("")
        else:
            (package / room).mkdir(parents=True)
            (package / room / "__init__.py").write_text("")
    (package / "camera" / "frames.py").write_text("from gate_agent.loop.inbox import Stop\n")
    (package / "loop" / "agent.py").write_text("from gate_agent.camera.frames import x\n")
    assert upward_imports("gate_agent", tmp_path) == [
        "gate_agent/camera/frames.py (camera) imports gate_agent.loop.inbox (loop)"
    ]

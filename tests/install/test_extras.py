"""Each service installs only its extra: a bridge pulls neither dlib nor OpenCV (issue 23.6).

The sets are what uv installs from the committed uv.lock (`uv export --frozen`, offline);
tests/portgate/test_lazy_commands.py shows that `portgate bridge` runs without them.
"""

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FACE_STACK = {"dlib", "dlib-bin", "face-recognition", "face-recognition-models", "numpy"}
OPENCV = {"opencv-python", "opencv-python-headless", "opencv-contrib-python"}
SERVER = {"fastapi", "sqlmodel", "alembic", "psycopg", "uvicorn", "matplotlib"}


def _uv() -> str:
    found = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    if not os.access(found, os.X_OK):
        pytest.skip("uv is not installed (make uv)")
    return found


def installed_with(*extras: str) -> set[str]:
    """The distributions a `uv sync --no-dev --extra ...` of the lock installs on Linux."""
    args = [_uv(), "export", "--frozen", "--offline", "--no-dev", "--no-emit-project"]
    args += [a for extra in extras for a in ("--extra", extra)]
    result = subprocess.run(
        [*args, "--no-hashes", "--no-header", "--no-annotate"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names = set()
    for line in result.stdout.splitlines():
        requirement, _, marker = line.partition(";")
        if not requirement.strip() or "win32" in marker or "darwin" in marker:
            continue
        names.add(requirement.split("==")[0].strip().lower())
    return names


def test_a_bridge_install_pulls_neither_dlib_nor_opencv_nor_the_api() -> None:
    bridge = installed_with("bridge")
    assert {"pyserial", "gpiozero", "libosdp", "paho-mqtt", "pydantic", "typer"} <= bridge
    assert not bridge & (FACE_STACK | OPENCV | SERVER), bridge & (FACE_STACK | OPENCV | SERVER)


def test_the_api_and_the_agent_get_the_face_stack_and_the_desk_does_not() -> None:
    api, agent, desk = installed_with("api"), installed_with("agent"), installed_with("desk")
    assert {"dlib-bin", "opencv-python-headless", "numpy"} <= api & agent
    assert SERVER - {"uvicorn"} <= api and not agent & {"fastapi", "sqlmodel", "psycopg"}
    assert {"pyzbar", "zxing-cpp"} <= agent
    assert {"httpx", "pillow", "segno"} <= desk and not desk & (FACE_STACK | OPENCV | SERVER)


def test_all_is_every_extra_and_make_installs_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert extras["all"] == ["portgate[api,agent,bridge,desk]"]
    everything = installed_with("all")
    for extra in ("api", "agent", "bridge", "desk"):
        assert installed_with(extra) <= everything, extra
    makefile = (ROOT / "Makefile").read_text()
    assert "sync --frozen --all-extras" in makefile  # the dev venv has every service's deps

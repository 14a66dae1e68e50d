"""The import rules of docs/architecture.md, imports, checked over the source tree."""

import ast
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = (
    "gate_protocol",
    "biometrics",
    "central_api",
    "enrollment",
    "gate_agent",
    "firmware_bridge",
    "portgate",
)
SERVICES = ("central_api", "enrollment", "gate_agent", "firmware_bridge")
ALLOWED: dict[str, set[str]] = {
    "gate_protocol": {"gate_protocol"},
    "biometrics": {"gate_protocol", "biometrics"},
    "firmware_bridge": {"gate_protocol", "firmware_bridge"},
    **{s: {"gate_protocol", "biometrics", s} for s in SERVICES if s != "firmware_bridge"},
    "portgate": set(PACKAGES),
}
# Development only, never in the wheel: test support, the benchmarks and the tests.
DEV_ONLY = ("testkit", "bench", "tests")
# What each may import besides the product packages (testkit never reaches into bench or tests).
DEV_ALLOWED: dict[str, set[str]] = {"testkit": {"testkit"}, "bench": {"testkit", "bench"}}
# gate_protocol is the wire contract: it may lean on these third-party libraries only.
PROTOCOL_THIRD_PARTY = {"pydantic", "pydantic_core", "cryptography"}
# ...and Babel for the languages every service shares (gate_protocol/i18n).
PROTOCOL_THIRD_PARTY |= {"babel"}
# ...and the one module that builds every service's broker client may use paho-mqtt.
PROTOCOL_MODULE_THIRD_PARTY = {"mqtt_connection.py": {"paho"}}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_flow_one_way(package: str) -> None:
    for path in sources(package):
        ours = imported_roots(path) & set(PACKAGES)
        forbidden = ours - ALLOWED[package]
        assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


def test_gate_protocol_imports_only_pydantic_cryptography_and_stdlib() -> None:
    for path in sources("gate_protocol"):
        foreign = {
            name
            for name in imported_roots(path)
            if name not in sys.stdlib_module_names and name not in PACKAGES
        }
        allowed = PROTOCOL_THIRD_PARTY | PROTOCOL_MODULE_THIRD_PARTY.get(path.name, set())
        assert foreign <= allowed, f"{path.relative_to(ROOT)} imports {foreign}"


def test_topics_are_spelled_only_in_topics_module() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sources(package):
            if path.name == "topics.py" and package == "gate_protocol":
                continue
            if "portgate/v1" in path.read_text(encoding="utf-8"):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


@pytest.mark.parametrize("package", PACKAGES)
def test_no_product_package_imports_dev_code(package: str) -> None:
    for path in sources(package):
        dev = imported_roots(path) & set(DEV_ONLY)
        assert not dev, f"{path.relative_to(ROOT)} imports {sorted(dev)}"


@pytest.mark.parametrize("folder", sorted(DEV_ALLOWED))
def test_testkit_and_bench_import_products_and_what_they_may(folder: str) -> None:
    for path in sources(folder):
        dev = imported_roots(path) & set(DEV_ONLY)
        forbidden = dev - DEV_ALLOWED[folder]
        assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


def test_the_wheel_holds_the_product_packages_only() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = config["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert sorted(wheel) == sorted(PACKAGES)


def test_tests_import_support_code_without_touching_sys_path() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sources("tests")
        if "sys.path.insert" in path.read_text(encoding="utf-8")
        and path.resolve() != Path(__file__).resolve()
    ]
    assert not offenders

import importlib
import pkgutil

import gate_protocol


def test_package_exports_exactly_its_all() -> None:
    public = {name for name in vars(gate_protocol) if not name.startswith("_")}
    modules = {m.name for m in pkgutil.iter_modules(gate_protocol.__path__)}
    assert public - modules == set(gate_protocol.__all__)


def test_every_module_declares_all_and_exports_only_what_exists() -> None:
    for info in pkgutil.walk_packages(gate_protocol.__path__, prefix="gate_protocol."):
        module = importlib.import_module(info.name)
        exported = getattr(module, "__all__", None)
        assert exported is not None, info.name
        missing = [name for name in exported if not hasattr(module, name)]
        assert not missing, (info.name, missing)

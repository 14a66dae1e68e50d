"""The id rule is spelled in gate_protocol/ids.py only; everything else uses its types."""

import re
from pathlib import Path

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
OWNER = ROOT / "gate_protocol" / "ids.py"
# The id, account-name and badge-number character classes (plates, container references,
# share groups and QR pass ids are other rules).
SPELLINGS = re.compile(r"A-Za-z0-9\._:?-|A-Za-z0-9\.:_-|0-9A-Fa-f:-")


def test_only_gate_protocol_ids_spells_an_id_pattern() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != OWNER
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SPELLINGS.search(line)
    ]
    assert not offenders, f"spell ids with gate_protocol.ids: {offenders}"


def test_the_owner_spells_them() -> None:
    assert SPELLINGS.search(OWNER.read_text(encoding="utf-8"))

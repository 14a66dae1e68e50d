from pathlib import Path

import pytest

from firmware_bridge.config import OsdpConfig, OsdpReaderConfig
from firmware_bridge.drivers.osdp_keys import SCBK_D, OsdpKeyError, env_name, load_reader_keys

READERS = [
    OsdpReaderConfig(address=1, reader_id="reader-a0", lane=0),
    OsdpReaderConfig(address=2, reader_id="reader-a1", lane=1),
]
KEY_A = "00112233445566778899aabbccddeeff"
KEY_B = "ffeeddccbbaa99887766554433221100"


def config(**kw: object) -> OsdpConfig:
    return OsdpConfig.model_validate({"port": "/dev/ttyUSB0", "readers": READERS, **kw})


def test_keys_from_file_and_environment(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text(f"# commissioning 2026-01\nreader-a0={KEY_A}\nreader-a1 = {KEY_A}\n")
    env = {env_name("PORTGATE_OSDP_SCBK_", "reader-a1"): KEY_B}
    keys = load_reader_keys(config(key_file=key_file), environ=env)
    assert keys == {"reader-a0": bytes.fromhex(KEY_A), "reader-a1": bytes.fromhex(KEY_B)}
    assert env_name("PORTGATE_OSDP_SCBK_", "reader-a1") == "PORTGATE_OSDP_SCBK_READER_A1"


def test_missing_key_means_plaintext_and_is_refused() -> None:
    with pytest.raises(OsdpKeyError, match="allow_plaintext"):
        load_reader_keys(config(), environ={"PORTGATE_OSDP_SCBK_READER_A0": KEY_A})
    keys = load_reader_keys(config(allow_plaintext=True), environ={})
    assert keys == {"reader-a0": None, "reader-a1": None}


def test_default_install_key_is_refused_unless_allowed() -> None:
    env = {"PORTGATE_OSDP_SCBK_READER_A0": SCBK_D.hex(), "PORTGATE_OSDP_SCBK_READER_A1": KEY_A}
    with pytest.raises(OsdpKeyError, match="SCBK-D"):
        load_reader_keys(config(), environ=env)
    assert load_reader_keys(config(allow_install_key=True), environ=env)["reader-a0"] == SCBK_D


@pytest.mark.parametrize("bad", ["xyz", "0011", KEY_A + "00"])
def test_malformed_keys_are_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(OsdpKeyError):
        load_reader_keys(
            config(),
            environ={"PORTGATE_OSDP_SCBK_READER_A0": bad, "PORTGATE_OSDP_SCBK_READER_A1": KEY_A},
        )
    key_file = tmp_path / "keys"
    key_file.write_text("reader-a0 " + KEY_A + "\n")
    with pytest.raises(OsdpKeyError, match="expected"):
        load_reader_keys(config(key_file=key_file), environ={})

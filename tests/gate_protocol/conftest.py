"""Fixtures of the gate_protocol tests; puts this folder on sys.path for `passes_support`.

The suite runs in importlib import mode, so a test folder is not importable by itself.
"""

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from gate_protocol.pass_keys import PassKeyring, generate_pass_key  # noqa: E402
from gate_protocol.passes import PassSigner  # noqa: E402


@pytest.fixture(scope="module")
def signer() -> PassSigner:
    key_id, key = generate_pass_key()
    return PassSigner(key, key_id)


@pytest.fixture(scope="module")
def keyring(signer: PassSigner) -> PassKeyring:
    return PassKeyring({signer.key_id: signer.public_key()})

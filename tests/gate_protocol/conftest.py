"""Fixtures of the gate_protocol tests: a pass signer and its keyring (helpers: testkit.passes)."""

import pytest

from gate_protocol.passes.keys import PassKeyring, generate_pass_key
from gate_protocol.passes.token import PassSigner


@pytest.fixture(scope="module")
def signer() -> PassSigner:
    key_id, key = generate_pass_key()
    return PassSigner(key, key_id)


@pytest.fixture(scope="module")
def keyring(signer: PassSigner) -> PassKeyring:
    return PassKeyring({signer.key_id: signer.public_key()})

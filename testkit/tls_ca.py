"""A throwaway certificate authority for tests: the demo's (`portgate.broker.local_ca`).

Use it as::

    ca = TestCa.create(tmp_path / "pki")
    server = ca.issue_server("broker", hosts=["127.0.0.1", "localhost"])
    client = ca.issue_client("agent-gate-a")
    server.cert_file, server.key_file, ca.cert_file
"""

from portgate.broker.local_ca import IssuedCert, LocalCa

__all__ = ["IssuedCert", "TestCa"]


class TestCa(LocalCa):
    """The local CA under the name the tests know it by."""

    __test__ = False  # not a pytest test class, despite the name

"""Session-wide settings of the whole suite (the fixtures live in each folder's conftest.py)."""

import pytest

from testkit.password_cost import use_cheap_password_hashing


def pytest_configure(config: pytest.Config) -> None:
    # Before any test module (or testkit's seeded hashes) is imported: see testkit/password_cost.py.
    use_cheap_password_hashing()

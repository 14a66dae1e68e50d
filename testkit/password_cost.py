"""Argon2id at its lowest cost for a test session, the way Django's test settings do it.

The product hashes passwords with argon2id's default cost (64 MiB, 3 passes: 0.1 s per hash
or check on a quiet 2-core machine, 0.3-0.5 s at a load of 10). The tests make and check
thousands of passwords; they prove who may log in, not what a guess costs, so the session
hashes with the same algorithm and code at the lowest cost. A hash names its own
parameters: a `portgate api` process a test starts checks these hashes at the same low
cost, and a hash made at the product's cost still checks.

    use_cheap_password_hashing()  # tests/conftest.py, before any test module is imported
"""

from __future__ import annotations

from argon2 import PasswordHasher

__all__ = ["CHEAP_HASHER", "use_cheap_password_hashing"]

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def use_cheap_password_hashing() -> None:
    """Make `central_api.security.auth` hash and check with `CHEAP_HASHER` in this process."""
    from central_api.security import auth

    auth._hasher = CHEAP_HASHER  # the product has no setting for it, on purpose

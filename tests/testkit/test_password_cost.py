"""The suite hashes passwords with argon2id at its lowest cost; product-cost hashes still check."""

from argon2 import PasswordHasher

from central_api.security.auth import hash_password, verify_password


def test_the_session_hashes_with_argon2id_at_the_lowest_cost() -> None:
    made = hash_password("correct-horse-battery")
    assert made.startswith("$argon2id$v=19$m=1024,t=1,p=1$"), made
    assert verify_password("correct-horse-battery", made)
    assert not verify_password("wrong-horse-battery", made)


def test_a_hash_at_the_products_cost_still_checks() -> None:
    made = PasswordHasher().hash("correct-horse-battery")
    assert "$m=65536,t=3,p=4$" in made
    assert verify_password("correct-horse-battery", made)
    assert not verify_password("wrong-horse-battery", made)

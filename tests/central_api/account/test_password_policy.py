"""The password policy: length, the bundled common passwords, the user's own name."""

import pytest

from central_api.errors import InvalidError
from central_api.security.password_policy import check_password_policy


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-one", "at least 12"),
        ("x" * 257, "at most 256"),
        ("Password1234", "too common"),
        ("aaaabbbbaaaa", "too common"),
        ("my-name-is-ria.visser!", "user name"),
        ("RIA.VISSER-rules-here", "user name"),
    ],
)
def test_a_password_breaking_a_rule_is_refused_with_the_rule(password: str, why: str) -> None:
    with pytest.raises(InvalidError, match=why) as refused:
        check_password_policy(password, username="ria.visser")
    assert password not in refused.value.message, "the password is never echoed"


def test_a_long_uncommon_password_without_the_name_passes() -> None:
    check_password_policy("tidal-crane-orange-42", username="ria.visser")

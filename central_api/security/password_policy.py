"""The password policy, applied wherever a password is set (CLI, API, reset link).

At least 12 characters, not one of the commonly breached passwords bundled here, and not
containing the user's own name. A short bundled list rather than a strength estimator: it
has no dependency and an operator can read what is refused and why.
"""

from central_api.errors import InvalidError

__all__ = ["MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "check_password_policy"]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

# Lower-cased; only entries of 12+ characters matter, shorter ones fail the length rule.
_COMMON = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678910",
        "qwertyuiop123",
        "qwertyuiopasdfgh",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "zaq12wsxcde3",
        "password1234",
        "password12345",
        "password123456",
        "passwordpassword",
        "iloveyou1234",
        "letmein12345",
        "welcome12345",
        "welcome123456",
        "administrator",
        "administrator1",
        "changeme1234",
        "changeme12345",
        "portgate1234",
        "portgate12345",
        "portgateadmin",
        "abcdefghijkl",
        "abc123abc123",
        "aaaaaaaaaaaa",
        "111111111111",
        "000000000000",
        "football1234",
        "baseball1234",
        "sunshine1234",
        "princess1234",
        "starwars1234",
        "trustno11234",
        "p@ssw0rd1234",
        "p@ssword1234",
        "passw0rd1234",
        "q1w2e3r4t5y6",
        "asdfghjkl123",
        "monkey123456",
        "dragon123456",
        "master123456",
        "superman1234",
    }
)


def check_password_policy(password: str, *, username: str) -> None:
    """Refuse a password that is too short, too long, common, or contains the user name.

    Raises:
        InvalidError: Which rule the password breaks (the password itself is never echoed).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidError(f"password must have at most {MAX_PASSWORD_LENGTH} characters")
    lowered = password.lower()
    if lowered in _COMMON or len(set(lowered)) < 4:
        raise InvalidError("password is too common: choose a longer phrase of unrelated words")
    name = username.lower()
    if len(name) >= 3 and name in lowered:
        raise InvalidError("password must not contain the user name")

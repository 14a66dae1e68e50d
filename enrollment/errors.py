"""Errors of the enrollment client.

::

    EnrollmentError
    ├── ApiError        the API answered with an error (status and its message)
    ├── NotLoggedInError no token: log in or set PORTGATE_TOKEN
    └── CsvError        the import CSV cannot be read at all (bad header, encoding)
"""

__all__ = ["ApiError", "CsvError", "EnrollmentError", "NotLoggedInError"]


class EnrollmentError(Exception):
    """Base of every enrollment client error."""


class ApiError(EnrollmentError):
    """The API refused a request.

    Attributes:
        status: The HTTP status.
        detail: The API's message.
    """

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"API answered {status}: {detail}")
        self.status = status
        self.detail = detail


class NotLoggedInError(EnrollmentError):
    """No token: run `portgate enroll login` or set PORTGATE_TOKEN."""


class CsvError(EnrollmentError):
    """The import CSV cannot be used at all."""

"""Service errors that routes turn into 4xx answers (never a 500).

ServiceError
├── ForbiddenError  -> 403
├── NotFoundError   -> 404
├── ConflictError   -> 409
└── InvalidError    -> 422
"""

__all__ = [
    "BODY_TOO_LARGE",
    "MAX_BODY_BYTES",
    "ConflictError",
    "ForbiddenError",
    "InvalidError",
    "NotFoundError",
    "ServiceError",
]

MAX_BODY_BYTES = 4 * 1024 * 1024  # a 500-event batch is well under 1 MiB
# One wording for a body over the limit, declared (Content-Length) or counted as it arrives.
BODY_TOO_LARGE = f"request body over {MAX_BODY_BYTES} bytes"


class ServiceError(Exception):
    """A request the service refuses, with a message for the caller."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ForbiddenError(ServiceError):
    """The caller may not do this (e.g. a site-bound user acting for another site)."""

    status_code = 403


class NotFoundError(ServiceError):
    """The thing asked for does not exist (or the caller may not know it does)."""

    status_code = 404


class ConflictError(ServiceError):
    """The change clashes with current data (duplicate id, already used...)."""

    status_code = 409


class InvalidError(ServiceError):
    """The request is well-formed but makes no sense (e.g. window ends before it starts)."""

    status_code = 422

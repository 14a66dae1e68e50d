"""Field types shared by the table and API models."""

from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy import String
from sqlmodel import Field

from central_api.db import UTCDateTime

__all__ = ["IdStr", "NameStr", "TextStr", "enum_column", "id_field", "time_field"]

ID_PATTERN = r"^[A-Za-z0-9._:-]+$"
IdStr = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]
NameStr = Annotated[
    str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True, pattern=r"\S")
]
TextStr = Annotated[str, StringConstraints(max_length=500)]


def enum_column(default: Any = ..., **kwargs: Any) -> Any:
    """A StrEnum stored as its value in a plain string column (no database enum types)."""
    return Field(default=default, sa_type=String(32), **kwargs)


def time_field(**kwargs: Any) -> Any:
    """A timezone-aware UTC timestamp column (pass `default` or `default_factory`)."""
    return Field(sa_type=UTCDateTime, **kwargs)


def id_field(**kwargs: Any) -> Any:
    """A string id column (the wire's Id alphabet, at most 64 characters)."""
    return Field(max_length=64, **kwargs)

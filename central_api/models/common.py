"""Field types shared by the table and API models."""

from enum import StrEnum
from typing import Annotated, Any

from gate_protocol.text import refuse_unsafe_name, refuse_unsafe_text
from pydantic import AfterValidator, StringConstraints
from sqlalchemy import Dialect, String
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from central_api.db import UTCDateTime

__all__ = [
    "NameStr",
    "StrEnumType",
    "TextStr",
    "enum_column",
    "id_field",
    "time_field",
]

# Names and free text people read refuse control and bidi characters (gate_protocol.text).
NameStr = Annotated[
    str,
    StringConstraints(min_length=1, max_length=120, strip_whitespace=True, pattern=r"\S"),
    AfterValidator(refuse_unsafe_name),
]
TextStr = Annotated[str, StringConstraints(max_length=500), AfterValidator(refuse_unsafe_text)]


class StrEnumType(TypeDecorator[StrEnum]):
    """A StrEnum in a plain VARCHAR(32): written as its value, read back as the enum.

    Table models are not validated when SQLAlchemy loads them, so a bare String column
    hands back `str` and pydantic then warns on every dump ("Expected `enum`").
    """

    impl = String(32)
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """The enum's value (a plain str of the right value is accepted as is)."""
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        """The enum member; a value this version does not know stays a str (never fails)."""
        if value is None:
            return None
        try:
            return self.enum(value)
        except ValueError:
            return value  # type: ignore[no-any-return]


def enum_column(enum: type[StrEnum], default: Any = ..., **kwargs: Any) -> Any:
    """A StrEnum stored as its value in a plain string column (no database enum types)."""
    return Field(default=default, sa_type=StrEnumType(enum), **kwargs)


def time_field(**kwargs: Any) -> Any:
    """A timezone-aware UTC timestamp column (pass `default` or `default_factory`)."""
    return Field(sa_type=UTCDateTime, **kwargs)


def id_field(**kwargs: Any) -> Any:
    """A string id column (the wire's Id alphabet, at most 64 characters)."""
    return Field(max_length=64, **kwargs)

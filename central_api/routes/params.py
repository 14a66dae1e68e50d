"""Path and query parameters that several routes share: ids by the rule of `gate_protocol.ids`."""

from typing import Annotated

from fastapi import Path, Query
from gate_protocol.ids import MAX_ID_LENGTH, OPTIONAL_ID_PATTERN, Id

__all__ = ["IdPath", "IdQuery"]

IdPath = Annotated[Id, Path()]
# A list filter a form may send empty ("any"): an id, nothing, or absent.
IdQuery = Annotated[str | None, Query(max_length=MAX_ID_LENGTH, pattern=OPTIONAL_ID_PATTERN)]

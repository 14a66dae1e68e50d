"""The Traffic Light Protocol 2.0 labels (FIRST TLP 2.0), one type for everything shared.

Incident reports carry one, and so does every item the community room shares
(`central_api.community.envelope` uses this type).

Spelled exactly as FIRST writes them; nothing else is a label (not TLP 1.0's
``TLP:WHITE``, not ``amber``): a label decides who may read the report, so a guess is
refused with the allowed ones named.
"""

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["Tlp", "TlpLabel", "parse_tlp"]


class Tlp(StrEnum):
    """A TLP 2.0 label, from the widest audience to the narrowest."""

    CLEAR = "TLP:CLEAR"
    GREEN = "TLP:GREEN"
    AMBER = "TLP:AMBER"
    AMBER_STRICT = "TLP:AMBER+STRICT"
    RED = "TLP:RED"

    @property
    def rank(self) -> int:
        """0 for CLEAR up to 4 for RED: a higher rank reaches fewer readers."""
        return list(Tlp).index(self)

    @property
    def addressed(self) -> bool:
        """True for the labels whose shared items go to named members only."""
        return self in (Tlp.AMBER_STRICT, Tlp.RED)

    def within(self, limit: "Tlp") -> bool:
        """Whether a report under this label may go where `limit` is the most allowed."""
        return self.rank <= limit.rank


ALLOWED = ", ".join(label.value for label in Tlp)


def parse_tlp(value: Any) -> Tlp:
    """The label `value` names exactly, or ValueError naming the allowed labels."""
    if isinstance(value, Tlp):
        return value
    try:
        return Tlp(value)
    except ValueError:
        raise ValueError(f"unknown TLP label {value!r}: use one of {ALLOWED}") from None


TlpLabel = Annotated[Tlp, BeforeValidator(parse_tlp)]

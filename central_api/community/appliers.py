"""What a received, verified item does here: a registry of kind -> applier.

An applier changes the local database inside the receiving session and returns one line
saying what it did (kept in the received log and the audit). It does not commit: the
receiver commits the item, the change and their audit rows together. Other rooms add
their kinds with `register` (incident reports do).
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from central_api.community.envelope import ItemKind, SharedItem
from central_api.community.members import CommunityKeys
from central_api.community.verify import Refusal

__all__ = ["Applier", "ApplyContext", "ApplyRefused", "applier_for", "register"]


@dataclass(frozen=True, slots=True)
class ApplyContext:
    """What an applier may need besides the item: our keys and the audit actor."""

    keys: CommunityKeys
    actor: str


class ApplyRefused(Exception):
    """An applier refuses a verified item before changing anything; counted as `refusal`."""

    def __init__(self, refusal: Refusal, detail: str) -> None:
        super().__init__(f"{refusal}: {detail}")
        self.refusal = refusal
        self.detail = detail


Applier = Callable[[Session, SharedItem, ApplyContext], str]
_APPLIERS: dict[ItemKind, Applier] = {}


def register(kind: ItemKind, applier: Applier) -> None:
    """Make `applier` the one that applies items of `kind` (the last registration wins)."""
    _APPLIERS[kind] = applier


def applier_for(kind: ItemKind) -> Applier | None:
    """The applier of `kind`, or None (the item is then kept, marked not applied)."""
    return _APPLIERS.get(kind)

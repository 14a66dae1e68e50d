"""The demo's port authority: bans a demo person at every gate, then lifts the ban.

It goes through the same audited service as `/api/v1/bans` (`central_api.crud.bans`), on
the demo's engine, as the seeded authority user; the API process's bus tells the gates.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from central_api.crud.bans import issue_ban, lift_ban
from central_api.models import PortBanCreate

__all__ = ["AUTHORITY_USER", "LEGAL_REFERENCE", "DemoAuthority"]

AUTHORITY_USER = "authority"
LEGAL_REFERENCE = "PA-DEMO/2026-01"


class DemoAuthority:
    """Issues and lifts port bans on the demo's people (by script role)."""

    def __init__(self, *, engine: Engine, person_ids: dict[str, str]) -> None:
        self._engine = engine
        self._person_ids = person_ids

    def ban(self, role: str) -> str:
        """Ban the person of `role` now; returns the ban id."""
        body = PortBanCreate(
            person_id=self._person_ids[role],
            reason="demo: cargo theft under investigation",
            legal_reference=LEGAL_REFERENCE,
        )
        with Session(self._engine) as session:
            return issue_ban(
                session=session, body=body, username=AUTHORITY_USER, four_eyes=False
            ).id

    def lift(self, ban_id: str) -> None:
        """Lift the ban."""
        with Session(self._engine) as session:
            lift_ban(session=session, ban_id=ban_id, username=AUTHORITY_USER, reason="demo: lifted")

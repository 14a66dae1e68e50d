"""The dashboard's per-process objects (hub, board, feed), kept on ``app.state.dashboard``."""

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.dashboard.board import GateBoard
from central_api.dashboard.feed import LiveFeed
from central_api.dashboard.hub import LiveHub
from central_api.dashboard.queries import load_gate_metas, seed_board
from central_api.db import utc_now
from central_api.security.site_scope import unscoped

__all__ = ["DashboardState", "LiveDep", "get_live"]


@dataclass
class DashboardState:
    """The live hub, the gate board and the feed that fills both."""

    hub: LiveHub
    board: GateBoard
    feed: LiveFeed

    @classmethod
    def create(cls, *, engine: Engine) -> "DashboardState":
        """New, empty objects for one app."""
        hub, board = LiveHub(), GateBoard()
        return cls(hub=hub, board=board, feed=LiveFeed(engine=engine, hub=hub, board=board))

    def refresh_board(self, session: Session) -> None:
        """Seed the board from storage once, then keep its gate list current.

        The board serves every user of this process, so it is filled with every site's
        gates even when `session` is a site-bound user's; readers filter by site
        (`GateBoard.tiles`).
        """
        with unscoped(session):
            if not self.board.seeded:
                seed_board(session=session, board=self.board, now=utc_now(), wall_now=time.time())
            else:
                self.board.set_gates(load_gate_metas(session=session))


def get_live(request: Request) -> DashboardState:
    """The app's dashboard objects."""
    live: DashboardState = request.app.state.dashboard
    return live


LiveDep = Annotated[DashboardState, Depends(get_live)]

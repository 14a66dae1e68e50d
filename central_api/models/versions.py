"""The decision-data version: one counter that database triggers bump on every change.

Every insert, update or delete of a table that a central decision reads (people,
credentials, groups, schedules, competencies, watchlist, zones, gates, gate API keys)
bumps it in the same transaction (migrations 0003 and 0007), so a process may keep those
rows in memory for as long as the version it read them under is still current
(`central_api.decision_cache`).
"""

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

__all__ = ["DECISION_DATA_TABLES", "DecisionDataVersion"]

# The tables whose changes make cached decision inputs stale (their triggers: 0003, 0007).
DECISION_DATA_TABLES = (
    "zone",
    "gate",
    "person",
    "credential",
    "personaccessgroup",
    "accessgroup",
    "accessgroupzone",
    "schedule",
    "holiday",
    "personcompetency",
    "watchlistentry",
    "agentkey",
)


class DecisionDataVersion(SQLModel, table=True):
    """The one row (id 1) whose `version` the triggers increment."""

    __tablename__ = "decision_data_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))

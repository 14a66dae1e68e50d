"""The decision-data version: one counter that database triggers bump on every change.

Every insert, update or delete of a table that a central decision reads (people,
credentials, groups, schedules, competencies, watchlist, zones, gates, gate API keys)
bumps it in the same transaction (migrations 0003 and 0007), so a process may keep those
rows in memory for as long as the version it read them under is still current
(`central_api.decision_data.cache`).

The same triggers note what each new version touched (`DecisionDataChange`, migration
0008): the person a row of a person's own table belongs to (and a credential's ref), or
nothing for a rule, zone, gate or key. A process whose version moved by a few person
changes then drops only those people's entries instead of everything it loaded.
"""

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

__all__ = [
    "DECISION_CHANGE_KEPT",
    "DECISION_CHANGE_PRUNE_EVERY",
    "DECISION_DATA_TABLES",
    "DecisionDataChange",
    "DecisionDataVersion",
    "PERSON_SCOPED_TABLES",
]

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

# Of those, the tables whose rows belong to one person, and the column that names them.
PERSON_SCOPED_TABLES = {
    "person": "id",
    "credential": "person_id",
    "personaccessgroup": "person_id",
    "personcompetency": "person_id",
    "watchlistentry": "person_id",
}

# Change notes older than this many versions are deleted by the triggers (on PostgreSQL
# once every DECISION_CHANGE_PRUNE_EVERY versions); a process that far behind loads
# everything again.
DECISION_CHANGE_KEPT = 10_000
DECISION_CHANGE_PRUNE_EVERY = 1_000


class DecisionDataVersion(SQLModel, table=True):
    """The one row (id 1) whose `version` the triggers increment."""

    __tablename__ = "decision_data_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class DecisionDataChange(SQLModel, table=True):
    """What one decision-data version touched (written by the triggers, migration 0008).

    `person_id` None: something every decision may read (a zone, gate, group, schedule,
    holiday or key): nothing loaded under an older version can be kept. `credential_ref`:
    the ref of a credential row inserted, changed or deleted (a lookup of that ref may be
    cached as "no such credential").
    """

    __tablename__ = "decision_data_change"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    person_id: str | None = Field(default=None, max_length=64)
    credential_ref: str | None = Field(default=None, max_length=64)

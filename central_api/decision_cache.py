"""Decision inputs kept in memory by one process, valid while the decision-data version holds.

A central decision needs the gate's policy, the zone's rules, the credential and the
person's record (grants, schedules, competencies, watchlist): about ten queries. They
change rarely, so each process keeps what it loaded in a `Generation` tagged with the
decision-data version (`central_api.models.versions`) it was loaded under. Every decision
reads that version in the same query as its live state (site threat level, replica version,
last passage), and when the version moved it drops the generation and loads again: a
revocation committed by any worker or any other writer is effective for the very next
decision everywhere. Nothing here caches an answer; `decide()` runs for every request.
"""

import threading
from dataclasses import dataclass, field

from gate_protocol.records import CredentialRecord, GatePolicy, PersonRecord, ZoneRules

__all__ = ["CredentialInputs", "DecisionCache", "GateInputs", "Generation", "PersonInputs"]


@dataclass(frozen=True, slots=True)
class GateInputs:
    """A gate's policy and its zone's rules."""

    site_id: str
    policy: GatePolicy
    zone: ZoneRules


@dataclass(frozen=True, slots=True)
class CredentialInputs:
    """A stored credential (badge or QR pass id) and whose it is."""

    record: CredentialRecord
    person_id: str


@dataclass(frozen=True, slots=True)
class PersonInputs:
    """A person's decision record and site."""

    record: PersonRecord
    site_id: str


@dataclass(slots=True)
class Generation:
    """What one process loaded under one decision-data version (None: version unknown).

    Absent keys are not loaded yet; a stored None means "looked up: does not exist".
    """

    version: int | None
    gates: dict[str, GateInputs | None] = field(default_factory=dict)
    credentials: dict[tuple[str, str], CredentialInputs | None] = field(default_factory=dict)
    people: dict[str, PersonInputs | None] = field(default_factory=dict)

    def size(self) -> int:
        """How many entries the generation holds."""
        return len(self.gates) + len(self.credentials) + len(self.people)


class DecisionCache:
    """The current `Generation` of one app (one per process; tests make one per app)."""

    def __init__(self, *, max_entries: int = 300_000) -> None:
        self._lock = threading.Lock()
        self._current = Generation(version=None)
        self._max_entries = max_entries
        self.reloads = 0

    def current(self) -> Generation:
        """The generation to try first (it may turn out stale: the caller checks)."""
        return self._current

    def generation(self, version: int | None) -> Generation:
        """The generation for `version`: the current one if it matches, else a fresh one."""
        with self._lock:
            current = self._current
            if current.version == version and version is not None:
                if current.size() <= self._max_entries:
                    return current
            fresh = Generation(version=version)
            self._current = fresh
            self.reloads += 1
            return fresh

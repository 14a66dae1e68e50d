"""Decision inputs kept in memory by one process, valid while the decision-data version holds.

A central decision needs the gate's policy, the zone's rules, the credential and the
person's record (grants, schedules, competencies, watchlist): about ten queries. They
change rarely, so each process keeps what it loaded in a `Generation` tagged with the
decision-data version (`central_api.models.versions`) it was loaded under. Every decision
reads that version in the same query as its live state (site threat level, replica version,
last passage), and when the version moved it drops the generation and loads again: a
revocation committed by any worker or any other writer is effective for the very next
decision everywhere. Nothing here caches an answer; `decide()` runs for every request.
The gate-key check (`central_api.security.auth`) keeps its key-hash -> gate lookups in the same
generation (agent keys bump the version too: migration 0007).
"""

import gc
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gate_protocol.records import CredentialRecord, GatePolicy, PersonRecord, ZoneRules

from central_api.models import SiteWindow

__all__ = [
    "ChangeReader",
    "CredentialInputs",
    "DataChanges",
    "DecisionCache",
    "GateInputs",
    "GateKeyInputs",
    "Generation",
    "PersonInputs",
    "Preloader",
]

logger = logging.getLogger(__name__)

# How long after a generation was installed a request may still bring an older version.
_LATE_S = 5.0


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
    """A person's decision record and the sites where they are active, with each window."""

    record: PersonRecord
    sites: Mapping[str, SiteWindow]


@dataclass(frozen=True, slots=True)
class GateKeyInputs:
    """The gate (and its site) of a valid, unrevoked gate API key."""

    gate_id: str
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
    gate_keys: dict[str, GateKeyInputs] = field(default_factory=dict)

    def size(self) -> int:
        """How many entries the generation holds."""
        return len(self.gates) + len(self.credentials) + len(self.people) + len(self.gate_keys)

    def without(self, changes: "DataChanges", *, version: int) -> "Generation":
        """A generation of `version` with every entry but those `changes` touched."""
        people, refs = changes.people, changes.credential_refs
        # The preload thread may still be adding to these dicts: copy each in one call (a
        # C-level copy the GIL keeps whole), then filter the copy. Iterating the live dict
        # failed with "dictionary changed size during iteration" at 100,000 people.
        credentials, known = self.credentials.copy(), self.people.copy()
        return Generation(
            version=version,
            gates=self.gates.copy(),
            credentials={
                key: inputs
                for key, inputs in credentials.items()
                if key[1] not in refs and (inputs is None or inputs.person_id not in people)
            },
            people={key: inputs for key, inputs in known.items() if key not in people},
            gate_keys=self.gate_keys.copy(),
        )


@dataclass(frozen=True, slots=True)
class DataChanges:
    """What some decision-data versions touched: only these people's own rows.

    `credential_refs`: the refs of credentials inserted, changed or deleted (a lookup of
    such a ref may be held as "no such credential", belonging to no one yet).
    """

    people: frozenset[str]
    credential_refs: frozenset[str]


# (after, upto) -> what the versions after `after` up to `upto` touched; None: they may
# have touched anything (a rule, zone, gate or key; or the notes are gone).
ChangeReader = Callable[[int, int], DataChanges | None]
Preloader = Callable[["DecisionCache", Generation], None]


class DecisionCache:
    """The current `Generation` of one app (one per process; tests make one per app).

    With a `preload` function, a new generation is filled in the background (every
    gate, credential and person it lacks, in bulk, a few queries per thousand people) so
    that the first presentation of each person after a change does not pay ten queries;
    requests that come first load what they need themselves. One preload runs at a time and it
    gives up as soon as its generation is no longer current.
    """

    def __init__(
        self,
        *,
        max_entries: int = 300_000,
        preload: Preloader | None = None,
        freeze_gc: bool = False,
    ) -> None:
        """An empty cache; `preload(cache, generation)` fills a fresh generation.

        With `freeze_gc` (a server process: one app, long-lived) a finished preload
        collects garbage once and then freezes every surviving object out of the cyclic
        collector's sight (`gc.freeze`): the hundreds of thousands of objects of a
        generation of 10,000 people made its full passes stall decisions. Not in a process
        that makes many apps (tests): what they leave would never be collected.
        """
        self._freeze_gc = freeze_gc
        self._lock = threading.Lock()
        self._current = Generation(version=None)
        self._max_entries = max_entries
        self._preload = preload
        self._preloading: threading.Thread | None = None
        self._installed_at = time.monotonic()
        self.reloads = 0
        self.carried = 0

    def current(self) -> Generation:
        """The generation to try first (it may turn out stale: the caller checks)."""
        return self._current

    def generation(self, version: int | None, *, changes: ChangeReader | None = None) -> Generation:
        """The generation for `version`: the current one if it matches, else a new one.

        Args:
            version: The decision-data version just read.
            changes: Reads what the versions since the current generation's touched; when
                that is only some people's rows, the new generation keeps every other
                entry (`carried`), else it starts empty (`reloads`).
        """
        with self._lock:
            current = self._current
            if current.version == version and version is not None:
                if current.size() <= self._max_entries:
                    return current
            if self._is_late(current, version):
                # A request that read the version just before a newer one was installed:
                # it gets a generation of its own, the newer one stays.
                return Generation(version=version)
            fresh = self._carried(current, version, changes)
            if fresh is None:
                fresh = Generation(version=version)
                self.reloads += 1
            else:
                self.carried += 1
            self._current = fresh
            self._installed_at = time.monotonic()
            if self._preload is not None and version is not None:
                # A carried generation lacks only the people the changes touched.
                self._start_preload(fresh)
            return fresh

    def _is_late(self, current: Generation, version: int | None) -> bool:
        if version is None or current.version is None or version >= current.version:
            return False
        # Long after the newer one was installed, an older version means the database went
        # back (restored from a backup): follow it rather than serve no one from memory.
        return time.monotonic() - self._installed_at < _LATE_S

    def _carried(
        self, current: Generation, version: int | None, changes: ChangeReader | None
    ) -> Generation | None:
        if changes is None or version is None or current.version is None:
            return None
        if current.size() > self._max_entries:
            return None
        touched = changes(current.version, version)
        return None if touched is None else current.without(touched, version=version)

    def loaded_some(self) -> None:
        """A preload filled one more chunk: a server freezes what is alive out of the GC's sight.

        Freezing only at the end left the cyclic collector's full passes to walk the
        growing generation while it was filled: at 100,000 people about 60 of them, 0.5-1.5 s
        each, in each worker (bench_port_scale). Frozen objects are still freed by their
        reference counts; only cycles among them would outlive their use, and a
        generation's records hold none.
        """
        if self._freeze_gc:
            gc.freeze()

    def is_current(self, generation: Generation) -> bool:
        """Whether `generation` is still the one requests use (a preload stops if not)."""
        return self._current is generation

    def wait_preloaded(self, timeout: float) -> bool:
        """Block until no preload runs (tests and the benchmark)."""
        thread = self._preloading
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _start_preload(self, generation: Generation) -> None:
        # Called with the lock held.
        if self._preloading is not None and self._preloading.is_alive():
            return  # the running one stops soon (its generation is stale) and is not redone
        preload = self._preload
        assert preload is not None  # noqa: S101 (checked by the caller)

        def run() -> None:
            target = generation
            try:
                while True:
                    preload(self, target)
                    latest = self._current
                    if latest is target or latest.version is None:
                        if self._freeze_gc:
                            gc.collect()  # what is garbage now is not frozen with the rest
                            gc.freeze()
                        return
                    target = latest  # the data changed meanwhile: fill the newest one
            except Exception:  # a failed preload only costs speed: requests load themselves
                logger.warning("preloading decision inputs failed", exc_info=True)

        self._preloading = threading.Thread(target=run, name="portgate-decision-preload")
        self._preloading.daemon = True
        self._preloading.start()

"""The part of a replica delta that every gate of a site shares, built once per process.

A port ban (or any change of a person) bumps a site's version once, and all of that site's
gates then ask for the delta from the same version at the same moment. What the delta says
about the changed people (their records at the site, credentials, templates, appointments,
the watchlist after a watchlist change) is the same for each of them; only what is the
gate's own (policy, zone, command keys, which of those people its zone or appointments
allow) differs. `SiteDeltaCache` keeps that shared part by (site, from-version, version)
and builds it once when twenty gates ask together (the others wait for the first build),
so a ban costs the API one build per site and process instead of one per gate.

An entry is immutable: every change a gate must learn bumps the version, so a new change
is a new key. Entries live `ttl_s` only, because two parts depend on the clock (the
appointments' grace period and the watchlist entries in force).
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gate_protocol.records import AppointmentRecord, CredentialRecord, PersonRecord
from gate_protocol.replica import FaceTemplateRecord, WatchlistRecord

__all__ = ["SiteDelta", "SiteDeltaCache", "SiteDeltaKey"]

SiteDeltaKey = tuple[str, int, int]  # site id, from-version, version


@dataclass(frozen=True, slots=True)
class SiteDelta:
    """What a delta after `from_version` holds for every gate of one site alike.

    Attributes:
        people: Everyone changed after `from_version` (upserted or deleted per gate).
        persons: The records, as the site sees them, of those active at the site.
        credentials: Their credentials, by person id.
        templates: Their usable face templates, by person id.
        appointments: Their current appointments at the site (each gate keeps its own).
        removed_templates: Template ids deleted after `from_version`, by person id.
        watchlist: The whole port-wide gallery after a watchlist change, else None.
        zone_people: Of those active at the site, who an access group there grants each zone.
    """

    people: frozenset[str]
    persons: Mapping[str, PersonRecord]
    credentials: Mapping[str, tuple[CredentialRecord, ...]]
    templates: Mapping[str, tuple[FaceTemplateRecord, ...]]
    appointments: tuple[AppointmentRecord, ...]
    removed_templates: Mapping[str, frozenset[str]]
    watchlist: tuple[WatchlistRecord, ...] | None
    zone_people: Mapping[str, frozenset[str]]

    def allowed_at(self, *, gate_id: str, zone_id: str) -> set[str]:
        """Those of the changed people a gate keeps: its zone granted, or an appointment there.

        The same rule as the builder's `allowed_person_ids`, asked of the shared part.
        """
        booked = {a.person_id for a in self.appointments if gate_id in a.gates}
        return (set(self.zone_people.get(zone_id, ())) | booked) & set(self.persons)


class SiteDeltaCache:
    """Shared delta parts by key, built once however many gates ask at the same time.

    Args:
        ttl_s: How long an entry is served (the clock-bound parts stay this fresh).
        size: How many entries are kept (the oldest go first).
        clock: Monotonic seconds (tests pass their own).
    """

    def __init__(
        self, *, ttl_s: float = 5.0, size: int = 256, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._size = size
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[SiteDeltaKey, tuple[float, SiteDelta]] = OrderedDict()
        self._flights: dict[SiteDeltaKey, threading.Lock] = {}
        self.builds = 0  # how many times `build` ran (the benchmark and tests read it)

    def get(self, key: SiteDeltaKey, build: Callable[[], SiteDelta]) -> SiteDelta:
        """The entry for `key`, built by `build()` when missing or expired.

        Callers asking for a key that is being built wait for that build rather than
        repeating it; a build that raises leaves no entry (the next caller builds).
        """
        with self._lock:
            found = self._fresh(key)
            if found is not None:
                return found
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                found = self._fresh(key)
                if found is not None:
                    return found
            try:
                value = build()
            except BaseException:
                with self._lock:
                    self._flights.pop(key, None)
                raise
            with self._lock:
                self._flights.pop(key, None)
                self.builds += 1
                self._entries[key] = (self._clock(), value)
                self._entries.move_to_end(key)
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)
            return value

    def _fresh(self, key: SiteDeltaKey) -> SiteDelta | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        built_at, value = entry
        if self._clock() - built_at > self._ttl_s:
            del self._entries[key]
            return None
        return value

"""A site's replica records kept serialized, so a gate's full replica is assembled, not built.

Building a snapshot per request loads every kept person's rows, decrypts their templates
and serializes the records: 46 s for the 100,000 people of a port's main terminal
(docs/performance.md). The records of a person are the same for every gate of a site that
keeps them, so `SnapshotCache` keeps, per site, each person's record, credentials and
templates as the JSON the snapshot holds, with the zones that an access group of the site
grants them, as of the site's replica version. A gate's snapshot is then those fragments
of the people its zone keeps, written between the fields that are the gate's own (policy,
keys, appointments, the clock-bound watchlist), which are built per request as before.

The fragments follow the replica's change feed: when the site's version has moved on, the
`ReplicaChange` rows after the kept version name the people changed, and only they are
loaded again (with the same loaders as the delta). A change of the whole site (gate
policy, zones, groups: no person named) rebuilds the site's fragments. The answer is the
one `build_replica` gives, byte for byte but for `generated_at`
(tests/central_api/replica/test_replica_snapshot_cache.py).

`warm` builds a site's parts and joins its gates' zones ahead of any request (the API
warms its largest sites at start: `central_api.replica.warmup`); a request that comes
while a site is being built waits for that build under the site's lock, so it never sees
a half-built site.
"""

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from gate_protocol.replica import MAX_RECORDS, ReplicaSnapshot
from sqlmodel import Session, col, select

from central_api.models import (
    AccessGroup,
    AccessGroupZone,
    Gate,
    PersonAccessGroup,
    ReplicaChange,
    Site,
)
from central_api.replica.builder import (
    gate_appointments,
    gate_common,
    gate_site_zone,
    load_credentials,
    template_records,
)
from central_api.replica.id_lists import many_ids
from central_api.replica.records import (
    appointment_record,
    at_site,
    credential_record,
    load_person_records,
    load_site_windows,
)
from central_api.replica.watchlist import watchlist_entries

__all__ = ["PersonPart", "SnapshotCache"]


@dataclass(frozen=True, slots=True)
class PersonPart:
    """One person's part of a site's snapshots: JSON fragments and the zones granted."""

    zones: frozenset[str]
    person: bytes
    credentials: tuple[bytes, ...]
    templates: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class _SiteParts:
    """One site's parts as of `version`; replaced whole by a patch, never changed in place."""

    site_id: str
    version: int
    people: dict[str, PersonPart]
    # Each zone's people and their joined fragments, made on first use (100,000 people).
    zones: dict[str, "_ZoneView"] = field(default_factory=dict)

    def zone_view(self, zone_id: str) -> "_ZoneView":
        """The people an access group of the site grants `zone_id`, sorted, and their lists."""
        view = self.zones.get(zone_id)
        if view is None:
            order = tuple(sorted(p for p, part in self.people.items() if zone_id in part.zones))
            view = _ZoneView(order, frozenset(order), _joined(self.people, order))
            self.zones[zone_id] = view
        return view


@dataclass(frozen=True, slots=True)
class _ZoneView:
    order: tuple[str, ...]
    members: frozenset[str]
    lists: dict[str, bytes]  # persons, credentials, templates: the fragments joined


def _joined(parts: Mapping[str, PersonPart], order: Sequence[str]) -> dict[str, bytes]:
    """The snapshot's three lists of these people, each joined (their records in order)."""
    lists = {
        "persons": [parts[p].person for p in order],
        "credentials": [c for p in order for c in parts[p].credentials],
        "templates": [t for p in order for t in parts[p].templates],
    }
    if any(len(items) > MAX_RECORDS for items in lists.values()):
        raise ValueError(f"a replica holds at most {MAX_RECORDS} records of a kind")
    return {name: b",".join(items) for name, items in lists.items()}


class SnapshotCache:
    """Per site, the serialized records its gates' snapshots are assembled from.

    Args:
        sites: How many sites' fragments are kept (the least recently asked go first).
    """

    def __init__(self, *, sites: int = 4) -> None:
        self._sites = sites
        self.capacity = sites
        self._lock = threading.Lock()
        self._parts: OrderedDict[str, _SiteParts] = OrderedDict()
        self._site_locks: dict[str, threading.Lock] = {}
        self.builds = 0  # whole sites built (tests and the benchmark read them)
        self.patched = 0  # people loaded again from the change feed

    def snapshot_body(
        self, *, session: Session, gate_id: str, template_key: bytes, pass_keys: dict[str, str]
    ) -> bytes:
        """The gate's snapshot as JSON, the same as `build_replica(since=None)` serializes."""
        gate, site, zone = gate_site_zone(session=session, gate_id=gate_id)
        # The version is read before any record: records newer than it are loaded again
        # by the next patch, never older ones kept.
        common = gate_common(
            session=session, gate=gate, site=site, zone=zone, key=template_key, pass_keys=pass_keys
        )
        held = self._site_parts(
            session=session, site_id=site.id, version=site.replica_version, key=template_key
        )
        view = held.zone_view(gate.zone_id)
        booked_rows = gate_appointments(session=session, gate=gate)
        booked = {a.person_id for a in booked_rows} - view.members
        lists, kept = view.lists, view.members
        if booked:  # people an appointment names at this gate, active at the site
            fresh = _parts(session=session, site_id=site.id, person_ids=booked, key=template_key)
            parts = {**held.people, **fresh}
            order = sorted({*view.order, *(p for p in booked if p in parts)})
            lists, kept = _joined(parts, order), frozenset(order)
        appointments = tuple(appointment_record(a) for a in booked_rows if a.person_id in kept)
        shell = ReplicaSnapshot(
            **common,
            appointments=appointments,
            watchlist=tuple(watchlist_entries(session, common["generated_at"], template_key)),
        )
        return _fill(shell.model_dump_json().encode(), lists)

    def warm(self, *, session: Session, site_id: str, key: bytes) -> None:
        """Build (or patch) the site's parts now, and join the zones of its gates.

        What the first full replica of each of the site's gates would otherwise do.
        """
        site = session.get(Site, site_id)
        if site is None:
            return
        held = self._site_parts(
            session=session, site_id=site_id, version=site.replica_version, key=key
        )
        zones = session.exec(select(Gate.zone_id).where(Gate.site_id == site_id).distinct()).all()
        for zone_id in sorted(zones):
            held.zone_view(zone_id)

    def _site_parts(
        self, *, session: Session, site_id: str, version: int, key: bytes
    ) -> _SiteParts:
        """The site's parts as of `version` at least: kept, patched or built."""
        with self._lock:
            site_lock = self._site_locks.setdefault(site_id, threading.Lock())
        with site_lock:
            with self._lock:
                held = self._parts.get(site_id)
            patched = (
                None if held is None or held.version > version else self._patch(session, held, key)
            )
            if patched is None:
                people = _site_people(session, site_id, key)
                patched = _SiteParts(site_id=site_id, version=version, people=people)
                self.builds += 1
            with self._lock:
                self._parts[site_id] = patched
                self._parts.move_to_end(site_id)
                while len(self._parts) > self._sites:
                    self._parts.popitem(last=False)
            return patched

    def _patch(self, session: Session, held: _SiteParts, key: bytes) -> _SiteParts | None:
        """The parts with the people changed after the kept version loaded again.

        None: a change of the whole site (gate policy, zones, groups) came; rebuild.
        """
        changes = session.exec(
            select(ReplicaChange.version, ReplicaChange.person_id).where(
                ReplicaChange.site_id == held.site_id, col(ReplicaChange.version) > held.version
            )
        ).all()
        if not changes:
            return held
        if any(person_id is None for _, person_id in changes):
            return None
        changed = {person_id for _, person_id in changes if person_id is not None}
        fresh = _parts(session=session, site_id=held.site_id, person_ids=changed, key=key)
        # A copy: requests assembling from the old parts meanwhile keep reading them whole.
        people = {p: part for p, part in held.people.items() if p not in changed}
        people.update({p: part for p, part in fresh.items() if part.zones})
        self.patched += len(changed)
        version = max(version for version, _ in changes)
        return _SiteParts(site_id=held.site_id, version=version, people=people)


def _fill(shell: bytes, lists: dict[str, bytes]) -> bytes:
    """The shell's empty lists filled with these joined fragments, in one join (100 MB)."""
    # In the shell's JSON a key is spelled unescaped only as a key: quotes inside strings
    # are escaped, so '"persons":[]' cannot be part of a value.
    empties = {name: b'"%s":[]' % name.encode() for name in lists}
    pieces, rest = [], shell
    for name in sorted(lists, key=lambda name: shell.index(empties[name])):
        head, rest = rest.split(empties[name], 1)
        pieces += [head, b'"%s":[' % name.encode(), lists[name], b"]"]
    return b"".join([*pieces, rest])


def _site_people(session: Session, site_id: str, key: bytes) -> dict[str, PersonPart]:
    """Every person an access group of the site grants a zone, active there: their parts."""
    granted = session.exec(
        select(PersonAccessGroup.person_id)
        .join(AccessGroup, col(AccessGroup.id) == col(PersonAccessGroup.group_id))
        .join(AccessGroupZone, col(AccessGroupZone.group_id) == col(AccessGroup.id))
        .where(AccessGroup.site_id == site_id)
        .distinct()
    ).all()
    parts = _parts(session=session, site_id=site_id, person_ids=set(granted), key=key)
    return {p: part for p, part in parts.items() if part.zones}


def _parts(
    *, session: Session, site_id: str, person_ids: Collection[str], key: bytes
) -> dict[str, PersonPart]:
    """The parts of those of these people active at the site (the builder's loaders)."""
    windows = load_site_windows(session=session, person_ids=person_ids, site_id=site_id)
    active = set(windows)
    if not active:
        return {}
    records = load_person_records(session=session, person_ids=active)
    credentials: dict[str, list[bytes]] = defaultdict(list)
    for row in load_credentials(session=session, person_ids=records):
        credentials[row.person_id].append(credential_record(row).model_dump_json().encode())
    templates: dict[str, list[bytes]] = defaultdict(list)
    for template in template_records(session=session, person_ids=records, key=key):
        templates[template.person_id].append(template.model_dump_json().encode())
    zones: dict[str, set[str]] = defaultdict(set)
    for zone_id, person_id in session.exec(
        select(AccessGroupZone.zone_id, PersonAccessGroup.person_id)
        .join(AccessGroup, col(AccessGroup.id) == col(PersonAccessGroup.group_id))
        .join(AccessGroupZone, col(AccessGroupZone.group_id) == col(AccessGroup.id))
        .where(
            AccessGroup.site_id == site_id,
            col(PersonAccessGroup.person_id).in_(many_ids(records)),
        )
    ).all():
        zones[person_id].add(zone_id)
    return {
        person_id: PersonPart(
            zones=frozenset(zones.get(person_id, ())),
            person=at_site(record, windows[person_id][site_id]).model_dump_json().encode(),
            credentials=tuple(credentials.get(person_id, ())),
            templates=tuple(templates.get(person_id, ())),
        )
        for person_id, record in records.items()
    }

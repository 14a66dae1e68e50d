"""Build a gate's replica (gate_protocol.replica): only the people allowed at that gate.

A person is allowed at a gate when they are active at the gate's site (an active
`SiteActivation`, whose window narrows their validity there) and one of their access groups
covers the gate's zone, or one of their current appointments names the gate. Deltas list the
people changed after `since` (from the replica change log): upserted if still allowed,
deleted otherwise (and `apply_delta` then drops their credentials, appointments and
templates too). A face template deleted from a person who stays allowed is named in
`deleted_template_ids`: the change log row of that deletion carries the template ids
(`REMOVED_TEMPLATES_KEY`).
"""

import base64
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any

from gate_protocol.records import CredentialRecord
from gate_protocol.replica import (
    FaceTemplateRecord,
    PassKeyRecord,
    ReplicaDelta,
    ReplicaSnapshot,
)
from sqlmodel import Session, col, select

from central_api.db import utc_now
from central_api.errors import NotFoundError
from central_api.models import (
    AccessGroup,
    AccessGroupZone,
    ActivationStatus,
    Appointment,
    Credential,
    FaceTemplate,
    Gate,
    PersonAccessGroup,
    ReplicaChange,
    Site,
    SiteActivation,
    SiteWindow,
    Zone,
)
from central_api.replica.id_lists import many_ids
from central_api.replica.records import (
    appointment_record,
    at_site,
    credential_record,
    gate_policy,
    load_person_records,
    load_site_windows,
    zone_rules,
)
from central_api.replica.site_delta import SiteDelta, SiteDeltaCache
from central_api.replica.watchlist import watchlist_changed, watchlist_entries
from central_api.security.command_keys import replica_command_keys
from central_api.security.stored_templates import usable_template

__all__ = [
    "REMOVED_TEMPLATES_KEY",
    "allowed_person_ids",
    "build_replica",
    "gate_appointments",
    "gate_common",
    "gate_site_zone",
    "load_credentials",
    "template_records",
]

REMOVED_TEMPLATES_KEY = "template_ids"

_APPOINTMENT_GRACE = timedelta(hours=1)


def allowed_person_ids(*, session: Session, gate: Gate) -> set[str]:
    """Everyone active at the gate's site who may pass `gate` (zone grants, or appointments)."""
    granted = session.exec(
        select(PersonAccessGroup.person_id)
        .join(AccessGroup, col(AccessGroup.id) == col(PersonAccessGroup.group_id))
        .join(AccessGroupZone, col(AccessGroupZone.group_id) == col(AccessGroup.id))
        .where(AccessGroupZone.zone_id == gate.zone_id, AccessGroup.site_id == gate.site_id)
    ).all()
    candidates = set(granted) | {a.person_id for a in gate_appointments(session=session, gate=gate)}
    active = load_site_windows(session=session, person_ids=candidates, site_id=gate.site_id)
    return candidates & set(active)


def gate_appointments(
    *, session: Session, gate: Gate, person_ids: Collection[str] | None = None
) -> list[Appointment]:
    """The site's current appointments that name `gate` (of these people, if given)."""
    return [
        a
        for a in _site_appointments(session=session, site_id=gate.site_id, person_ids=person_ids)
        if gate.id in a.gates
    ]


def _site_appointments(
    *, session: Session, site_id: str, person_ids: Collection[str] | None
) -> list[Appointment]:
    """The site's appointments not yet past their grace (of these people, if given)."""
    statement = (
        select(Appointment)
        .where(
            Appointment.site_id == site_id,
            col(Appointment.window_end) >= utc_now() - _APPOINTMENT_GRACE,
        )
        .order_by(col(Appointment.id))
    )
    if person_ids is not None:
        statement = statement.where(col(Appointment.person_id).in_(many_ids(person_ids)))
    return list(session.exec(statement).all())


def template_records(
    *, session: Session, person_ids: Collection[str], key: bytes
) -> list[FaceTemplateRecord]:
    """These people's usable face templates as replica records, by person and id."""
    if not person_ids:
        return []
    rows = session.exec(
        select(FaceTemplate).where(col(FaceTemplate.person_id).in_(many_ids(person_ids)))
    ).all()
    # By person and id, sorted here: the database's collation may order ids otherwise.
    rows = sorted(rows, key=lambda row: (row.person_id, row.id or 0))
    # A broken stored template would match nobody at the gate: it is not sent.
    usable = ((row, usable_template(key=key, row=row)) for row in rows)
    return [
        FaceTemplateRecord(
            template_id=str(row.id),
            person_id=row.person_id,
            encoding_b64=base64.b64encode(raw).decode(),
        )
        for row, raw in usable
        if raw is not None
    ]


def build_replica(
    *,
    session: Session,
    gate_id: str,
    since: int | None,
    template_key: bytes,
    pass_keys: dict[str, str],
    cache: SiteDeltaCache | None = None,
) -> ReplicaSnapshot | ReplicaDelta:
    """The snapshot (no `since`, or `since` not usable) or the delta after `since`.

    With a `cache`, the part of a delta that every gate of the site shares is built once
    (`central_api.replica.site_delta`); the gate's own part is added per request.
    """
    gate, site, zone = gate_site_zone(session=session, gate_id=gate_id)
    version = site.replica_version
    common = gate_common(
        session=session, gate=gate, site=site, zone=zone, key=template_key, pass_keys=pass_keys
    )
    if since is None or since > version:
        allowed = allowed_person_ids(session=session, gate=gate)
        _, records = _gate_records(
            session=session, gate=gate, person_ids=allowed, template_key=template_key
        )
        watchlist = watchlist_entries(session, utc_now(), template_key)
        return ReplicaSnapshot(**common, **records, watchlist=tuple(watchlist))

    def build() -> SiteDelta:
        return _site_delta(session=session, site_id=site.id, since=since, key=template_key)

    shared = build() if cache is None else cache.get((site.id, since, version), build)
    return _gate_delta(gate=gate, shared=shared, since=since, common=common)


def gate_site_zone(*, session: Session, gate_id: str) -> tuple[Gate, Site, Zone]:
    """The gate, its site and its zone, in one query (a delta's round trips are its cost).

    Raises:
        NotFoundError: No such gate.
    """
    row = session.exec(
        select(Gate, Site, Zone)
        .join(Site, col(Site.id) == col(Gate.site_id))
        .join(Zone, col(Zone.id) == col(Gate.zone_id))
        .where(Gate.id == gate_id)
    ).first()
    if row is None:
        raise NotFoundError(f"gate {gate_id!r} not found")
    gate, site, zone = row
    return gate, site, zone


def gate_common(
    *, session: Session, gate: Gate, site: Site, zone: Zone, key: bytes, pass_keys: dict[str, str]
) -> dict[str, Any]:
    """The fields every answer to this gate carries, snapshot or delta (its own keys too)."""
    keys = tuple(PassKeyRecord(key_id=k, public_key_b64=v) for k, v in sorted(pass_keys.items()))
    command_key, public_keys = replica_command_keys(
        session=session, gate_id=gate.id, seal_key=key, actor="system"
    )
    return {
        "site_id": site.id,
        "gate_id": gate.id,
        "generated_at": utc_now(),
        "gate": gate_policy(gate),
        "zone": zone_rules(zone),
        "threat_level": site.threat_level,
        "version": site.replica_version,
        "pass_keys": keys,
        # The gate's own signing key only: its agent signs the OpenCommands it publishes.
        "command_key": command_key,
        # Read with the key above (made on first use): what the gate's bridge must accept.
        "command_public_keys": tuple(
            PassKeyRecord(key_id=k, public_key_b64=v) for k, v in public_keys.items()
        ),
    }


def _gate_delta(
    *, gate: Gate, shared: SiteDelta, since: int, common: dict[str, Any]
) -> ReplicaDelta:
    """The gate's delta: of the site's shared part, the people this gate allows."""
    allowed = shared.allowed_at(gate_id=gate.id, zone_id=gate.zone_id)
    kept = sorted(allowed)
    templates = tuple(t for p in kept for t in shared.templates.get(p, ()))
    # Only ids of people this gate keeps: the others go whole via deleted_person_ids.
    removed = {t for p in kept for t in shared.removed_templates.get(p, ())}
    return ReplicaDelta(
        **common,
        persons=tuple(shared.persons[p] for p in kept),
        credentials=tuple(c for p in kept for c in shared.credentials.get(p, ())),
        appointments=tuple(
            a for a in shared.appointments if a.person_id in allowed and gate.id in a.gates
        ),
        templates=templates,
        from_version=since,
        deleted_person_ids=tuple(sorted(shared.people - set(kept))),
        deleted_template_ids=tuple(sorted(removed - {t.template_id for t in templates})),
        # Port-wide and rarely changed: whole after a watchlist change, else not at all.
        watchlist=shared.watchlist,
    )


def _site_delta(*, session: Session, site_id: str, since: int, key: bytes) -> SiteDelta:
    """What the delta after `since` holds for every gate of the site alike."""
    changes = session.exec(
        select(ReplicaChange).where(
            ReplicaChange.site_id == site_id, col(ReplicaChange.version) > since
        )
    ).all()
    people = {c.person_id for c in changes if c.person_id is not None}
    windows, granted = _windows_and_zones(session=session, site_id=site_id, person_ids=people)
    persons = {
        person_id: at_site(record, windows[person_id])
        for person_id, record in load_person_records(
            session=session, person_ids=set(windows)
        ).items()
    }
    credentials: dict[str, list[CredentialRecord]] = defaultdict(list)
    for row in load_credentials(session=session, person_ids=persons):
        credentials[row.person_id].append(credential_record(row))
    templates: dict[str, list[FaceTemplateRecord]] = defaultdict(list)
    for template in template_records(session=session, person_ids=persons, key=key):
        templates[template.person_id].append(template)
    appointments = _site_appointments(session=session, site_id=site_id, person_ids=persons)
    zone_people: dict[str, set[str]] = defaultdict(set)
    for person_id, zone_id in granted:
        if person_id in persons:
            zone_people[zone_id].add(person_id)
    return SiteDelta(
        people=frozenset(people),
        persons=persons,
        credentials={p: tuple(c) for p, c in credentials.items()},
        templates={p: tuple(t) for p, t in templates.items()},
        appointments=tuple(appointment_record(a) for a in appointments),
        removed_templates=_removed_template_ids(changes=changes),
        watchlist=tuple(watchlist_entries(session, utc_now(), key))
        if watchlist_changed(changes)
        else None,
        zone_people={zone_id: frozenset(p) for zone_id, p in zone_people.items()},
    )


def _windows_and_zones(
    *, session: Session, site_id: str, person_ids: Collection[str]
) -> tuple[dict[str, SiteWindow], set[tuple[str, str]]]:
    """Of these people, the active ones' windows at the site and the site's zones granted them.

    One statement (an activation joined to the site's access groups): each statement of a
    delta is a round trip that waits for a core on a loaded machine.
    """
    if not person_ids:
        return {}, set()
    site_group = (col(AccessGroup.id) == col(PersonAccessGroup.group_id)) & (
        col(AccessGroup.site_id) == site_id
    )
    rows = session.exec(
        select(
            SiteActivation.person_id,
            SiteActivation.valid_from,
            SiteActivation.valid_until,
            AccessGroupZone.zone_id,
        )
        .select_from(SiteActivation)
        .outerjoin(
            PersonAccessGroup, col(PersonAccessGroup.person_id) == col(SiteActivation.person_id)
        )
        .outerjoin(AccessGroup, site_group)
        .outerjoin(AccessGroupZone, col(AccessGroupZone.group_id) == col(AccessGroup.id))
        .where(
            col(SiteActivation.person_id).in_(many_ids(person_ids)),
            SiteActivation.site_id == site_id,
            SiteActivation.status == ActivationStatus.ACTIVE,
        )
    ).all()
    windows = {person_id: (start, end) for person_id, start, end, _ in rows}
    granted = {(person_id, zone) for person_id, _, _, zone in rows if zone is not None}
    return windows, granted


def _gate_records(
    *, session: Session, gate: Gate, person_ids: set[str], template_key: bytes
) -> tuple[set[str], dict[str, Any]]:
    """The people the gate keeps (active at its site) and their records, by replica field."""
    windows = load_site_windows(session=session, person_ids=person_ids, site_id=gate.site_id)
    persons = {
        person_id: at_site(record, windows[person_id][gate.site_id])
        for person_id, record in load_person_records(session=session, person_ids=person_ids).items()
    }
    kept = set(persons)
    credentials = load_credentials(session=session, person_ids=kept)
    templates = tuple(template_records(session=session, person_ids=kept, key=template_key))
    records = {
        "persons": tuple(persons[p] for p in sorted(kept)),
        "credentials": tuple(credential_record(c) for c in credentials),
        "appointments": tuple(
            appointment_record(a)
            for a in gate_appointments(session=session, gate=gate, person_ids=kept)
        ),
        "templates": templates,
    }
    return kept, records


def load_credentials(*, session: Session, person_ids: Collection[str]) -> list[Credential]:
    """These people's credential rows, by person and id (the replica's order)."""
    if not person_ids:
        return []
    statement = select(Credential).where(col(Credential.person_id).in_(many_ids(person_ids)))
    # Sorted here, not by the database, whose collation may order the ids otherwise.
    return sorted(session.exec(statement).all(), key=lambda row: (row.person_id, row.id or 0))


def _removed_template_ids(*, changes: Sequence[ReplicaChange]) -> dict[str, frozenset[str]]:
    """The template ids these changes deleted, by person (`REMOVED_TEMPLATES_KEY`)."""
    removed: dict[str, set[str]] = defaultdict(set)
    for change in changes:
        ids = (change.detail or {}).get(REMOVED_TEMPLATES_KEY)
        if change.person_id is not None and isinstance(ids, list):
            removed[change.person_id].update(str(i) for i in ids if isinstance(i, int | str))
    return {person_id: frozenset(ids) for person_id, ids in removed.items()}

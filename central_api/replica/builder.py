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
from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any

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
    Appointment,
    Credential,
    FaceTemplate,
    Gate,
    PersonAccessGroup,
    ReplicaChange,
    Site,
    Zone,
)
from central_api.replica.records import (
    appointment_record,
    at_site,
    credential_record,
    gate_policy,
    load_person_records,
    load_site_windows,
    zone_rules,
)
from central_api.replica.watchlist import watchlist_changed, watchlist_entries
from central_api.security.command_keys import public_command_keys, replica_command_key
from central_api.security.stored_templates import usable_template

__all__ = ["REMOVED_TEMPLATES_KEY", "allowed_person_ids", "build_replica"]

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
    candidates = set(granted) | {a.person_id for a in _appointments(session=session, gate=gate)}
    active = load_site_windows(session=session, person_ids=candidates, site_id=gate.site_id)
    return candidates & set(active)


def _appointments(
    *, session: Session, gate: Gate, person_ids: Collection[str] | None = None
) -> list[Appointment]:
    statement = select(Appointment).where(
        Appointment.site_id == gate.site_id,
        col(Appointment.window_end) >= utc_now() - _APPOINTMENT_GRACE,
    )
    if person_ids is not None:
        statement = statement.where(col(Appointment.person_id).in_(person_ids))
    return [a for a in session.exec(statement).all() if gate.id in a.gates]


def _templates(
    *, session: Session, person_ids: Collection[str], key: bytes
) -> list[FaceTemplateRecord]:
    if not person_ids:
        return []
    rows = session.exec(
        select(FaceTemplate).where(col(FaceTemplate.person_id).in_(list(person_ids)))
    ).all()
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
) -> ReplicaSnapshot | ReplicaDelta:
    """The snapshot (no `since`, or `since` not usable) or the delta after `since`."""
    gate = session.get(Gate, gate_id)
    if gate is None:
        raise NotFoundError(f"gate {gate_id!r} not found")
    site = session.get(Site, gate.site_id)
    zone = session.get(Zone, gate.zone_id)
    assert site is not None and zone is not None  # noqa: S101 (foreign keys)
    version = site.replica_version
    allowed = allowed_person_ids(session=session, gate=gate)
    keys = tuple(PassKeyRecord(key_id=k, public_key_b64=v) for k, v in sorted(pass_keys.items()))
    common = {
        "site_id": site.id,
        "gate_id": gate.id,
        "generated_at": utc_now(),
        "gate": gate_policy(gate),
        "zone": zone_rules(zone),
        "threat_level": site.threat_level,
        "version": version,
        "pass_keys": keys,
        # The gate's own signing key only: its agent signs the OpenCommands it publishes.
        "command_key": replica_command_key(
            session=session, gate_id=gate.id, seal_key=template_key, actor="system"
        ),
        # After the key above (made on first use): what the gate's bridge must accept.
        "command_public_keys": tuple(
            PassKeyRecord(key_id=k, public_key_b64=v)
            for k, v in public_command_keys(session=session, gate_id=gate.id).items()
        ),
    }
    changes: Sequence[ReplicaChange] = ()
    if since is None or since > version:
        people = allowed
    else:
        changes = session.exec(
            select(ReplicaChange).where(
                ReplicaChange.site_id == site.id, col(ReplicaChange.version) > since
            )
        ).all()
        people = {c.person_id for c in changes if c.person_id is not None}
    kept, records = _gate_records(
        session=session, gate=gate, person_ids=people & allowed, template_key=template_key
    )
    if since is None or since > version:
        watchlist = watchlist_entries(session, utc_now(), template_key)
        return ReplicaSnapshot(**common, **records, watchlist=tuple(watchlist))
    # Only ids of people this gate keeps: the others go whole via deleted_person_ids.
    removed = _removed_template_ids(changes=changes, person_ids=kept)
    return ReplicaDelta(
        **common,
        **records,
        from_version=since,
        deleted_person_ids=tuple(sorted(people - kept)),
        deleted_template_ids=tuple(sorted(removed - {t.template_id for t in records["templates"]})),
        # Port-wide and rarely changed: whole after a watchlist change, else not at all.
        watchlist=tuple(watchlist_entries(session, utc_now(), template_key))
        if watchlist_changed(changes)
        else None,
    )


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
    credentials = (
        session.exec(select(Credential).where(col(Credential.person_id).in_(list(kept)))).all()
        if kept
        else []
    )
    templates = tuple(_templates(session=session, person_ids=kept, key=template_key))
    records = {
        "persons": tuple(persons[p] for p in sorted(kept)),
        "credentials": tuple(credential_record(c) for c in credentials),
        "appointments": tuple(
            appointment_record(a)
            for a in _appointments(session=session, gate=gate, person_ids=kept)
        ),
        "templates": templates,
    }
    return kept, records


def _removed_template_ids(
    *, changes: Sequence[ReplicaChange], person_ids: Collection[str]
) -> set[str]:
    removed: set[str] = set()
    for change in changes:
        if change.person_id not in person_ids:
            continue
        ids = (change.detail or {}).get(REMOVED_TEMPLATES_KEY)
        if isinstance(ids, list):
            removed.update(str(i) for i in ids if isinstance(i, int | str))
    return removed

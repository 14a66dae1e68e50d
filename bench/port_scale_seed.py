"""The port of bench_port_scale in bulk: sites, zones, gates, people with badges and templates.

Imported by bench/bench_port_scale.py. Site ``s00`` is the port's main terminal: everyone
is active there and one access group lets everyone through the gates of its zone ``s00-z0``
(so each of those gates keeps a replica of every identity); each person also belongs to one
home site (``P % sites``) and one of its zones. The big tables are written with PostgreSQL's
COPY (psycopg), not row by row: 100,000 people with their templates in well under a minute.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from central_api.audit.chain import ensure_audit_head
from central_api.models import (
    AccessGroup,
    AccessGroupZone,
    AgentKey,
    Credential,
    FaceTemplate,
    Gate,
    Person,
    PersonAccessGroup,
    Site,
    SiteActivation,
    Zone,
)
from central_api.security.gate_keys import hash_key
from central_api.security.vault import encrypt_template

__all__ = ["PortSeed", "seed_port"]

ZONES_PER_SITE = 10
MAIN_SITE, MAIN_ZONE = "s00", "s00-z0"


@dataclass
class PortSeed:
    """What the bench needs of the seeded port."""

    gate_keys: dict[str, str] = field(default_factory=dict, repr=False)
    gate_sites: dict[str, str] = field(default_factory=dict)
    # (badge, gate) a person may pass: at their home site, in their zone.
    usable: list[tuple[str, str]] = field(default_factory=list)
    main_gate: str = ""
    main_person: str = ""  # a person of the main site (a change bumps the main gates' replica)


def _gates(sites: int, gates: int, seed: PortSeed) -> tuple[list[Gate], list[AgentKey]]:
    rows, keys = [], []
    for n in range(gates):
        site = n % sites
        zone = n // sites % ZONES_PER_SITE
        gate = f"g{n:04d}"
        key = f"bench-key-{n:04d}-" + "x" * 32
        seed.gate_keys[gate] = key
        seed.gate_sites[gate] = f"s{site:02d}"
        rows.append(Gate(id=gate, site_id=f"s{site:02d}", zone_id=f"s{site:02d}-z{zone}", lanes=2))
        keys.append(AgentKey(gate_id=gate, key_hash=hash_key(key)))
    seed.main_gate = next(g.id for g in rows if g.zone_id == MAIN_ZONE)
    return rows, keys


def _structure(engine: Engine, sites: int, gates: int, seed: PortSeed) -> None:
    """Sites, zones, gates and their keys, one access group per zone plus the main one."""
    with Session(engine) as session:
        session.add_all(Site(id=f"s{s:02d}", name=f"site {s}") for s in range(sites))
        session.flush()
        zones = [(s, z) for s in range(sites) for z in range(ZONES_PER_SITE)]
        session.add_all(
            Zone(id=f"s{s:02d}-z{z}", site_id=f"s{s:02d}", name=f"z{z}") for s, z in zones
        )
        session.flush()
        gate_rows, key_rows = _gates(sites, gates, seed)
        session.add_all(gate_rows)
        session.flush()
        session.add_all(key_rows)
        for n, (s, z) in enumerate(zones):
            session.add(AccessGroup(id=n + 1, name=f"s{s:02d} z{z}", site_id=f"s{s:02d}"))
        main = len(zones) + 1
        session.add(AccessGroup(id=main, name="main terminal", site_id=MAIN_SITE))
        session.flush()
        for n, (s, z) in enumerate(zones):
            session.add(AccessGroupZone(group_id=n + 1, zone_id=f"s{s:02d}-z{z}"))
        session.add(AccessGroupZone(group_id=main, zone_id=MAIN_ZONE))
        session.commit()


def _copy(
    engine: Engine, model: type[SQLModel], columns: Sequence[str], rows: Iterable[Any]
) -> None:
    """COPY rows into the model's table (one statement, streamed)."""
    table = model.__table__.name  # type: ignore[attr-defined]
    raw = engine.raw_connection()
    try:
        with (
            raw.cursor() as cursor,
            cursor.copy(  # type: ignore[attr-defined]
                f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def seed_port(
    engine: Engine, *, people: int, sites: int, gates: int, template_key: bytes
) -> PortSeed:
    """Bulk-seed a migrated, empty PostgreSQL database; returns keys and usable badges."""
    ensure_audit_head(engine=engine)
    seed = PortSeed()
    _structure(engine, sites, gates, seed)
    by_zone: dict[str, list[str]] = {}
    for gate, site in seed.gate_sites.items():
        zone = f"{site}-z{int(gate[1:]) // sites % ZONES_PER_SITE}"
        by_zone.setdefault(zone, []).append(gate)
    picker = random.Random(24)
    ids = [f"P{p:07d}" for p in range(people)]
    homes = [(p % sites, p // sites % ZONES_PER_SITE) for p in range(people)]
    for p, (s, z) in enumerate(homes):
        gates_here = by_zone.get(f"s{s:02d}-z{z}")
        if gates_here:
            seed.usable.append((f"{p:08X}", picker.choice(gates_here)))
    seed.main_person = ids[0]
    _copy_people(engine, ids, homes, main_group=sites * ZONES_PER_SITE + 1)
    _copy_templates(engine, ids, template_key)
    return seed


def _copy_people(
    engine: Engine, ids: list[str], homes: list[tuple[int, int]], *, main_group: int
) -> None:
    """People with a badge each, their home zone's group and the main one, two activations."""
    now = datetime.now(UTC)
    _copy(
        engine,
        Person,
        ("id", "display_name", "kind", "status", "site_id", "created_at", "updated_at"),
        (
            (pid, f"Person {p}", "staff", "active", f"s{homes[p][0]:02d}", now, now)
            for p, pid in enumerate(ids)
        ),
    )
    _copy(
        engine,
        Credential,
        ("person_id", "kind", "ref", "created_at"),
        ((pid, "badge", f"{p:08X}", now) for p, pid in enumerate(ids)),
    )
    memberships = (
        (pid, g)
        for p, pid in enumerate(ids)
        for g in {homes[p][0] * ZONES_PER_SITE + homes[p][1] + 1, main_group}
    )
    _copy(engine, PersonAccessGroup, ("person_id", "group_id"), memberships)
    activations = (
        (pid, site, "active", now, "bench")
        for p, pid in enumerate(ids)
        for site in sorted({f"s{homes[p][0]:02d}", MAIN_SITE})
    )
    _copy(
        engine,
        SiteActivation,
        ("person_id", "site_id", "status", "activated_at", "activated_by"),
        activations,
    )


def _copy_templates(engine: Engine, ids: list[str], template_key: bytes) -> None:
    """One template per person, shaped like an encoding (norm about 1.4), sealed as the API does."""
    now = datetime.now(UTC)
    encodings = (np.random.default_rng(24).standard_normal((len(ids), 128)) * 0.125).astype("<f4")
    sealed = (
        (
            pid,
            *encrypt_template(key=template_key, person_id=pid, template=encodings[p].tobytes()),
            now,
        )
        for p, pid in enumerate(ids)
    )
    _copy(engine, FaceTemplate, ("person_id", "nonce", "ciphertext", "created_at"), sealed)

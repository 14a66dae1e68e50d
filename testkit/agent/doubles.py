"""The test gate's world: its ids, a replica snapshot, events, topics and agent configs.

The doubles that speak the real wire live beside this: `api_stub` (a tiny HTTP central
API) and `bridge_sim` (a simulated bridge on MQTT).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gate_agent.config import AgentConfig
from gate_protocol.messages import (
    AccessEvent,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import (
    AccessGrant,
    AntiPassback,
    CredentialRecord,
    GatePolicy,
    OfflinePolicy,
    PersonKind,
    PersonRecord,
    PersonStatus,
    ZoneRules,
)
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot
from gate_protocol.topics import GateChannel, GateTopic, build_topic

SITE, GATE, ZONE = "t1", "g1", "z1"
# As random as the keys the API issues: the agent refuses a weak one outside dev mode.
GATE_KEY = "pgk_tQ7xVb2LmN9cR4sK8wYe1ZuH6jD3fG5aPi0oXvBn"
GOOD_BADGE, REVOKED_BADGE = "1234", "DEAD"


def make_snapshot(
    *,
    version: int = 7,
    offline_policy: OfflinePolicy = OfflinePolicy.REPLICA,
    generated_at: datetime | None = None,
    face_required: bool = False,
    max_age_s: int = 3600,
    anti_passback: AntiPassback = AntiPassback.NONE,
) -> ReplicaSnapshot:
    """A replica with one good badge (P1) and one revoked badge (P2)."""
    return ReplicaSnapshot(
        site_id=SITE,
        gate_id=GATE,
        generated_at=generated_at or datetime.now(UTC),
        gate=GatePolicy(
            gate_id=GATE,
            zone_id=ZONE,
            face_required=face_required,
            liveness_required=face_required,
            offline_policy=offline_policy,
            replica_max_age_s=max_age_s,
        ),
        zone=ZoneRules(zone_id=ZONE, anti_passback=anti_passback),
        version=version,
        persons=(
            PersonRecord(
                person_id="P1", kind=PersonKind.STAFF, grants=(AccessGrant(zone_id=ZONE),)
            ),
            PersonRecord(
                person_id="P2",
                kind=PersonKind.STAFF,
                status=PersonStatus.ACTIVE,
                grants=(AccessGrant(zone_id=ZONE),),
            ),
        ),
        credentials=(
            CredentialRecord(kind=CredentialKind.BADGE, ref=GOOD_BADGE, person_id="P1"),
            CredentialRecord(
                kind=CredentialKind.BADGE, ref=REVOKED_BADGE, person_id="P2", revoked=True
            ),
        ),
    )


def delta_after(base: ReplicaSnapshot, **changes: Any) -> ReplicaDelta:
    """The next version's delta for `base`'s gate, with `changes` (records, deleted ids)."""
    return ReplicaDelta(
        site_id=base.site_id,
        gate_id=base.gate_id,
        generated_at=datetime.now(UTC),
        gate=base.gate,
        zone=base.zone,
        from_version=base.version,
        version=base.version + 1,
        **changes,
    )


def make_event(seq: int, event_id: str | None = None) -> AccessEvent:
    """A small denial event (for outbox tests)."""
    return AccessEvent(
        event_id=event_id or f"e{seq}",
        agent_seq=seq,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        lane=0,
        direction=Direction.ENTRY,
        decision=Decision.DENIED,
        reason=ReasonCode.UNKNOWN_CREDENTIAL,
        credential_kind=CredentialKind.BADGE,
        decided_by=DecidedBy.CENTRAL,
    )


def topic(channel: GateChannel) -> str:
    """The topic of `channel` at the test gate."""
    return build_topic(GateTopic(SITE, GATE, channel))


def agent_config(
    tmp_path: Path, *, mqtt_port: int, api_url: str, timeout_ms: int = 300, **extra: Any
) -> AgentConfig:
    """An agent config for tests: fast timeouts, files under tmp_path."""
    raw: dict[str, Any] = {
        "site": SITE,
        "gate": GATE,
        "lanes": [{"lane": 0, "direction": "entry"}, {"lane": 1, "direction": "exit"}],
        "mqtt": {
            "url": f"mqtt://127.0.0.1:{mqtt_port}",
            "reconnect_min_s": 1,
            "reconnect_max_s": 1,
        },
        "api": {
            "url": api_url,
            "decision_timeout_ms": timeout_ms,
            "sync_interval_s": 3600,
            "event_replay_after_s": 1.0,
        },
        "turnstile": {"ack_timeout_s": 2.0, "passage_timeout_s": 3.0},
        "outbox": {"path": str(tmp_path / "outbox.sqlite3")},
        "replica_path": str(tmp_path / "replica.json"),
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return AgentConfig.model_validate(raw)


def config_yaml(config: AgentConfig) -> str:
    """The config as the YAML file the CLI reads."""
    return json.dumps(config.model_dump(mode="json", exclude_none=True))

"""A profile over a site's facts: findings with their fixes, and a score. Pure.

A setting that does not exist yet, or that the API cannot see, is a finding that says
"not available" and fails: a baseline that cannot be shown is not met.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gate_protocol.records import OfflinePolicy
from pydantic import BaseModel

from central_api.baseline.profile import Profile, Requirement, Severity

__all__ = ["Finding", "GateFacts", "Report", "SiteFacts", "evaluate", "loosened_rules"]

# Insider thresholds where a higher value alarms less; the windows alarm less when lower.
_LOOSER_WHEN_HIGHER = (
    "denials",
    "max_speed_mps",
    "open_rate_factor",
    "open_rate_floor",
    "plate_drivers_per_day",
    "driver_companies",
    "pass_reuse_per_company",
    "overrides_per_person",
)
_LOOSER_WHEN_LOWER = (
    "denial_window_minutes",
    "travel_window_minutes",
    "driver_companies_window_days",
    "pass_reuse_window_hours",
    "open_after_denial_minutes",
    "override_window_days",
)
_WEIGHT = {Severity.MUST: 2, Severity.SHOULD: 1}


@dataclass(frozen=True, slots=True)
class GateFacts:
    """What one gate has set."""

    gate_id: str
    face_required: bool
    liveness_required: bool
    verify_threshold: float
    replica_max_age_s: int
    offline_policy: OfflinePolicy


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """What a site and its installation have set today (None: not known or not available)."""

    site_id: str
    site_name: str
    gates: tuple[GateFacts, ...]
    four_eyes_open: bool
    insider_overrides: dict[str, Any]
    insider_defaults: BaseModel
    broker_tls: bool | None
    audit_anchors: tuple[str, ...]
    replica_encryption: bool | None = None
    admin_mfa: bool | None = None
    threat_level: int = 1  # the site's ISPS security level now


class Finding(BaseModel):
    """One requirement's verdict: met or not, what was found, how to fix it."""

    requirement: str
    severity: Severity
    status: str  # "pass", "fail" or "not available"
    detail: str
    fix: str = ""

    @property
    def passed(self) -> bool:
        """Whether the requirement is met."""
        return self.status == "pass"


class Report(BaseModel):
    """A site scored against a profile."""

    site_id: str
    site_name: str
    profile: str
    score: int
    failed_musts: int
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        """Whether every "must" is met."""
        return self.failed_musts == 0


def _gates_failing(
    facts: SiteFacts, bad: Callable[[GateFacts], bool], describe: Callable[[GateFacts], str]
) -> tuple[bool, str]:
    failing = [gate for gate in facts.gates if bad(gate)]
    if not facts.gates:
        return False, "the site has no gates"
    if not failing:
        return True, f"all {len(facts.gates)} gates"
    return False, "; ".join(describe(gate) for gate in failing)


def loosened_rules(overrides: dict[str, Any], defaults: BaseModel) -> list[str]:
    """The insider thresholds a site set laxer than the defaults, as 'name: value (default)'."""
    found = []
    for name, value in sorted(overrides.items()):
        default = getattr(defaults, name, None)
        if not isinstance(value, (int, float)) or not isinstance(default, (int, float)):
            continue
        if (name in _LOOSER_WHEN_HIGHER and value > default) or (
            name in _LOOSER_WHEN_LOWER and value < default
        ):
            found.append(f"{name}: {value} (default {default})")
    return found


def _check(name: str, rule: Any, facts: SiteFacts) -> tuple[str, str, str]:  # noqa: C901
    """(status, detail, fix) of one requirement."""
    if name == "face_on_every_gate":
        ok, detail = _gates_failing(
            facts, lambda g: not g.face_required, lambda g: f"{g.gate_id}: face not required"
        )
        return _verdict(ok, detail, "set face_required on each gate named (PATCH /api/v1/gates/ID)")
    if name == "liveness_on_face_gates":
        ok, detail = _gates_failing(
            facts,
            lambda g: g.face_required and not g.liveness_required,
            lambda g: f"{g.gate_id}: face without liveness",
        )
        return _verdict(ok, detail, "set liveness_required on each gate named")
    if name == "face_threshold":
        ok, detail = _gates_failing(
            facts,
            lambda g: g.verify_threshold > rule.max,
            lambda g: f"{g.gate_id}: verify threshold {g.verify_threshold} > {rule.max}",
        )
        return _verdict(ok, detail, f"set verify_threshold to at most {rule.max}")
    if name == "replica_max_age":
        ok, detail = _gates_failing(
            facts,
            lambda g: g.replica_max_age_s > rule.max_s,
            lambda g: f"{g.gate_id}: replica max age {g.replica_max_age_s} s > {rule.max_s} s",
        )
        return _verdict(ok, detail, f"set replica_max_age_s to at most {rule.max_s}")
    if name == "offline_policy":
        allowed = ", ".join(str(p) for p in rule.allowed)
        ok, detail = _gates_failing(
            facts,
            lambda g: g.offline_policy not in rule.allowed,
            lambda g: f"{g.gate_id}: offline policy {g.offline_policy}",
        )
        return _verdict(ok, detail, f"set offline_policy to one of: {allowed}")
    if name == "four_eyes_remote_open":
        return _verdict(
            facts.four_eyes_open,
            "four eyes on remote opens" if facts.four_eyes_open else "one operator may open",
            "turn four_eyes_open on for the site (PATCH /api/v1/sites/ID)",
        )
    if name == "insider_rules_not_loosened":
        loose = loosened_rules(facts.insider_overrides, facts.insider_defaults)
        return _verdict(
            not loose,
            "; ".join(loose) or "no threshold laxer than the defaults",
            "set the thresholds named back to at least their defaults "
            "(portgate sites insider-rules)",
        )
    return _installation_check(name, facts)


def _installation_check(name: str, facts: SiteFacts) -> tuple[str, str, str]:
    if name == "broker_tls":
        if facts.broker_tls is None:
            return ("fail", "no broker configured (MQTT_URL unset)", "set an mqtts:// MQTT_URL")
        return _verdict(
            facts.broker_tls,
            "mqtts://" if facts.broker_tls else "plain mqtt:// (no TLS)",
            "use an mqtts:// MQTT_URL and the broker's TLS listener (docs/production.md, TLS)",
        )
    if name == "audit_anchored":
        return _verdict(
            bool(facts.audit_anchors),
            ", ".join(facts.audit_anchors) or "the audit head is published nowhere",
            "set PORTGATE_AUDIT_HEAD_FILE on a write-once mount, and PORTGATE_SITE with "
            "MQTT_URL for the retained head (docs/production.md, Backups and restore)",
        )
    if name == "replica_encryption":
        return _unavailable(
            facts.replica_encryption,
            "agents do not report whether their replica is encrypted; the API cannot see it",
            "set replica_key_env in every agent's config and confirm it per gate",
        )
    if name == "admin_mfa":
        return _unavailable(
            facts.admin_mfa,
            "PortGate has no second factor for logins yet",
            "put the dashboard and API behind an identity provider that enforces MFA for "
            "admins until PortGate has its own",
        )
    raise ValueError(f"no check for requirement {name!r}")


def _verdict(ok: bool, detail: str, fix: str) -> tuple[str, str, str]:
    return ("pass", detail, "") if ok else ("fail", detail, fix)


def _unavailable(known: bool | None, why: str, fix: str) -> tuple[str, str, str]:
    if known is None:
        return "not available", why, fix
    return _verdict(known, "set" if known else "not set", fix)


def evaluate(profile: Profile, facts: SiteFacts) -> Report:
    """Score `facts` against `profile`: one finding per requirement the profile has."""
    findings = [
        _finding(name, rule, facts) for name, rule in _requirements(profile) if rule is not None
    ]
    total = sum(_WEIGHT[f.severity] for f in findings)
    met = sum(_WEIGHT[f.severity] for f in findings if f.passed)
    return Report(
        site_id=facts.site_id,
        site_name=facts.site_name,
        profile=profile.name,
        score=round(100 * met / total) if total else 100,
        failed_musts=sum(1 for f in findings if f.severity is Severity.MUST and not f.passed),
        findings=findings,
    )


def _requirements(profile: Profile) -> Iterable[tuple[str, Requirement | None]]:
    for name in type(profile.requirements).model_fields:
        yield name, getattr(profile.requirements, name)


def _finding(name: str, rule: Requirement, facts: SiteFacts) -> Finding:
    status, detail, fix = _check(name, rule, facts)
    return Finding(requirement=name, severity=rule.severity, status=status, detail=detail, fix=fix)

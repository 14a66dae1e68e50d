"""The environment variables PortGate reads, and the check that refuses misspelled ones.

A setting that is misspelled is silently ignored by the settings classes: ``DATABSE_URL``
leaves the API on ``./portgate.db`` and a typo in ``PORTGATE_REPLICA_KEY`` leaves a replica
unencrypted. Every `portgate` command therefore checks the environment first and refuses
to start on a ``PORTGATE_`` name it does not know, or on any name one typo away from a
setting it knows, with one line naming the variable and the setting it probably meant.

tests/portgate/test_environment.py scans the source for ``PORTGATE_`` names, so a new
setting that is not listed here fails the tests rather than the first install.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

__all__ = [
    "KNOWN_FAMILIES",
    "KNOWN_NAMES",
    "UnknownSettingError",
    "check_environment",
    "is_known",
]

# Read by the services (central_api/config.py, enroll settings, agents, bridges, CLI).
_SERVICE_NAMES = frozenset(
    {
        "DATABASE_URL",
        "MQTT_URL",
        "MQTT_PASSWORD",
        "PORTGATE_AGENT_ALARM_STILLS",
        "PORTGATE_AGENT_START_ATTEMPTS",
        "PORTGATE_AGENT_START_BACKOFF_S",
        "PORTGATE_API_URL",
        "PORTGATE_AUDIT_HEAD_EVERY",
        "PORTGATE_AUDIT_HEAD_FILE",
        "PORTGATE_AUDIT_HEAD_INTERVAL_S",
        "PORTGATE_AUDIT_KEY",
        "PORTGATE_BAN_FOUR_EYES",
        "PORTGATE_BROKER_CERTS",
        "PORTGATE_BROKER_DIR",
        "PORTGATE_CAMERA_DEVICE",
        "PORTGATE_COMMUNITY_BRIDGE",
        "PORTGATE_COMMUNITY_BRIDGE_PASSWORD",
        "PORTGATE_COMMUNITY_FEED_CA",
        "PORTGATE_COMMUNITY_FEED_URL",
        "PORTGATE_COMMUNITY_MQTT_URL",
        "PORTGATE_COMMUNITY_POLL_S",
        "PORTGATE_COOKIE_SECURE",
        "PORTGATE_DEMO_MQTT_PASSWORD",
        "PORTGATE_DEV_MODE",
        "PORTGATE_DUPLICATE_THRESHOLD",
        "PORTGATE_EXTENSION_ID",
        "PORTGATE_FACE_ENCODER",
        "PORTGATE_FACE_LANDMARKS",
        "PORTGATE_GATE_KEY",
        "PORTGATE_INGEST_SHARE_GROUP",
        "PORTGATE_LANG",
        "PORTGATE_LDAP_BIND_DN",
        "PORTGATE_LDAP_BIND_PASSWORD",
        "PORTGATE_LDAP_CA_FILE",
        "PORTGATE_LDAP_GROUP_BASE",
        "PORTGATE_LDAP_GROUP_ROLES",
        "PORTGATE_LDAP_HR_ATTRIBUTES",
        "PORTGATE_LDAP_PEOPLE_BASE",
        "PORTGATE_LDAP_PEOPLE_FILTER",
        "PORTGATE_LDAP_TIMEOUT_S",
        "PORTGATE_LDAP_URL",
        "PORTGATE_LDAP_USER_DN",
        "PORTGATE_METRICS_TOKEN",
        "PORTGATE_MQTT_AGENT_PASSWORD",
        "PORTGATE_MQTT_API_PASSWORD",
        "PORTGATE_MQTT_BRIDGE_PASSWORD",
        "PORTGATE_MQTT_CA_FILE",
        "PORTGATE_MQTT_CERT_FILE",
        "PORTGATE_MQTT_CLIENT_ID",
        "PORTGATE_MQTT_KEY_FILE",
        "PORTGATE_MQTT_PASSWORD",
        "PORTGATE_MQTT_WORKER_USERS",
        "PORTGATE_OPEN_TTL_S",
        "PORTGATE_ORGANISATION",
        "PORTGATE_PASS_PUBLIC_KEYS",
        "PORTGATE_PASS_SIGNING_KEY",
        "PORTGATE_PASSWORD",
        "PORTGATE_PENDING_FACE_HOURS",
        "PORTGATE_PHOTO_PURGE_INTERVAL_S",
        "PORTGATE_PHOTO_RETENTION_DAYS",
        "PORTGATE_PSEUDONYM_KEY",
        "PORTGATE_PUBLIC_DOCS",
        "PORTGATE_PUBLIC_URL",
        "PORTGATE_REPLICA_KEY",
        "PORTGATE_REPLICA_WARMUP",
        "PORTGATE_SECRET_KEY",
        "PORTGATE_SESSION_MINUTES",
        "PORTGATE_SITE",
        "PORTGATE_SYSLOG_CA_FILE",
        "PORTGATE_SYSLOG_FORMAT",
        "PORTGATE_SYSLOG_KINDS",
        "PORTGATE_SYSLOG_TARGET",
        "PORTGATE_SYSLOG_TLS",
        "PORTGATE_TEMPLATE_KEY",
        "PORTGATE_WEBHOOK_ATTEMPTS",
        "PORTGATE_WEBHOOK_SECRET",
        "PORTGATE_WEBHOOK_URL",
        "PORTGATE_TOKEN",
        "PORTGATE_TOKEN_FILE",
        "PORTGATE_TOKEN_MINUTES",
        "PORTGATE_TOTP_REQUIRED",
        "PORTGATE_WORKER_INDEX",
    }
)
# Read by the test suite, the fault runs and the benchmarks, which start `portgate` too.
_TOOLING_NAMES = frozenset(
    {
        "PORTGATE_FAULT_SCALE",
        "PORTGATE_FLEET_MQTT_PASSWORD",
        "PORTGATE_PG_BIN",
        "PORTGATE_SCREENSHOT_DIR",
        "PORTGATE_TEST_ARTIFACTS",
    }
)
KNOWN_NAMES = _SERVICE_NAMES | _TOOLING_NAMES
# One variable per broker account or reader, the rest of the name being that account's.
KNOWN_FAMILIES = ("PORTGATE_MQTT_PASSWORD_", "PORTGATE_OSDP_SCBK_", "PORTGATE_LANE_TOKEN_")
_OWN_PREFIX = "PORTGATE_"
_SHORTEST_CHECKED = 7  # shorter names are too often someone else's near-miss


class UnknownSettingError(ValueError):
    """The environment names a setting PortGate does not have (a typo, most likely)."""


def is_known(name: str) -> bool:
    """Whether `name` is a setting PortGate reads (exactly, or one of a family's members)."""
    if name in KNOWN_NAMES:
        return True
    return any(name.startswith(family) and len(name) > len(family) for family in KNOWN_FAMILIES)


def check_environment(environ: Mapping[str, str]) -> None:
    """Refuse unknown ``PORTGATE_`` names and names one typo away from a known setting.

    Raises:
        UnknownSettingError: naming each offending variable and, where there is one, the
            setting it probably meant.
    """
    problems = [_problem(name) for name in sorted(environ)]
    found = [problem for problem in problems if problem]
    if found:
        raise UnknownSettingError("; ".join(found))


def _problem(name: str) -> str | None:
    if is_known(name):
        return None
    meant = _closest(name, KNOWN_NAMES)
    if name.startswith(_OWN_PREFIX):
        hint = f" (did you mean {meant}?)" if meant else ""
        return f"{name} is not a PortGate setting{hint}"
    if meant and len(name) >= _SHORTEST_CHECKED and _one_typo(name, meant):
        return f"{name} is not a PortGate setting (did you mean {meant}?)"
    return None


def _closest(name: str, known: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
    return matches[0] if matches else None


def _one_typo(a: str, b: str) -> bool:
    """One letter missing, extra, wrong, or two neighbours swapped (Damerau distance 1)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        first, second = diffs[0], diffs[-1]
        swapped = a[first] == b[second] and a[second] == b[first]
        return len(diffs) == 2 and second == first + 1 and swapped
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))

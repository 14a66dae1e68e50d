"""What an audit row may say about a person: ids, field names and keyed hashes, never clear data.

The audit chain can never be edited (each row hashes the one before), so whatever a row
holds outlives the person's erasure. Rows about people therefore carry:

* the person's id (after erasure it names nobody) and which fields changed;
* in clear, only values that identify nobody by themselves: kind, status, site, company
  id, validity dates, group, template and credential ids;
* for identifiers an auditor must be able to trace (badge numbers, pass ids, licence
  plates, container numbers, watchlist reasons): ``hmac-sha256:<hex>``, keyed with
  ``PORTGATE_AUDIT_KEY`` from the environment, so that someone holding the key and a
  candidate value can confirm it, and nobody else can read it; without that key the value
  is left out (``"withheld"``). Destroying the key makes every such hash anonymous;
* names (``display_name``) never, not even hashed: a name is easy to guess and confirm.
"""

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AUDIT_KEY_ENV",
    "PERSON_CLEAR_FIELDS",
    "WITHHELD",
    "keyed_hash",
    "person_audit",
    "person_changes",
]

AUDIT_KEY_ENV = "PORTGATE_AUDIT_KEY"
WITHHELD = "withheld"
MIN_AUDIT_KEY_LENGTH = 32
# Person fields an auditor sees in clear; every other field is named, never shown.
PERSON_CLEAR_FIELDS = frozenset(
    {"site_id", "kind", "status", "company_id", "valid_from", "valid_until"}
)
_IGNORED_FIELDS = frozenset({"id", "created_at", "updated_at"})


def _audit_key() -> bytes | None:
    key = os.environ.get(AUDIT_KEY_ENV, "")
    return key.encode() if len(key) >= MIN_AUDIT_KEY_LENGTH else None


def keyed_hash(value: str | None) -> str | None:
    """``hmac-sha256:<hex>`` of `value` under PORTGATE_AUDIT_KEY, or ``withheld`` without one.

    None stays None (nothing to hide).
    """
    if value is None:
        return None
    key = _audit_key()
    if key is None:
        return WITHHELD
    return "hmac-sha256:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def person_audit(person: Mapping[str, Any]) -> dict[str, Any]:
    """The audit view of a new person (a ``model_dump(mode="json")``): clear fields only."""
    return {k: v for k, v in person.items() if k in PERSON_CLEAR_FIELDS}


def person_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The audit ``before``/``after`` of a person update: changed fields, clear values only.

    Returns:
        ``({"changed": [...], field: old, ...}, {field: new, ...})``; a changed name is in
        ``changed`` without its old or new value.
    """
    changed = sorted(k for k in after if k not in _IGNORED_FIELDS and before.get(k) != after.get(k))
    old: dict[str, Any] = {"changed": changed}
    new: dict[str, Any] = {}
    for field in changed:
        if field in PERSON_CLEAR_FIELDS:
            old[field], new[field] = before.get(field), after.get(field)
    return old, new

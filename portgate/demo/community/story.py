"""The community demo's script: a shared ban, a strictly addressed incident, the lift.

Each step is done the way its users would do it, over the installations' own APIs (the
hub's authority officer bans and shares, terminal A's operator files and shares), and
announces what must follow; `Story` then waits for it and keeps a line for each miss
(``EXPECTED port_ban, GOT granted``), so `portgate demo --community --once` can exit 1.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
from sqlmodel import Session, select

from central_api.incidents.tables import Incident
from portgate.demo.community.installations import DemoCommunity, DemoInstallation

__all__ = ["Story"]

_POLL_S = 0.3


def _login(site: DemoInstallation, role: str) -> dict[str, str]:
    username, password = site.seed.logins[role]
    answer = httpx.post(
        f"{site.url}/api/v1/auth/token",
        data={"username": username, "password": password},
        timeout=10,
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _post(
    site: DemoInstallation, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    answer = httpx.post(f"{site.url}{path}", json=body, headers=headers, timeout=10)
    if answer.is_error:
        raise RuntimeError(f"{site.member_id} {path}: {answer.status_code} {answer.text}")
    result: dict[str, Any] = answer.json()
    return result


def decision_at(site: DemoInstallation) -> str:
    """The reason the installation's gate gets for the shared person's badge now."""
    answer = httpx.post(
        f"{site.url}/api/v1/decisions",
        json={
            "request_id": f"demo-{uuid.uuid4().hex[:12]}",
            "direction": "entry",
            "credential_kind": "badge",
            "occurred_at": datetime.now(UTC).isoformat(),
            "badge_number": site.seed.badge,
        },
        headers={"X-Gate-Key": site.seed.gate_key},
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json().get("reason"))


def incidents_from(site: DemoInstallation, issuer: str) -> int:
    """How many reports of `issuer` the installation holds."""
    with Session(site.engine) as session:
        return len(session.exec(select(Incident).where(Incident.issuer == issuer)).all())


@dataclass
class Story:
    """Plays the script once against a started `DemoCommunity` and checks each outcome.

    Args:
        community: The started hub and terminals.
        say: Where steps, outcomes and misses are told.
        timeout_s: How long a shared item may take to show its effect.
    """

    community: DemoCommunity
    say: Callable[[str], None]
    timeout_s: float = 30.0
    checked: int = 0
    failures: list[str] = field(default_factory=list)
    _tokens: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict, repr=False)

    def _as(self, site: DemoInstallation, role: str) -> dict[str, str]:
        # One login per user and run: the token outlives the story.
        if (site.member_id, role) not in self._tokens:
            self._tokens[site.member_id, role] = _login(site, role)
        return self._tokens[site.member_id, role]

    def expect(self, what: str, expected: str, got: Callable[[], str]) -> None:
        """Wait until `got()` says `expected`; otherwise keep and tell the miss."""
        self.checked += 1
        deadline = time.monotonic() + self.timeout_s
        value = got()
        while value != expected and time.monotonic() < deadline:
            time.sleep(_POLL_S)
            value = got()
        if value == expected:
            self.say(f"  ok: {what}: {value}")
            return
        line = f"{what}: EXPECTED {expected}, GOT {value}"
        self.failures.append(line)
        self.say(f"  MISS: {line}")

    def play(self) -> None:
        """The whole script: before, ban, incident, lift."""
        hub, terminals = self.community.hub, self.community.terminals
        self.say("1. the driver (same identity document at every terminal) badges in at both")
        for site in terminals:
            self.expect(f"{site.member_id} gate", "granted", partial(decision_at, site))
        ban_id = self._ban(hub)
        self.say("3. terminal A files an incident report under TLP:AMBER+STRICT and shares it")
        self._incident(terminals[0])
        self.expect("the report at the hub", "1", lambda: str(incidents_from(hub, "term-a")))
        term_b = terminals[1]
        time.sleep(2 * self.community.poll_s)  # B had its chance to receive it: it must not
        self.expect("the report at term-b", "0", lambda: str(incidents_from(term_b, "term-a")))
        self.say("4. the hub lifts the ban and shares the lift: both terminals grant again")
        officer = self._as(hub, "authority")
        _post(hub, f"/api/v1/bans/{ban_id}/lift", {"reason": "appeal upheld"}, officer)
        _post(hub, f"/api/v1/community/share/lift/{ban_id}", {"tlp": "TLP:GREEN"}, officer)
        for site in terminals:
            self.expect(f"{site.member_id} gate", "granted", partial(decision_at, site))

    def _ban(self, hub: DemoInstallation) -> str:
        self.say("2. the hub's authority officer bans the driver and shares it (TLP:GREEN)")
        officer = self._as(hub, "authority")
        ban = _post(
            hub,
            "/api/v1/bans",
            {
                "person_id": hub.seed.person_id,
                "reason": "cargo theft",
                "legal_reference": "PA-2026/0147",
            },
            officer,
        )
        ban_id = str(ban["id"])
        _post(hub, f"/api/v1/community/share/ban/{ban_id}", {"tlp": "TLP:GREEN"}, officer)
        for site in self.community.terminals:
            self.expect(f"{site.member_id} gate", "port_ban", partial(decision_at, site))
        return ban_id

    def _incident(self, site: DemoInstallation) -> None:
        operator = self._as(site, "operator")
        report = _post(
            site,
            "/api/v1/incidents?file=true",
            {
                "kind": "tailgating",
                "occurred_at": datetime.now(UTC).isoformat(),
                "site_id": site.seed.site,
                "narrative": "Two people through the turnstile on one badge.",
                "tlp": "TLP:AMBER+STRICT",
            },
            operator,
        )
        _post(site, f"/api/v1/community/share/incident/{report['id']}", {}, operator)

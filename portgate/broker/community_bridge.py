"""A community's brokers: the hub's users and ACL, and each member's bridge to the hub.

The transport of sharing is mosquitto's own bridging (docs/sharing.md). Each member's
broker bridges its own issuer topics `out` to the hub's broker and the broadcasts and its
own addressed items `in`, QoS 1, persistent session on both sides (`cleansession false`),
over TLS with the hub's CA. The hub's ACL is what enforces routing by label: member X may
write only its own issuer topics and read only `all/#` and `to/X/#`, so an AMBER+STRICT
item addressed to the hub never reaches another member's broker.
"""

from dataclasses import dataclass
from pathlib import Path

from gate_protocol.topics import (
    community_issuer_filters,
    community_member_filters,
    community_root,
    validate_id,
)
from portgate.broker.mosquitto_auth import hash_password

__all__ = ["BridgeTarget", "render_hub_acl", "render_hub_passwd", "render_member_bridge"]


@dataclass(frozen=True, slots=True)
class BridgeTarget:
    """Where a member's bridge connects: the hub's TLS listener, its CA, our credentials."""

    host: str
    port: int
    cafile: Path
    password: str
    certfile: Path | None = None
    keyfile: Path | None = None


def render_hub_acl(community: str, members: list[str], *, api_user: str) -> str:
    """The hub broker's ACL: each member's bridge user, and the hub's own API user."""
    lines = [f"# community {community}: written by portgate community broker-config hub", ""]
    lines += [f"user {api_user}", f"topic readwrite {community_root(community)}/#", ""]
    for member in members:
        lines.append(f"user {validate_id(member, what='member id')}")
        lines += [
            f"topic write {pattern}" for pattern in community_issuer_filters(community, member)
        ]
        lines += [
            f"topic read {pattern}" for pattern in community_member_filters(community, member)
        ]
        lines.append("")
    return "\n".join(lines)


def render_hub_passwd(passwords: dict[str, str]) -> str:
    """A mosquitto password file of `passwords` (user -> clear password), hashed."""
    return "".join(f"{user}:{hash_password(password)}\n" for user, password in passwords.items())


def render_member_bridge(community: str, member: str, target: BridgeTarget) -> str:
    """The bridge section of member `member`'s mosquitto.conf (TLS, QoS 1, persistent)."""
    member = validate_id(member, what="member id")
    prefix = community_root(community) + "/"
    lines = [
        f"connection portgate-{validate_id(community, what='community id')}-{member}",
        f"address {target.host}:{target.port}",
        "bridge_protocol_version mqttv311",
        "try_private true",
        "cleansession false",
        "local_cleansession false",
        "restart_timeout 1 10",
        "keepalive_interval 10",
        "notifications false",
        f"remote_clientid {member}",
        f"local_clientid portgate-bridge-{member}",
        f"remote_username {member}",
        f"remote_password {target.password}",
        f"bridge_cafile {target.cafile}",
        "bridge_insecure false",
    ]
    if target.certfile is not None and target.keyfile is not None:
        lines += [f"bridge_certfile {target.certfile}", f"bridge_keyfile {target.keyfile}"]
    # Out: only what we issue; in: every broadcast and what is addressed to us.
    own_all, own_to = community_issuer_filters(community, member)
    read_all, read_to = community_member_filters(community, member)
    for pattern, direction in (
        (own_all, "out"),
        (own_to, "out"),
        (read_all, "in"),
        (read_to, "in"),
    ):
        lines.append(f"topic {pattern.removeprefix(prefix)} {direction} 1 {prefix} {prefix}")
    return "\n".join(lines) + "\n"

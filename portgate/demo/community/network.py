"""The community's brokers on one machine: the hub's TLS listener and the terminals' bridges.

The hub's mosquitto has a plain listener for its own API and a TLS listener (a local CA,
`portgate.broker.local_ca`) for the terminals' bridges, with the per-member users and ACL
that `portgate community broker-config` writes (`portgate.broker.community_bridge`). It
keeps its persistence, so it can be killed and started again on the same port. Each
terminal's mosquitto bridges its community topics to the hub's, QoS 1, persistent session.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from portgate.broker.community_bridge import (
    BridgeTarget,
    render_hub_acl,
    render_hub_passwd,
    render_member_bridge,
)
from portgate.broker.local_ca import LocalCa
from portgate.broker.mosquitto_auth import new_password
from portgate.broker.process import MosquittoProcess
from portgate.demo.broker import free_port

__all__ = [
    "COMMUNITY",
    "HubBrokerFiles",
    "api_env",
    "prepare_hub_broker",
    "start_broker",
    "terminal_broker_conf",
]

COMMUNITY = "nsp"
# "{port}" (the plain listener, for the hub's own API) is filled in when the broker starts.
_HUB_CONF = """per_listener_settings true
persistence true
persistence_location {data}/
autosave_interval 1
listener {{port}} 127.0.0.1
allow_anonymous true
listener {tls_port} 127.0.0.1
cafile {ca}
certfile {cert}
keyfile {key}
allow_anonymous false
password_file {passwd}
acl_file {acl}
"""


@dataclass(frozen=True)
class HubBrokerFiles:
    """The hub broker's config (``{port}`` still to fill) and each member's bridge target."""

    conf_text: str
    targets: dict[str, BridgeTarget]


def prepare_hub_broker(
    folder: Path, members: list[str], *, community: str = COMMUNITY
) -> HubBrokerFiles:
    """Write the CA, the hub's certificate, users and ACL under `folder`; fresh passwords."""
    broker_dir = folder / "hub-broker"
    (broker_dir / "data").mkdir(parents=True, exist_ok=True)
    ca = LocalCa.create(folder / "pki", name="PortGate community demo CA")
    server = ca.issue_server("hub-broker", hosts=["127.0.0.1", "localhost"])
    passwords = {member: new_password() for member in members}
    (broker_dir / "passwd").write_text(render_hub_passwd(passwords))
    (broker_dir / "acl").write_text(render_hub_acl(community, members, api_user="portgate-api"))
    tls_port = free_port()
    conf = _HUB_CONF.format(
        data=broker_dir / "data",
        tls_port=tls_port,
        ca=ca.cert_file,
        cert=server.cert_file,
        key=server.key_file,
        passwd=broker_dir / "passwd",
        acl=broker_dir / "acl",
    )
    targets = {
        member: BridgeTarget(host="127.0.0.1", port=tls_port, cafile=ca.cert_file, password=pw)
        for member, pw in passwords.items()
    }
    return HubBrokerFiles(conf_text=conf, targets=targets)


def terminal_broker_conf(member: str, target: BridgeTarget, *, community: str = COMMUNITY) -> str:
    """A terminal's broker: a local anonymous listener (``{port}``) and its bridge to the hub."""
    local = "per_listener_settings false\nlistener {port} 127.0.0.1\nallow_anonymous true\n"
    return local + render_member_bridge(community, member, target)


def start_broker(folder: Path, conf_text: str) -> MosquittoProcess:
    """Write `conf_text` (``{port}``: a free port) under `folder` and start mosquitto on it.

    Raises:
        BrokerMissingError: mosquitto is not installed.
        RuntimeError: it exited or did not listen in time.
    """
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    text = conf_text.replace("{port}", str(port))
    if os.geteuid() == 0:
        # As root mosquitto would switch to the `mosquitto` user and lose our files.
        text += "user root\n"
    conf_path = folder / "mosquitto.conf"
    conf_path.write_text(text)
    broker = MosquittoProcess(
        port=port, workdir=folder, conf_path=conf_path, log_path=folder / "mosquitto.log"
    )
    broker.start()
    return broker


def api_env(
    *, seal_key: bytes, broker_port: int, poll_s: float, feed_url: str | None
) -> dict[str, str]:
    """The environment of an installation's `portgate api` (the terminals poll the hub's feed)."""
    env = {
        "PORTGATE_TEMPLATE_KEY": base64.b64encode(seal_key).decode(),
        "MQTT_URL": f"mqtt://127.0.0.1:{broker_port}",
        "PORTGATE_COMMUNITY_POLL_S": str(poll_s),
    }
    if feed_url:
        env["PORTGATE_COMMUNITY_FEED_URL"] = feed_url
    return env

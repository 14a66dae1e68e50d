"""MQTT topics: the only place in PortGate where a topic is spelled (docs/architecture.md).

Every gate topic is ``portgate/v1/{site}/gates/{gate}/{suffix}``; the site-wide sync topic is
``portgate/v1/{site}/sync``, and API replicas tell each other about the alarms they raise and
acknowledge on ``portgate/v1/{site}/alarms``; the API publishes its audit chain's head,
retained, on ``portgate/v1/{site}/audit/head``. Site, gate and node ids are single topic levels,
so they may not be empty or contain ``/``, ``+``, ``#`` or control characters (a ``+`` or
``#`` in an id would turn a publish topic into a wildcard filter and let a node reach other
gates' messages). Every id of `gate_protocol.ids` is such a level; this is the weaker rule
a topic itself checks, whoever built it.
"""

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from gate_protocol.ids import MAX_ID_LENGTH

__all__ = [
    "MAX_ID_LENGTH",
    "PREFIX",
    "AuditHeadTopic",
    "GateChannel",
    "GateTopic",
    "NodeKind",
    "SiteAlarmTopic",
    "SyncTopic",
    "Topic",
    "TopicError",
    "build_topic",
    "community_issuer_filters",
    "community_item_topic",
    "community_member_filters",
    "community_root",
    "filter_all_gates",
    "filter_all_site_alarms",
    "filter_gate",
    "filter_site_channel",
    "parse_topic",
    "shared_filter",
    "validate_id",
]

PREFIX = "portgate/v1"
_FORBIDDEN = frozenset("/+#")


class TopicError(ValueError):
    """A topic or a topic id that PortGate does not accept."""


class NodeKind(StrEnum):
    """The edge nodes that publish a retained status with a last will."""

    AGENT = "agent"
    BRIDGE = "bridge"


class GateChannel(StrEnum):
    """The message channels of one gate; the value is the topic suffix after the gate id."""

    CREDENTIAL = "credential"
    CMD_OPEN = "cmd/open"
    CMD_ACK = "cmd/ack"
    PASSAGE = "passage"
    EVENT = "event"
    ALARM = "alarm"
    STATE = "state"
    STATUS = "status"
    # The camera still of an alarm (opt-in, issue 22.4; gate_protocol.stills).
    STILL = "still"


def validate_id(value: str, *, what: str = "id") -> str:
    """Return `value` if it can be one topic level, else raise TopicError.

    Args:
        value: A site, gate or node id.
        what: The name used in the error message.
    """
    if not value:
        raise TopicError(f"{what} is empty")
    if len(value) > MAX_ID_LENGTH:
        raise TopicError(f"{what} is longer than {MAX_ID_LENGTH} characters")
    if value.startswith("$"):
        raise TopicError(f"{what} may not start with '$' (reserved by the broker)")
    for char in value:
        if char in _FORBIDDEN:
            raise TopicError(f"{what} {value!r} contains {char!r}")
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") or char.isspace():
            raise TopicError(f"{what} contains a control or space character")
    return value


@dataclass(frozen=True, slots=True)
class GateTopic:
    """A topic under one gate; `node` is set only for the STATUS channel."""

    site: str
    gate: str
    channel: GateChannel
    node: NodeKind | None = None

    def __post_init__(self) -> None:
        validate_id(self.site, what="site id")
        validate_id(self.gate, what="gate id")
        if (self.channel is GateChannel.STATUS) != (self.node is not None):
            raise TopicError("a node kind goes with the status channel and only with it")


@dataclass(frozen=True, slots=True)
class SyncTopic:
    """The site-wide, retained replica sync notice topic."""

    site: str

    def __post_init__(self) -> None:
        validate_id(self.site, what="site id")


@dataclass(frozen=True, slots=True)
class SiteAlarmTopic:
    """The site-wide topic of alarms the API raised and of acknowledgements (API -> API).

    Every API replica's live dashboard listens here, so an alarm raised or acknowledged on
    one replica shows on the others' pages at once. Only the API may use it (broker ACL).
    """

    site: str

    def __post_init__(self) -> None:
        validate_id(self.site, what="site id")


@dataclass(frozen=True, slots=True)
class AuditHeadTopic:
    """The site's retained audit chain head (API -> anyone allowed to read it).

    A copy of the head outside the database: whoever rewrites the whole chain there
    cannot also rewrite what the broker retains (`portgate audit verify --head`).
    """

    site: str

    def __post_init__(self) -> None:
        validate_id(self.site, what="site id")


Topic = GateTopic | SyncTopic | SiteAlarmTopic | AuditHeadTopic


def build_topic(topic: Topic) -> str:
    """Spell a topic value object as the MQTT topic string."""
    if isinstance(topic, SyncTopic):
        return f"{PREFIX}/{topic.site}/sync"
    if isinstance(topic, SiteAlarmTopic):
        return f"{PREFIX}/{topic.site}/alarms"
    if isinstance(topic, AuditHeadTopic):
        return f"{PREFIX}/{topic.site}/audit/head"
    base = f"{PREFIX}/{topic.site}/gates/{topic.gate}/{topic.channel.value}"
    return f"{base}/{topic.node.value}" if topic.node is not None else base


_CHANNEL_BY_SUFFIX = {channel.value: channel for channel in GateChannel}


def parse_topic(topic: str) -> Topic:
    """Parse an MQTT topic string into its value object; raise TopicError if it is not ours."""
    levels = topic.split("/")
    if len(levels) < 4 or "/".join(levels[:2]) != PREFIX:
        raise TopicError(f"not a PortGate v1 topic: {topic!r}")
    site = levels[2]
    if len(levels) == 4 and levels[3] == "sync":
        return SyncTopic(site=site)
    if len(levels) == 4 and levels[3] == "alarms":
        return SiteAlarmTopic(site=site)
    if levels[3:] == ["audit", "head"]:
        return AuditHeadTopic(site=site)
    if len(levels) < 6 or levels[3] != "gates":
        raise TopicError(f"unknown PortGate topic: {topic!r}")
    gate, rest = levels[4], levels[5:]
    if rest[0] == GateChannel.STATUS.value and len(rest) == 2:
        try:
            node = NodeKind(rest[1])
        except ValueError:
            raise TopicError(f"unknown node kind in {topic!r}") from None
        return GateTopic(site=site, gate=gate, channel=GateChannel.STATUS, node=node)
    channel = _CHANNEL_BY_SUFFIX.get("/".join(rest))
    if channel is None or channel is GateChannel.STATUS:
        raise TopicError(f"unknown gate channel in {topic!r}")
    return GateTopic(site=site, gate=gate, channel=channel)


def filter_gate(site: str, gate: str) -> str:
    """The subscription filter for every topic of one gate."""
    return (
        f"{PREFIX}/{validate_id(site, what='site id')}/gates/{validate_id(gate, what='gate id')}/#"
    )


def filter_site_channel(site: str, channel: GateChannel) -> str:
    """The subscription filter for one channel of every gate of a site (e.g. all events)."""
    suffix = channel.value + ("/+" if channel is GateChannel.STATUS else "")
    return f"{PREFIX}/{validate_id(site, what='site id')}/gates/+/{suffix}"


def filter_all_gates(channel: GateChannel) -> str:
    """The subscription filter for one channel of every gate of every site."""
    suffix = channel.value + ("/+" if channel is GateChannel.STATUS else "")
    return f"{PREFIX}/+/gates/+/{suffix}"


def filter_all_site_alarms() -> str:
    """The subscription filter for the site-wide alarm topic of every site."""
    return f"{PREFIX}/+/alarms"


def shared_filter(group: str, topic_filter: str) -> str:
    """A shared subscription (MQTT 5, mosquitto 2): each message goes to ONE member of `group`.

    Several API worker processes subscribe with the same group so that every event is
    stored by one of them, not by each.
    """
    return f"$share/{validate_id(group, what='share group')}/{topic_filter}"


# Sharing between installations (docs/sharing.md): one tree per community, bridged between
# each member's broker and the hub's. Broadcasts are `all/<issuer>/<kind>`, items for named
# members `to/<member>/<issuer>/<kind>`, so the hub's ACL routes by topic alone.


def community_root(community: str) -> str:
    """``portgate/v1/community/<community>``: the tree a community's bridges carry."""
    return f"{PREFIX}/community/{validate_id(community, what='community id')}"


def community_item_topic(community: str, issuer: str, kind: str, to: str | None = None) -> str:
    """The topic of one shared item: a broadcast, or addressed to member `to`."""
    issuer = validate_id(issuer, what="member id")
    kind = validate_id(kind, what="item kind")
    if to is None:
        return f"{community_root(community)}/all/{issuer}/{kind}"
    return f"{community_root(community)}/to/{validate_id(to, what='member id')}/{issuer}/{kind}"


def community_member_filters(community: str, member: str) -> tuple[str, str]:
    """What `member` may read: every broadcast and the items addressed to it."""
    root, member = community_root(community), validate_id(member, what="member id")
    return f"{root}/all/#", f"{root}/to/{member}/#"


def community_issuer_filters(community: str, member: str) -> tuple[str, str]:
    """What `member` may write: its own broadcasts and its own addressed items."""
    root, member = community_root(community), validate_id(member, what="member id")
    return f"{root}/all/{member}/#", f"{root}/to/+/{member}/#"

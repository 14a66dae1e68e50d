"""The PortGate wire contract: topics, messages, signed passes, records, policy and replica.

Everything a gate, a bridge and the central API must agree on lives here, and nothing else:
this package imports only pydantic, cryptography and the standard library.
"""

from gate_protocol.api_models import DecisionAnswer, DecisionQuery, EventBatch, EventBatchResult
from gate_protocol.messages import Message, MessageError, decode_message, encode_message
from gate_protocol.passes.keys import PassKeyring, generate_pass_key
from gate_protocol.passes.token import (
    PassClaims,
    PassRejected,
    PassSigner,
    PassVerified,
    verify_pass,
)
from gate_protocol.policy import DecisionContext, DecisionRequest, DecisionResult, decide
from gate_protocol.reasons import ReasonCode, describe_reason
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot, apply_delta
from gate_protocol.topics import GateChannel, GateTopic, SyncTopic, build_topic, parse_topic

__all__ = [
    "DecisionAnswer",
    "DecisionContext",
    "DecisionQuery",
    "DecisionRequest",
    "DecisionResult",
    "EventBatch",
    "EventBatchResult",
    "GateChannel",
    "GateTopic",
    "Message",
    "MessageError",
    "PassClaims",
    "PassKeyring",
    "PassRejected",
    "PassSigner",
    "PassVerified",
    "ReasonCode",
    "ReplicaDelta",
    "ReplicaSnapshot",
    "SyncTopic",
    "apply_delta",
    "build_topic",
    "decide",
    "decode_message",
    "describe_reason",
    "encode_message",
    "generate_pass_key",
    "parse_topic",
    "verify_pass",
]

"""A still from a gate's ``still`` channel: checked, dropped unless the site keeps stills, sealed.

Called on the ingest thread (`central_api.ingest.worker.IngestWorker.route`), never from a
paho callback. Nothing is stored unless every check passes and the gate's site keeps
stills; each outcome is counted (`portgate_alarm_stills_total`) and logged without the
image. A still sent twice (the agent's outbox resends after a lost PUBACK) is stored once.
"""

import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

from biometrics.errors import ImageError
from biometrics.images import decode_image
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from gate_protocol.stills import MAX_STILL_BYTES, decode_still, is_jpeg
from gate_protocol.topics import GateChannel, GateTopic, TopicError, parse_topic
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from central_api.config import Settings
from central_api.db import utc_now
from central_api.enroll.settings import photo_key
from central_api.metrics import STILLS_TOTAL
from central_api.models import Gate, Site
from central_api.stills.tables import AlarmStill

__all__ = [
    "MAX_STILL_PIXELS",
    "StillRefused",
    "ingest_still",
    "still_aad",
    "still_handler",
    "store_still",
]

logger = logging.getLogger(__name__)

MAX_STILL_PIXELS = 2048 * 2048
"""A still's header may declare this many pixels at most (the agent sends <= 640 px wide)."""


class StillRefused(ValueError):
    """A still that is not stored; `outcome` is the counter's label."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(f"{outcome}: {detail}")
        self.outcome = outcome


def still_aad(alarm_id: str) -> bytes:
    """What the seal binds in: a still moved to another alarm's row does not open."""
    return f"alarm-still:{alarm_id}".encode()


def _gate_of(topic: str) -> GateTopic:
    try:
        parsed = parse_topic(topic)
    except TopicError as exc:
        raise StillRefused("bad_topic", str(exc)) from None
    if not isinstance(parsed, GateTopic) or parsed.channel is not GateChannel.STILL:
        raise StillRefused("bad_topic", "not a still topic")
    return parsed


def store_still(*, session: Session, topic: str, payload: bytes, key: bytes) -> str:
    """Check one still and store it sealed where its site keeps stills; returns the outcome.

    Raises:
        StillRefused: bad topic, unknown gate, not a still, bad alarm id, not a JPEG, too
            big, not decodable (nothing is stored).
    """
    parsed = _gate_of(topic)
    gate = session.get(Gate, parsed.gate)
    if gate is None or gate.site_id != parsed.site:
        raise StillRefused("unknown_gate", f"no gate {parsed.gate!r} at site {parsed.site!r}")
    try:
        still = decode_still(payload)
        jpeg = still.jpeg_bytes()
    except ValueError as exc:
        raise StillRefused("bad_message", str(exc)) from None
    if len(jpeg) > MAX_STILL_BYTES:
        raise StillRefused("too_big", f"{len(jpeg)} bytes")
    if not is_jpeg(jpeg):
        raise StillRefused("not_jpeg", "no JPEG start marker")
    try:
        decode_image(jpeg, max_pixels=MAX_STILL_PIXELS)
    except ImageError as exc:
        raise StillRefused("not_decodable", str(exc)) from None
    site = session.get(Site, gate.site_id)
    if site is None or not site.keep_alarm_stills:
        return "dropped_site_off"  # privacy first: never stored, only counted
    if session.get(AlarmStill, still.alarm_id) is not None:
        return "duplicate"
    now = utc_now()
    nonce = secrets.token_bytes(12)
    session.add(
        AlarmStill(
            alarm_id=still.alarm_id,
            site_id=gate.site_id,
            gate_id=gate.id,
            lane=still.lane,
            taken_at=still.at,
            received_at=now,
            expires_at=now + timedelta(days=site.still_retention_days),
            size=len(jpeg),
            nonce=nonce,
            ciphertext=AESGCM(key).encrypt(nonce, jpeg, still_aad(still.alarm_id)),
        )
    )
    session.commit()
    return "stored"


def ingest_still(*, engine: Engine, key: bytes, topic: str, payload: bytes) -> str:
    """Store or drop one still (the ingest thread's handler); returns and counts the outcome."""
    try:
        with Session(engine) as session:
            outcome = store_still(session=session, topic=topic, payload=payload, key=key)
    except StillRefused as exc:
        outcome = exc.outcome
        logger.warning("camera still on %s refused: %s", topic[:200], exc)
    except IntegrityError:
        outcome = "duplicate"  # another API worker stored the same resent still first
    STILLS_TOTAL.labels(outcome=outcome).inc()
    if outcome == "dropped_site_off":
        logger.info("camera still on %s dropped: the site keeps no stills", topic[:200])
    return outcome


def still_handler(settings: Settings, engine: Engine) -> Callable[[str, bytes], str]:
    """The ingest thread's handler of the ``still`` channel (the key derived per still)."""

    def handle(topic: str, payload: bytes) -> str:
        return ingest_still(engine=engine, key=photo_key(settings), topic=topic, payload=payload)

    return handle

"""Camera stills for tests: a real JPEG and the message an agent publishes for an alarm."""

import base64
import json
from datetime import UTC, datetime

import cv2
import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.config import Settings
from central_api.enroll.settings import photo_key
from central_api.models import Site
from central_api.stills.ingest import store_still
from gate_protocol.messages import new_id
from gate_protocol.topics import GateChannel, GateTopic, build_topic

__all__ = ["keep_still", "still_jpeg", "still_payload", "still_topic"]


def still_jpeg(width: int = 320, height: int = 240) -> bytes:
    """A small real JPEG: a grey gradient with a white box (decodes as an image)."""
    frame = np.tile(np.linspace(40, 200, width, dtype=np.uint8), (height, 1))
    frame = np.asarray(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    cv2.rectangle(frame, (width // 4, height // 4), (width // 2, height // 2), (255, 255, 255), -1)
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok  # noqa: S101 (test support)
    return encoded.tobytes()


def still_payload(alarm_id: str, jpeg: bytes, *, lane: int | None = 0) -> bytes:
    """The MQTT payload of a still for `alarm_id` (base64 of any bytes, checked or not)."""
    fields = {
        "schema_version": 1,
        "message_id": new_id(),
        "kind": "still_taken",
        "alarm_id": alarm_id,
        "lane": lane,
        "at": datetime.now(UTC).isoformat(),
        "jpeg": base64.b64encode(jpeg).decode(),
    }
    # Built without the model's checks, so that a test can send what an agent never would.
    return json.dumps(fields).encode()


def still_topic(site: str, gate: str) -> str:
    """The gate's still topic."""
    return build_topic(GateTopic(site=site, gate=gate, channel=GateChannel.STILL))


def keep_still(engine: Engine, settings: Settings, *, site: str, gate: str, alarm_id: str) -> None:
    """Turn the site's still rule on and store a still for `alarm_id`, as the ingest would."""
    with Session(engine) as session:
        row = session.get(Site, site)
        assert row is not None  # noqa: S101 (test support)
        row.keep_alarm_stills = True
        session.add(row)
        session.commit()
        outcome = store_still(
            session=session,
            topic=still_topic(site, gate),
            payload=still_payload(alarm_id, still_jpeg(640, 360)),
            key=photo_key(settings),
        )
    assert outcome == "stored", outcome  # noqa: S101 (test support)

"""Helpers of the enrollment API tests: settings with pass keys, face photos, an access group."""

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session

from biometrics import template_to_bytes
from central_api.config import Settings
from central_api.crud.people import add_face_template
from central_api.crud.rules import create_access_group
from central_api.models import AccessGroupCreate
from gate_protocol.passes.keys import encode_private_key, encode_public_key, generate_pass_key
from testkit.faces import face_photo

KEY_ID, PRIVATE_KEY = generate_pass_key()
PUBLIC_KEYS = {KEY_ID: encode_public_key(PRIVATE_KEY.public_key())}


def enroll_settings(engine: Engine) -> Settings:
    """Dev-mode settings on `engine` with a pass signing key and its public key."""
    return Settings.model_validate(
        {
            "PORTGATE_DEV_MODE": True,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "PORTGATE_COOKIE_SECURE": False,
            "PORTGATE_PASS_SIGNING_KEY": f"{KEY_ID}={encode_private_key(PRIVATE_KEY)}",
            "PORTGATE_PASS_PUBLIC_KEYS": f"{KEY_ID}={PUBLIC_KEYS[KEY_ID]}",
        }
    )


def add_group(
    engine: Engine, *, site: str = "rtm", zone: str = "quay", name: str = "quay-staff"
) -> int:
    """An access group on `zone` at `site`; returns its id."""
    with Session(engine, expire_on_commit=False) as session:
        group = create_access_group(
            session=session,
            group_create=AccessGroupCreate(name=name, site_id=site, zone_ids=[zone]),
            actor="test",
        )
    assert group.id is not None
    return group.id


def random_template(seed: int) -> bytes:
    """A unit-length random 128-d face template (reproducible from `seed`)."""
    vector = np.random.default_rng(seed).normal(size=128)
    return template_to_bytes(vector / np.linalg.norm(vector))


def add_random_templates(engine: Engine, settings: Settings, person_id: str, count: int) -> None:
    """Give the person `count` random face templates, encrypted as the API stores them."""
    with Session(engine, expire_on_commit=False) as session:
        for i in range(count):
            add_face_template(
                session=session,
                person_id=person_id,
                template=random_template(hash((person_id, i)) % 2**32),
                quality=0.5,
                key=settings.template_key_bytes(),
                actor="test",
            )


def face(name: str) -> bytes:
    """The bytes of a shipped face photo (`testkit.faces.face_photo`)."""
    return face_photo(name).read_bytes()


def over_exposed(photo: bytes, *, stops: float = 3.0) -> bytes:
    """A real photo as if taken with `stops` more exposure (sRGB ~ gamma 2.2, clipped).

    Three stops is 8x the light: a face in direct sun or lit by a flash held too close.
    """
    import cv2

    pixels = cv2.imdecode(np.frombuffer(photo, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert pixels is not None, "not an image"
    linear = (pixels.astype(np.float64) / 255.0) ** 2.2 * 2.0**stops
    exposed = (np.clip(linear, 0.0, 1.0) ** (1 / 2.2) * 255).round().astype(np.uint8)
    ok, data = cv2.imencode(".jpg", exposed, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return bytes(data.tobytes())


def clear_enroll_tables(engine: Engine) -> None:
    """Empty the enrollment tables (the PostgreSQL fixture truncates only the API's own)."""
    from central_api.enroll.tables import ENROLL_METADATA

    with engine.begin() as connection:
        for table in reversed(ENROLL_METADATA.sorted_tables):
            connection.execute(table.delete())

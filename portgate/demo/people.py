"""Who the demo enrolls: people from the shipped face photos, or synthetic badge holders.

The face photos ship with the package (`PHOTOS_DIR`, sources and licence in its NOTICE):
each person of ``people/<person>/`` is enrolled from their first photo and the demo camera
shows their second photo (a different picture of the same face, so 1:1 verification does
real work). Given a folder with too few people, the demo falls back to synthetic people
with badges only, and the staff gate does not ask for a face.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["PHOTOS_DIR", "DemoPerson", "default_faces_dir", "demo_people"]

# The one place that says where the shipped face photos are (the tests use them too,
# through testkit/faces.py): package data, so an installed wheel has them as well.
PHOTOS_DIR = Path(__file__).resolve().parent / "photos"
_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
# The roles the script needs, in the order people are assigned to them.
ROLES = ("granted", "expired_competency", "face_mismatch", "revoked", "driver")
_SYNTHETIC = ("Ana Visser", "Bram de Jong", "Chloe Peeters", "Dirk Janssen", "Eva Maas")


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """A demo person: name, script role, badge number, enrollment photo and camera photo."""

    name: str
    role: str
    badge: int
    enroll_photo: Path | None
    camera_photo: Path | None


def default_faces_dir() -> Path:
    """The shipped per-person photo folders the demo enrolls by default."""
    return PHOTOS_DIR / "people"


def _photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in _SUFFIXES)


def demo_people(faces_dir: Path | None) -> tuple[list[DemoPerson], str]:
    """The demo people and a sentence saying where they come from.

    Args:
        faces_dir: A folder of per-person photo folders, or None / missing for synthetic people.
    """
    folders = []
    if faces_dir is not None and faces_dir.is_dir():
        folders = [d for d in sorted(faces_dir.iterdir()) if d.is_dir() and _photos(d)]
    if len(folders) >= len(ROLES):
        people = []
        for number, (role, folder) in enumerate(zip(ROLES, folders, strict=False)):
            photos = _photos(folder)
            name = folder.name.replace("_", " ").title()
            people.append(
                DemoPerson(
                    name=name,
                    role=role,
                    badge=40_001 + number,
                    enroll_photo=photos[0],
                    camera_photo=photos[1] if len(photos) > 1 else photos[0],
                )
            )
        return people, f"people enrolled from the face photos in {faces_dir}"
    people = [
        DemoPerson(name=name, role=role, badge=40_001 + n, enroll_photo=None, camera_photo=None)
        for n, (role, name) in enumerate(zip(ROLES, _SYNTHETIC, strict=True))
    ]
    return people, "synthetic people with badges only (no face photos found: face step off)"

"""The 1:N gallery of a face-only gate: built from a replica, then kept in step with it.

The agent installs a new replica for every change the API sends. Building the gallery
anew each time cost 6-8 s of the tracker thread at 100,000 identities
(`bench/bench_gallery.py`), and threw away the candidate codes of a large gallery. So a
new replica only changes the people whose templates changed. When many did, the gallery
is built anew, which is cheaper then. Encodings are never logged.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from biometrics import TemplateIndex, template_rows
from gate_protocol.replica import ReplicaIndex

__all__ = ["GalleryChange", "build_gallery", "refresh_gallery"]

# Past this share of the gallery's people changed, building anew costs less: each removal
# scans the owners of every row (about 50 us at 100,000), and a build costs about 10 us a
# template on this machine.
_REBUILD_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class GalleryChange:
    """What a refresh did: how many people it removed and (re)added, or a rebuild."""

    removed: int
    added: int
    rebuilt: bool


def build_gallery(index: ReplicaIndex) -> TemplateIndex:
    """The replica's templates as a 1:N index (a template that does not decode is skipped)."""
    gallery = TemplateIndex()
    _add_people(gallery, index, index.people_with_templates())
    return gallery


def refresh_gallery(
    gallery: TemplateIndex, before: ReplicaIndex, after: ReplicaIndex
) -> tuple[TemplateIndex, GalleryChange]:
    """The gallery of `after`, changed in place from that of `before` where that is cheaper.

    Args:
        gallery: The gallery built (or refreshed) from `before`.
        before: The replica the gallery was in step with.
        after: The replica just installed.

    Returns:
        The gallery for `after` (the same object unless rebuilt) and what changed.
    """
    now = after.people_with_templates()
    gone = [p for p in before.people_with_templates() if p not in now]
    changed = [p for p in now if before.templates_of(p) != after.templates_of(p)]
    if len(gone) + len(changed) > _REBUILD_SHARE * max(len(now), 1):
        return build_gallery(after), GalleryChange(removed=0, added=0, rebuilt=True)
    for person_id in (*gone, *changed):
        gallery.remove(person_id)
    _add_people(gallery, after, changed)
    return gallery, GalleryChange(removed=len(gone), added=len(changed), rebuilt=False)


def _add_people(gallery: TemplateIndex, index: ReplicaIndex, people: Iterable[str]) -> None:
    owners: list[str] = []
    raw: list[bytes] = []
    for person_id in people:
        for record in index.templates_of(person_id):
            try:
                raw.append(base64.b64decode(record.encoding_b64, validate=True))
            except (binascii.Error, ValueError):
                continue
            owners.append(person_id)
    matrix, usable = template_rows(raw)
    if len(matrix):
        gallery.add_many([o for o, ok in zip(owners, usable, strict=True) if ok], matrix)

"""The 1:N gallery of every enrolled face, for the duplicate-identity check.

Kept in memory per API process and brought up to date from the database before each
check: new template rows are decrypted and added; when rows vanished (an erasure, or a
template deleted by another API replica) the gallery is rebuilt. A candidate that no
longer exists in the database is never reported; a broken stored template is skipped.

The gallery is the port community's, not one site's: one identity is enrolled once and
activated per site, so a desk's check searches every site's faces (the site scope is
lifted for it) and a hit names the identity and the sites where it is active, for the
desk to activate it rather than enroll the person a second time.
"""

import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from biometrics import TemplateIndex, template_from_bytes
from sqlalchemy import func
from sqlmodel import Session, col, select

from central_api.models import FaceTemplate, Person, SiteActivation
from central_api.security.site_scope import unscoped
from central_api.security.stored_templates import usable_template

__all__ = ["DuplicateCandidate", "FaceGallery"]


@dataclass(frozen=True)
class DuplicateCandidate:
    """Someone else whose enrolled face is close to the new one."""

    person_id: str
    display_name: str
    distance: float
    sites: tuple[str, ...] = ()


class FaceGallery:
    """A `TemplateIndex` over the database's face templates, synced on demand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index = TemplateIndex()
        self._last_id = 0
        self._count = 0

    def _sync(self, *, session: Session, key: bytes) -> None:
        total = int(session.exec(select(func.count()).select_from(FaceTemplate)).one())
        if total < self._count:
            self._index, self._last_id, self._count = TemplateIndex(), 0, 0
        rows = session.exec(
            select(FaceTemplate)
            .where(col(FaceTemplate.id) > self._last_id)
            .order_by(col(FaceTemplate.id))
        ).all()
        if rows:
            # A broken stored row is counted (so the sync stays in step) but not searched.
            usable = [(r.person_id, usable_template(key=key, row=r)) for r in rows]
            kept = [(person, raw) for person, raw in usable if raw is not None]
            if kept:
                vectors = [template_from_bytes(raw) for _, raw in kept]
                self._index.add_many([person for person, _ in kept], np.stack(vectors))
            self._last_id = max(int(r.id or 0) for r in rows)
            self._count += len(rows)
        if self._count != total:
            # Rows were deleted elsewhere while others were added: start over once.
            self._index, self._last_id, self._count = TemplateIndex(), 0, 0
            self._sync(session=session, key=key)

    def find_duplicates(
        self,
        *,
        session: Session,
        key: bytes,
        encoding: npt.ArrayLike,
        exclude_person: str,
        threshold: float,
    ) -> list[DuplicateCandidate]:
        """Other people whose nearest template is closer than `threshold`, nearest first.

        Every site's people are searched, whatever the session's site scope.
        """
        with self._lock, unscoped(session):
            self._sync(session=session, key=key)
            result = self._index.identify(encoding, threshold=threshold, candidates=12)
        near = {
            c.person_id: c.distance
            for c in result.candidates
            if c.person_id != exclude_person and c.distance < threshold
        }
        if not near:
            return []
        with unscoped(session):
            people = session.exec(select(Person).where(col(Person.id).in_(list(near)))).all()
            sites: dict[str, list[str]] = {}
            for person_id, site_id in session.exec(
                select(SiteActivation.person_id, SiteActivation.site_id)
                .where(col(SiteActivation.person_id).in_(list(near)))
                .order_by(col(SiteActivation.site_id))
            ).all():
                sites.setdefault(person_id, []).append(site_id)
        return sorted(
            (
                DuplicateCandidate(
                    p.id, p.display_name, round(near[p.id], 4), tuple(sites.get(p.id, ()))
                )
                for p in people
            ),
            key=lambda c: c.distance,
        )

    def forget(self, person_id: str) -> None:
        """Drop a person's templates at once (erasure), before the next sync would."""
        with self._lock:
            self._count -= self._index.remove(person_id)

    def own_distance(
        self, *, session: Session, key: bytes, encoding: npt.ArrayLike, person_id: str
    ) -> float | None:
        """The distance of the new face to the person's own nearest template, if any."""
        rows = session.exec(select(FaceTemplate).where(FaceTemplate.person_id == person_id)).all()
        usable = [raw for raw in (usable_template(key=key, row=r) for r in rows) if raw]
        if not usable:
            return None
        matrix = np.stack([template_from_bytes(raw) for raw in usable]).astype(np.float64)
        probe = np.asarray(encoding, dtype=np.float64)
        return round(float(np.min(np.linalg.norm(matrix - probe, axis=1))), 4)

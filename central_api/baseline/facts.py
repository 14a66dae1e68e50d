"""What a site has set today, read for the baseline: its gates, its rules, the installation.

The installation's settings (broker URL, audit anchors) are this API's; only the scheme of
the broker URL is kept, never its credentials.
"""

from sqlmodel import Session, col, select

from central_api.baseline.checks import GateFacts, SiteFacts
from central_api.config import Settings
from central_api.insider.rules import InsiderRules
from central_api.models import Gate, Site

__all__ = ["UnknownSite", "all_site_facts", "site_facts"]


class UnknownSite(LookupError):
    """No site has that id."""


def _facts(session: Session, site: Site, settings: Settings) -> SiteFacts:
    gates = session.exec(
        select(Gate).where(col(Gate.site_id) == site.id).order_by(col(Gate.id))
    ).all()
    anchors = []
    if settings.audit_head_file is not None:
        anchors.append("audit head file")
    if settings.mqtt_site and settings.mqtt_url:
        anchors.append(f"retained audit head on the broker (site {settings.mqtt_site})")
    url = settings.mqtt_url
    return SiteFacts(
        site_id=site.id,
        site_name=site.name,
        gates=tuple(
            GateFacts(
                gate_id=gate.id,
                face_required=gate.face_required,
                liveness_required=gate.liveness_required,
                verify_threshold=gate.verify_threshold,
                replica_max_age_s=gate.replica_max_age_s,
                offline_policy=gate.offline_policy,
            )
            for gate in gates
        ),
        four_eyes_open=site.four_eyes_open,
        insider_overrides=dict(site.insider_rules or {}),
        insider_defaults=InsiderRules(),
        broker_tls=None if not url else url.lower().startswith("mqtts://"),
        audit_anchors=tuple(anchors),
        threat_level=site.threat_level,
    )


def site_facts(session: Session, site_id: str, settings: Settings) -> SiteFacts:
    """The facts of one site.

    Raises:
        UnknownSite: no site has that id.
    """
    site = session.get(Site, site_id)
    if site is None:
        raise UnknownSite(f"no site {site_id!r}")
    return _facts(session, site, settings)


def all_site_facts(session: Session, settings: Settings) -> list[SiteFacts]:
    """The facts of every site, by id."""
    sites = session.exec(select(Site).order_by(col(Site.id))).all()
    return [_facts(session, site, settings) for site in sites]

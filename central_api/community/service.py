"""Whether and how this API process runs the community worker (environment, docs/sharing.md).

Runs in the first worker process only, when the installation is in a community and a
broker is configured: ``PORTGATE_COMMUNITY_MQTT_URL`` (default: ``MQTT_URL``; a broker
user of its own, allowed the community's topics, `gate_protocol.topics.community_root`),
``PORTGATE_COMMUNITY_FEED_URL`` (the hub's API, for catch-up; none at the hub),
``PORTGATE_COMMUNITY_FEED_CA`` (the CA of the hub's HTTPS certificate; default: the
system's) and ``PORTGATE_COMMUNITY_POLL_S``.
"""

import logging
import os

from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.community.members import load_keys
from central_api.community.worker import CommunityWorker
from central_api.config import Settings, SettingsError
from central_api.errors import ServiceError
from central_api.models.community import Community

__all__ = ["NoSharing", "community_worker"]

log = logging.getLogger(__name__)


class NoSharing:
    """The worker of a process that does not share: starts and stops nothing."""

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""


def community_worker(settings: Settings, engine: Engine) -> CommunityWorker | NoSharing:
    """The worker of this process, or `NoSharing` (not the first process, no community...)."""
    url = os.environ.get("PORTGATE_COMMUNITY_MQTT_URL") or settings.mqtt_url
    if settings.worker_index not in (None, 0) or not url:
        return NoSharing()
    with Session(engine) as session:
        if session.exec(select(Community)).first() is None:
            return NoSharing()
        try:
            keys = load_keys(session=session, seal_key=settings.template_key_bytes())
        except (SettingsError, ServiceError) as exc:
            log.error("community sharing off: %s", exc)
            return NoSharing()
    return CommunityWorker(
        sessions=lambda: Session(engine),
        keys=keys,
        connection=settings.mqtt_connection(url),
        feed_url=os.environ.get("PORTGATE_COMMUNITY_FEED_URL") or None,
        feed_verify=os.environ.get("PORTGATE_COMMUNITY_FEED_CA") or True,
        poll_s=float(os.environ.get("PORTGATE_COMMUNITY_POLL_S", "2")),
    )

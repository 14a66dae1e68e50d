"""The forwarding worker of an API process, or none (no target, or not the first worker)."""

from __future__ import annotations

import os
from typing import Protocol

from sqlalchemy import Engine

from central_api.config import Settings
from central_api.forwarding.settings import forwarding_settings
from central_api.forwarding.webhook_worker import WebhookWorker
from central_api.forwarding.webhooks import webhook_target
from central_api.forwarding.worker import ForwardingWorker

__all__ = ["Startable", "forwarding_worker", "webhook_worker"]


class Startable(Protocol):
    """What the app's lifespan starts and stops."""

    def start(self) -> None:
        """Start."""

    def stop(self) -> None:
        """Stop."""


class _NoForwarding:
    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""


def forwarding_worker(settings: Settings, engine: Engine) -> Startable:
    """The worker ``PORTGATE_SYSLOG_*`` describe; one per installation (the first process).

    Raises:
        ForwardingConfigError: a forwarding setting is malformed.
    """
    config = forwarding_settings(os.environ)
    # The cursor is shared: one sender keeps the lines in order and sends each batch once.
    if config is None or settings.worker_index not in (None, 0):
        return _NoForwarding()
    return ForwardingWorker(engine=engine, settings=config)


def webhook_worker(settings: Settings, engine: Engine) -> Startable:
    """The alarm webhook worker ``PORTGATE_WEBHOOK_*`` describe (the first process only).

    Raises:
        WebhookConfigError: a webhook setting is malformed.
    """
    target = webhook_target(os.environ)
    if target is None or settings.worker_index not in (None, 0):
        return _NoForwarding()
    return WebhookWorker(engine=engine, target=target)

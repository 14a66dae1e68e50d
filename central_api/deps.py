"""FastAPI dependencies shared by every route: the session and the app's services."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from central_api.bus.mqtt import MessageBus
from central_api.bus.notify import attach_bus
from central_api.config import Settings

__all__ = ["BusDep", "SessionDep", "SettingsDep", "get_bus", "get_session", "get_settings"]


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, on the app's engine."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        attach_bus(session, request.app.state.bus)
        yield session


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_bus(request: Request) -> MessageBus:
    """The app's MQTT bus (a null bus when no broker is configured)."""
    bus: MessageBus = request.app.state.bus
    return bus


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BusDep = Annotated[MessageBus, Depends(get_bus)]

"""How every `portgate` service logs: text or JSON lines, the level, quiet HTTP clients.

`portgate --log-format json --log-level debug api` (the options go before the command, so
`api`, `agent`, `bridge` and every other command share them). JSON lines come from
python-json-logger so a SIEM or a log shipper reads one object per line. httpx and
httpcore log one INFO line per request they make: at the default level they are held at
WARNING, which keeps an agent's decision requests out of the log.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from typing import Any

from pythonjsonlogger.json import JsonFormatter

__all__ = ["LogFormat", "configure_logging", "current_format", "uvicorn_log_config"]

_TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# The clients whose per-request INFO lines are noise, not events.
_QUIET_AT_INFO = ("httpx", "httpcore")


class LogFormat(StrEnum):
    """The shape of a log line."""

    TEXT = "text"
    JSON = "json"


_current = LogFormat.TEXT
_level = "INFO"


def configure_logging(fmt: LogFormat = LogFormat.TEXT, level: str = "info") -> None:
    """Send every logger to stderr in `fmt` at `level` (replaces handlers set before).

    Raises:
        ValueError: `level` is not a logging level name.
    """
    global _current, _level
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r} (debug, info, warning, error, critical)")
    handler = logging.StreamHandler(sys.stderr)
    if fmt is LogFormat.JSON:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(_TEXT))
    logging.basicConfig(level=numeric, handlers=[handler], force=True)
    # Debugging the HTTP client is asking for its lines; otherwise only its troubles.
    quiet = logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING
    for name in _QUIET_AT_INFO:
        logging.getLogger(name).setLevel(quiet)
    _current = fmt
    _level = logging.getLevelName(numeric)


def current_format() -> LogFormat:
    """The format `configure_logging` set last."""
    return _current


def uvicorn_log_config() -> dict[str, Any]:
    """The ``log_config`` for uvicorn: its own text config, or JSON for every logger.

    uvicorn applies it in each API worker process too (``--workers``), which the options
    of the parent process do not reach.
    """
    from uvicorn.config import LOGGING_CONFIG

    if _current is LogFormat.TEXT:
        return LOGGING_CONFIG
    quiet = "DEBUG" if _level == "DEBUG" else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["json"], "level": _level},
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        }
        | {name: {"level": quiet} for name in _QUIET_AT_INFO},
    }

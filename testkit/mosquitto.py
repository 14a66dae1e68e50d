"""Start a real mosquitto for a test or a benchmark: free port, private directory, stopped.

The one launcher of the test suite and the benchmarks::

    broker = start_mosquitto(tmp_path)                             # anonymous broker
    broker = start_mosquitto(tmp_path, password_file=p, acl_file=a)  # users and an ACL
    broker = start_mosquitto(tmp_path, extra_conf=tls_listener)    # + listeners, bridges...
    broker = start_mosquitto(tmp_path, conf_text=conf)             # a whole config ("{port}")
    broker.port; broker.stop(); broker.restart(); broker.kill()

The ``mosquitto_factory`` / ``mosquitto`` fixtures (tests/integration/conftest.py) stop
every broker they started, whatever the test did; a broker secured like a site's is
`testkit.secured_broker`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from portgate.broker.process import BrokerMissingError, MosquittoProcess, find_mosquitto
from testkit.ports import free_port

__all__ = [
    "MosquittoFactory",
    "MosquittoProcess",
    "broker_conf",
    "free_port",
    "mosquitto_available",
    "start_mosquitto",
]


def mosquitto_available() -> bool:
    """Whether the mosquitto binary is installed."""
    try:
        find_mosquitto()
    except BrokerMissingError:
        return False
    return True


def broker_conf(
    *, password_file: Path | None = None, acl_file: Path | None = None, extra_conf: str = ""
) -> str:
    """A config listening on 127.0.0.1 (``{port}``): anonymous, or users with an ACL.

    Args:
        password_file: A mosquitto password file; anonymous clients are refused with one.
        acl_file: Its ACL file (only with `password_file`).
        extra_conf: Lines added at the end: more listeners (TLS), bridges, settings.

    Raises:
        ValueError: An ACL without a password file (it would name users nobody can be).
    """
    if acl_file is not None and password_file is None:
        raise ValueError("an acl_file needs a password_file: anonymous clients match no user")
    lines = ["per_listener_settings false", "listener {port} 127.0.0.1"]
    if password_file is None:
        lines.append("allow_anonymous true")
    else:
        lines += ["allow_anonymous false", f"password_file {password_file}"]
    if acl_file is not None:
        lines.append(f"acl_file {acl_file}")
    return "\n".join(lines) + "\n" + (extra_conf.rstrip("\n") + "\n" if extra_conf else "")


MosquittoFactory = Callable[..., "MosquittoProcess"]


def start_mosquitto(
    tmp_path: Path,
    *,
    conf_text: str | None = None,
    port: int | None = None,
    password_file: Path | None = None,
    acl_file: Path | None = None,
    extra_conf: str = "",
) -> MosquittoProcess:
    """Start mosquitto and wait until it listens; the caller (or a fixture) stops it.

    Args:
        tmp_path: Its private directory (config, log) is made under this one.
        conf_text: A whole config; ``{port}`` is replaced by the chosen port. Default:
            `broker_conf` of the three arguments below.
        port: The listener port (default: a free one).
        password_file: See `broker_conf` (not with `conf_text`).
        acl_file: See `broker_conf` (not with `conf_text`).
        extra_conf: See `broker_conf`; with `conf_text` it is appended to it.

    Raises:
        ValueError: `conf_text` together with files, or a config the launcher cannot wait
            on (no ``{port}`` placeholder and no `port`).
        RuntimeError: mosquitto exited or did not listen in time (its log is in the message).
    """
    if conf_text is None:
        text = broker_conf(password_file=password_file, acl_file=acl_file, extra_conf=extra_conf)
    elif password_file is not None or acl_file is not None:
        raise ValueError("give either conf_text or password_file/acl_file, not both")
    else:
        text = conf_text + ("\n" + extra_conf if extra_conf else "")
    if port is None and "{port}" not in text:
        raise ValueError("conf_text without a {port} placeholder needs the port it listens on")
    port = free_port() if port is None else port
    workdir = tmp_path / f"mosquitto-{port}"
    workdir.mkdir(parents=True, exist_ok=True)
    conf_path = workdir / "mosquitto.conf"
    text = text.replace("{port}", str(port))
    if os.geteuid() == 0 and not any(line.startswith("user ") for line in text.splitlines()):
        # As root, mosquitto would switch to the `mosquitto` user and lose the test's files.
        text += "\nuser root\n"
    conf_path.write_text(text)
    broker = MosquittoProcess(
        port=port, workdir=workdir, conf_path=conf_path, log_path=workdir / "mosquitto.log"
    )
    broker.start()
    return broker

"""`portgate demo`."""

import logging
import shutil
import signal
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from portgate.demo import INSTALL_HINT, BrokerMissingError, DemoOptions, DemoSite, find_mosquitto
from portgate.demo.people import default_faces_dir


def _announce(site: DemoSite, port: int) -> None:
    assert site.seed is not None  # noqa: S101 (started)
    url = f"http://127.0.0.1:{port}"
    typer.echo("")
    typer.echo(f"PortGate demo site is up: dashboard {url}/dashboard  (enrollment desk {url}/desk)")
    typer.echo(f"people: {site.people_note}")
    typer.echo("logins for this run only (random passwords, shown once):")
    for role, (username, password) in site.seed.logins.items():
        typer.echo(f"  {role:<14} user {username:<9} password {password}")
    typer.echo("Prometheus: /metrics (admin login or the run's metrics token)")
    typer.echo("Ctrl-C stops everything.")
    typer.echo("")


def demo_command(
    port: Annotated[int, typer.Option(help="HTTP port of the API and dashboard.")] = 8000,
    duration: Annotated[
        float | None, typer.Option(help="Stop by itself after this many seconds.", min=1)
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Keep the run's database and state under DIR (default: a temp dir)."),
    ] = None,
    faces: Annotated[
        Path | None, typer.Option(help="Folder of per-person photo folders to enroll.")
    ] = None,
) -> None:
    """Start a whole site on this machine: broker, API, dashboard, simulated gates."""
    try:
        find_mosquitto()
    except BrokerMissingError:
        typer.echo(
            f"portgate demo needs the mosquitto MQTT broker: run `{INSTALL_HINT}` "
            "(`make demo` installs it)",
            err=True,
        )
        raise typer.Exit(code=2) from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    temporary = data_dir is None
    if data_dir is None:
        run_dir = Path(tempfile.mkdtemp(prefix="portgate-demo-"))
    else:
        run_dir = data_dir / datetime.now(UTC).strftime("run-%Y%m%dT%H%M%S")
        run_dir.mkdir(parents=True, exist_ok=False)
    options = DemoOptions(port=port, data_dir=run_dir, faces_dir=faces or default_faces_dir())
    site = DemoSite(options=options, say=lambda text: typer.echo(f"[demo] {text}"))
    code = 0
    try:
        site.start()
        _announce(site, port)
        stop.wait(duration)
        typer.echo("[demo] stopping")
    except (RuntimeError, OSError) as exc:
        logging.getLogger(__name__).exception("demo failed")
        typer.echo(f"portgate demo: {exc}", err=True)
        code = 1
    finally:
        site.stop()
        if temporary:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            typer.echo(f"[demo] database and gate state kept in {run_dir}")
    if code:
        raise typer.Exit(code=code)
    typer.echo("[demo] stopped cleanly")

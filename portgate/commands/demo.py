"""`portgate demo`."""

import logging
import shutil
import signal
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from portgate.demo import INSTALL_HINT, BrokerMissingError, DemoOptions, DemoSite, find_mosquitto
from portgate.demo.people import default_faces_dir
from portgate.demo.script import STEP_S
from portgate.language import _


def _announce(site: DemoSite, port: int) -> None:
    assert site.seed is not None  # noqa: S101 (started)
    url = f"http://127.0.0.1:{port}"
    typer.echo("")
    typer.echo(
        _(
            "PortGate demo site is up: dashboard {url}/dashboard  (enrollment desk {url}/desk)",
            url=url,
        )
    )
    typer.echo(_("people: {note}", note=site.people_note))
    if site.camera_note:
        typer.echo(_("staff-gate camera: {note}", note=site.camera_note))
    typer.echo(_("logins for this run only (random passwords, shown once):"))
    for role, (username, password) in site.seed.logins.items():
        login = _("user {user} password {password}", user=f"{username:<9}", password=password)
        typer.echo(f"  {role:<14} {login}")
    typer.echo(_("Prometheus: /metrics (admin login or the run's metrics token)"))
    typer.echo(_("Ctrl-C stops everything."))
    typer.echo("")


def _require_mosquitto() -> None:
    """Exit with code 2 and the install hint when mosquitto is missing."""
    try:
        find_mosquitto()
    except BrokerMissingError:
        typer.echo(
            _(
                "portgate demo needs the mosquitto MQTT broker: run `{command}` "
                "(`make demo` installs it)",
                command=INSTALL_HINT,
            ),
            err=True,
        )
        raise typer.Exit(code=2) from None


def _run_dir(data_dir: Path | None) -> Path:
    """A temporary folder for this run, or a new run folder under `data_dir`."""
    if data_dir is None:
        return Path(tempfile.mkdtemp(prefix="portgate-demo-"))
    run_dir = data_dir / datetime.now(UTC).strftime("run-%Y%m%dT%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=False)
    return run_dir


def _play_once(site: DemoSite, *, stop: threading.Event, duration: float | None) -> int:
    """Wait for the one round of the script; report the expectations; the exit code."""
    assert site.script is not None and site.expect is not None  # noqa: S101 (started)
    deadline = None if duration is None else time.monotonic() + duration
    while not site.script.done.wait(0.5):
        if stop.is_set() or (deadline is not None and time.monotonic() > deadline):
            typer.echo("[demo] " + _("the scripted round did not finish"), err=True)
            return 1
    failures, checked = site.expect.failures, site.expect.checked
    if not failures:
        typer.echo("[demo] " + _("self-check: all {count} expected outcomes held", count=checked))
        return 0
    typer.echo(
        "[demo] "
        + _(
            "self-check: {failed} of {count} expected outcomes did not hold:",
            failed=len(failures),
            count=checked,
        )
    )
    for line in failures:
        typer.echo(f"[demo]   {line}")
    return 1


def _stop_on_signals() -> threading.Event:
    """An event that Ctrl-C (SIGINT) or SIGTERM sets."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return stop


def _community(
    run_dir: Path,
    *,
    port: int,
    once: bool,
    stop: threading.Event,
    duration: float | None,
    keep: bool,
) -> None:
    """`--community`: the hub and two terminals (portgate.demo.community); exits."""
    from portgate.demo.community.runner import run_community

    try:
        code = run_community(
            run_dir=run_dir, port=port, once=once, stop=stop, duration=duration, say=typer.echo
        )
    finally:
        if keep:
            typer.echo(
                "[demo] "
                + _("databases, broker files and API logs kept in {folder}", folder=run_dir)
            )
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    raise typer.Exit(code=code)


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
        Path | None,
        typer.Option(help="Folder of per-person photo folders to enroll (default: shipped)."),
    ] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Play the scripted scenarios once, check each announced outcome, and exit "
            "(1 when one did not hold).",
        ),
    ] = False,
    community: Annotated[
        bool, typer.Option("--community", help="A hub and two terminals (ports PORT to PORT+2).")
    ] = False,
    # Hidden: the pause between the script's steps is for people watching; the tests, which
    # wait for each step's outcome, pass a short one.
    step_s: Annotated[float, typer.Option("--step-s", hidden=True, min=0)] = STEP_S,
) -> None:
    """Start a whole site on this machine: broker, API, dashboard, simulated gates."""
    _require_mosquitto()
    stop = _stop_on_signals()
    temporary = data_dir is None
    run_dir = _run_dir(data_dir)
    if community:
        _community(run_dir, port=port, once=once, stop=stop, duration=duration, keep=not temporary)
    faces_dir = faces or default_faces_dir()
    options = DemoOptions(
        port=port,
        data_dir=run_dir,
        faces_dir=faces_dir,
        rounds=1 if once else None,
        step_s=step_s,
    )
    site = DemoSite(options=options, say=lambda text: typer.echo(f"[demo] {text}"))
    code = 0
    try:
        site.start()
        _announce(site, port)
        if once:
            code = _play_once(site, stop=stop, duration=duration)
        else:
            stop.wait(duration)
        typer.echo("[demo] " + _("stopping"))
    except (RuntimeError, OSError) as exc:
        logging.getLogger(__name__).exception("demo failed")
        typer.echo(_("portgate demo: {error}", error=exc), err=True)
        code = 1
    finally:
        site.stop()
        if temporary:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            typer.echo("[demo] " + _("database and gate state kept in {folder}", folder=run_dir))
    if code:
        raise typer.Exit(code=code)
    typer.echo("[demo] " + _("stopped cleanly"))

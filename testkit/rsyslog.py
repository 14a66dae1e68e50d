"""A real rsyslogd (Debian `rsyslog`) for the SIEM forwarding tests: imtcp into a file.

Each received message is written as one line of the fields rsyslog itself parsed
(protocol version, timestamp, host, app, msgid, then the body), so a test checks that
rsyslog read RFC 5424 with octet counting, not just that bytes arrived.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from testkit.ports import free_port

__all__ = ["RsyslogProcess", "RsyslogTls", "rsyslog_available", "start_rsyslog"]

_TEMPLATE = (
    'template(name="fields" type="string" string="%protocol-version%\\t%timereported:::'
    'date-rfc3339%\\t%hostname%\\t%app-name%\\t%msgid%\\t%msg%\\n")'
)


def rsyslog_available() -> bool:
    """Whether rsyslogd is installed (Makefile DEB_PACKAGES: rsyslog)."""
    return shutil.which("rsyslogd") is not None or Path("/usr/sbin/rsyslogd").exists()


@dataclass
class RsyslogProcess:
    """A running rsyslogd listening on `port`, writing what it receives to `output`."""

    port: int
    output: Path
    workdir: Path
    process: subprocess.Popen[bytes]

    def lines(self) -> list[list[str]]:
        """The received messages, each split into its tab-separated fields."""
        if not self.output.exists():
            return []
        text = self.output.read_text(encoding="utf-8")
        return [line.split("\t", 5) for line in text.splitlines() if line]

    def stop(self) -> None:
        """Stop rsyslogd (SIGTERM: it flushes its file first) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _wait_listening(rsyslog: RsyslogProcess, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if rsyslog.process.poll() is not None:
            log = (rsyslog.workdir / "rsyslogd.log").read_text(errors="replace")
            raise RuntimeError(f"rsyslogd exited: {log[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", rsyslog.port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    rsyslog.stop()
    raise RuntimeError(f"rsyslogd did not listen on {rsyslog.port} in {timeout_s:.0f} s")


def _input_conf(port: int, tls: RsyslogTls | None) -> str:
    if tls is None:
        return f'module(load="imtcp")\ninput(type="imtcp" port="{port}" address="127.0.0.1")\n'
    # RFC 5425 through rsyslog's GnuTLS driver (Debian rsyslog-gnutls).
    return (
        f'global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="{tls.ca_file}" '
        f'DefaultNetstreamDriverCertFile="{tls.cert_file}" '
        f'DefaultNetstreamDriverKeyFile="{tls.key_file}")\n'
        'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" '
        'StreamDriver.AuthMode="anon")\n'
        f'input(type="imtcp" port="{port}" address="127.0.0.1")\n'
    )


@dataclass(frozen=True)
class RsyslogTls:
    """The collector's TLS files (PEM)."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def start_rsyslog(
    tmp_path: Path, *, port: int | None = None, tls: RsyslogTls | None = None
) -> RsyslogProcess:
    """Start rsyslogd in the foreground with an imtcp input on `port` (default: a free one).

    The output file and the work directory are kept across restarts on the same port, so
    a test can stop the collector and start it again where it was. With `tls` the input
    speaks only TLS.

    Raises:
        RuntimeError: rsyslogd exited or did not listen in time (its log is in the message).
    """
    port = free_port() if port is None else port
    workdir = tmp_path / f"rsyslog-{port}"
    workdir.mkdir(parents=True, exist_ok=True)
    output = workdir / "received.log"
    conf = workdir / "rsyslog.conf"
    conf.write_text(
        f'global(workDirectory="{workdir}")\n'
        f"{_input_conf(port, tls)}"
        f"{_TEMPLATE}\n"
        f'action(type="omfile" file="{output}" template="fields" flushOnTXEnd="on")\n',
        encoding="utf-8",
    )
    log = (workdir / "rsyslogd.log").open("ab")
    process = subprocess.Popen(
        ["rsyslogd", "-n", "-f", str(conf), "-i", str(workdir / "rsyslogd.pid")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    rsyslog = RsyslogProcess(port=port, output=output, workdir=workdir, process=process)
    _wait_listening(rsyslog, timeout_s=30)
    return rsyslog

"""Start a real OpenLDAP `slapd` (Debian's) for a test: private directory, free port, stopped.

::

    server = start_slapd(tmp_path, base_ldif)   # slapadd of the LDIF, then slapd
    server.url          # ldap://127.0.0.1:PORT
    server.admin_dn, server.admin_password      # the rootdn, to change entries mid-test
    server.stop()

The database is an mdb under `tmp_path` with the core, cosine, inetorgperson and nis
schemas; entries are loaded with `slapadd` before the server starts, so a test's
directory is there at the first bind. Passwords in the LDIF may be plain text (slapd
compares them as stored).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from testkit.ports import free_port

__all__ = [
    "BASE_DN",
    "SlapdProcess",
    "slapd_available",
    "start_slapd",
]

BASE_DN = "dc=portgate,dc=test"
_ADMIN_PASSWORD = "slapd-test-admin"  # noqa: S105 (a throwaway server's root password)
_SCHEMAS = ("core", "cosine", "inetorgperson", "nis")


def _slapd_binary() -> str | None:
    return shutil.which("slapd") or (
        "/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None
    )


def _slapadd_binary() -> str | None:
    return shutil.which("slapadd") or (
        "/usr/sbin/slapadd" if Path("/usr/sbin/slapadd").exists() else None
    )


def slapd_available() -> bool:
    """Whether Debian's slapd and slapadd are installed (DEB_PACKAGES: slapd ldap-utils)."""
    return _slapd_binary() is not None and _slapadd_binary() is not None


@dataclass
class SlapdProcess:
    """A running slapd; `stop` ends it (and is safe to call twice)."""

    url: str
    port: int
    conf: Path
    admin_dn: str = f"cn=admin,{BASE_DN}"
    admin_password: str = _ADMIN_PASSWORD
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=30)
        self._process = None


def _conf_text(data_dir: Path, module_dir: Path, tls: tuple[Path, Path] | None) -> str:
    schemas = "\n".join(f"include /etc/ldap/schema/{name}.schema" for name in _SCHEMAS)
    tls_lines = f"TLSCertificateFile {tls[0]}\nTLSCertificateKeyFile {tls[1]}\n" if tls else ""
    return (
        f"{schemas}\n{tls_lines}"
        f"modulepath {module_dir}\nmoduleload back_mdb\n"
        f"pidfile {data_dir / 'slapd.pid'}\n"
        "database mdb\nmaxsize 104857600\n"
        f'suffix "{BASE_DN}"\nrootdn "cn=admin,{BASE_DN}"\nrootpw {_ADMIN_PASSWORD}\n'
        f"directory {data_dir}\n"
        "access to attrs=userPassword by self write by anonymous auth by * none\n"
        "access to * by * read\n"
    )


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"slapd exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"slapd did not listen on port {port} within {timeout_s} s")


def start_slapd(
    workdir: Path,
    base_ldif: str,
    *,
    tls: tuple[Path, Path] | None = None,
    timeout_s: float = 60.0,
) -> SlapdProcess:
    """Load `base_ldif` into a fresh database under `workdir` and serve it on a free port.

    With `tls` (the server's certificate and key files) it serves ``ldaps://`` only.

    Raises:
        RuntimeError: slapd is not installed, the LDIF does not load, or the server does
            not come up.
    """
    slapd, slapadd = _slapd_binary(), _slapadd_binary()
    if slapd is None or slapadd is None:
        raise RuntimeError("slapd is not installed (apt-get install slapd ldap-utils)")
    data_dir = workdir / "slapd-data"
    data_dir.mkdir(parents=True)
    conf = workdir / "slapd.conf"
    conf.write_text(_conf_text(data_dir, Path("/usr/lib/ldap"), tls))
    ldif = workdir / "base.ldif"
    ldif.write_text(base_ldif)
    loaded = subprocess.run(  # noqa: S603 (a fixed binary and our own files)
        [slapadd, "-f", str(conf), "-l", str(ldif)], capture_output=True, check=False
    )
    if loaded.returncode != 0:
        raise RuntimeError(f"slapadd failed: {loaded.stderr.decode(errors='replace')[-500:]}")
    port = free_port()
    url = f"{'ldaps' if tls else 'ldap'}://127.0.0.1:{port}"
    # -d 0 keeps slapd in the foreground, so the test owns (and ends) the process.
    process = subprocess.Popen(  # noqa: S603
        [slapd, "-f", str(conf), "-h", f"{url}/", "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_listening(port, process, timeout_s)
    return SlapdProcess(url=url, port=port, conf=conf, _process=process)

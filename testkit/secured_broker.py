"""A mosquitto secured like a site's: the generated password file, ACL and config.

The files come from what `portgate broker users` writes (`portgate.broker.mosquitto_files`,
`portgate.broker.site_config`), so a test exercises the site's real security::

    site = start_site_broker(tmp_path, SiteConfig(site="s1", gates=[GateEntry(id="g1")]))
    site.passwords["agent-g1"]; site.environ; site.url("api"); site.port; site.stop()

Every user with a password of its own gets ``pw-<user>-0123456789`` unless the caller
gives one; derived users (``api-cli``) get theirs from their base user's, as in a site.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from portgate.broker.mosquitto_auth import new_password
from portgate.broker.mosquitto_files import BrokerFiles, render_mosquitto_conf, write_broker_files
from portgate.broker.site_config import SiteConfig, broker_users
from testkit.mosquitto import MosquittoProcess, start_mosquitto
from testkit.ports import free_port

__all__ = ["SiteBroker", "site_environ", "start_site_broker"]

Launcher = Callable[..., MosquittoProcess]


def site_environ(site: SiteConfig, passwords: Mapping[str, str] | None = None) -> dict[str, str]:
    """The password environment of a site's nodes: ``{password_env: password}``.

    Args:
        site: The site (its users come from `broker_users`).
        passwords: Chosen passwords by user name; the others are random, as strong as the
            ones `portgate broker users` generates (the services check their strength).

    Raises:
        ValueError: A chosen password for a user the site does not have, or a derived one
            (its password is computed from its base user's).
    """
    chosen = dict(passwords or {})
    environ = {}
    for user in broker_users(site):
        if user.derived_from is not None:
            continue
        environ[user.password_env] = chosen.pop(user.username, "") or new_password()
    if chosen:
        raise ValueError(f"no broker user with a password of its own: {sorted(chosen)}")
    return environ


@dataclass
class SiteBroker:
    """A running site broker: its process, generated files and the nodes' passwords."""

    broker: MosquittoProcess
    files: BrokerFiles
    conf_text: str
    environ: dict[str, str] = field(repr=False)
    passwords: dict[str, str] = field(repr=False)

    @property
    def port(self) -> int:
        """The listener port on 127.0.0.1."""
        return self.broker.port

    def url(self, user: str) -> str:
        """``mqtt://user:password@127.0.0.1:port`` for one of the site's users."""
        return f"mqtt://{user}:{self.passwords[user]}@127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self.broker.running

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs."""
        process = self.broker.process
        return process.pid if process is not None and self.running else None

    def start(self) -> None:
        """Start it again (same port, same files) after a stop or a kill."""
        self.broker.start()

    def stop(self) -> None:
        """Stop the broker (SIGTERM; it saves its persistence file)."""
        self.broker.stop()

    def kill(self) -> None:
        """SIGKILL: a broker crash, nothing saved."""
        self.broker.kill()


def start_site_broker(
    workdir: Path,
    site: SiteConfig,
    *,
    passwords: Mapping[str, str] | None = None,
    extra_conf: str = "",
    launch: Launcher | None = None,
) -> SiteBroker:
    """Write the site's broker files under `workdir` and start mosquitto with them.

    Args:
        workdir: Where the password, ACL and persistence files go.
        site: The site whose users and ACL the broker gets.
        passwords: Chosen passwords by user name (see `site_environ`).
        extra_conf: Lines added to the generated config (``sys_interval 1``, a listener).
        launch: Starts the broker from ``conf_text=`` and ``port=`` (a test's
            ``mosquitto_factory``, which stops it afterwards); default: `start_mosquitto`.

    Raises:
        ValueError: See `site_environ`.
        RuntimeError: A password was missing (the files would hold a generated one), or
            mosquitto did not start.
    """
    environ = site_environ(site, passwords)
    files = write_broker_files(site, out_dir=workdir / "broker", environ=environ)
    if files.credentials is not None:
        raise RuntimeError(f"a broker password was generated, not given: {files.credentials}")
    port = free_port()
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    conf = render_mosquitto_conf(
        port=port,
        bind_address="127.0.0.1",
        password_file=files.passwd.resolve(),
        acl_file=files.acl.resolve(),
        persistence_dir=data.resolve(),
    )
    conf += extra_conf
    start = launch or partial(start_mosquitto, workdir)
    users = {u.username: u for u in broker_users(site) if u.derived_from is None}
    return SiteBroker(
        broker=start(conf_text=conf, port=port),
        files=files,
        conf_text=conf,
        environ=environ,
        passwords={name: environ[user.password_env] for name, user in users.items()},
    )

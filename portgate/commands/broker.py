"""`portgate broker ...`: MQTT broker credentials and ACLs."""

from pathlib import Path
from typing import Annotated

import typer

from portgate.broker.mosquitto_files import (
    BrokerConfigError,
    BrokerFiles,
    is_loopback,
    render_mosquitto_conf,
    write_broker_files,
)
from portgate.broker.site_config import SiteConfig, SiteConfigError, load_site_config
from portgate.language import _

app = typer.Typer(help="MQTT broker credentials and ACLs.", no_args_is_help=True)


@app.command("users")
def users_command(
    site_config: Annotated[
        Path, typer.Option(help="Site YAML config.", exists=True, dir_okay=False)
    ],
    out: Annotated[
        Path, typer.Option(help="Directory for passwd, acl (and credentials.env).", file_okay=False)
    ] = Path("broker"),
    conf: Annotated[
        bool, typer.Option(help="Also write a mosquitto.conf that uses these files.")
    ] = False,
    port: Annotated[int, typer.Option(help="Plaintext listener port for --conf.")] = 1883,
    bind_address: Annotated[
        str, typer.Option(help="Plaintext listener address for --conf (loopback by default).")
    ] = "127.0.0.1",
    allow_network_plaintext: Annotated[
        bool,
        typer.Option(
            help="Allow the plaintext listener on a non-loopback address (a private network "
            "only: passwords and commands travel in clear)."
        ),
    ] = False,
) -> None:
    """Write mosquitto password and ACL files from the site config."""
    try:
        site = load_site_config(site_config)
    except SiteConfigError as exc:
        typer.echo(_("error: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None
    files = write_broker_files(site, out_dir=out)
    typer.echo(
        _(
            "wrote {passwd} and {acl} for {count} users",
            passwd=files.passwd,
            acl=files.acl,
            count=len(files.users),
        )
    )
    if files.credentials is not None:
        typer.echo(
            _(
                "generated {count} passwords into {file} (mode 0600): "
                "hand each to its node, then delete the file",
                count=len(files.generated),
                file=files.credentials,
            )
        )
    if conf:
        _write_conf(site, out, files, port, bind_address, allow_network_plaintext)


def _write_conf(
    site: SiteConfig, out: Path, files: BrokerFiles, port: int, address: str, network: bool
) -> None:
    try:
        text = render_mosquitto_conf(
            port=port,
            bind_address=address,
            password_file=files.passwd.resolve(),
            acl_file=files.acl.resolve(),
            persistence_dir=(out / "data").resolve(),
            tls=site.broker.tls,
            allow_network_plaintext=network,
        )
    except BrokerConfigError as exc:
        typer.echo(_("error: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None
    if not is_loopback(address):
        typer.echo(
            _("warning: plaintext MQTT listener on {address} (opted in)", address=address), err=True
        )
    (out / "data").mkdir(exist_ok=True)
    conf_path = out / "mosquitto.conf"
    conf_path.write_text(text)
    typer.echo(
        _("wrote {file} (TLS listener on {port})", file=conf_path, port=site.broker.tls.port)
    )

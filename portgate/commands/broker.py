"""`portgate broker ...`: mQTT broker credentials and ACLs."""

from pathlib import Path
from typing import Annotated

import typer

from portgate.broker.mosquitto_files import render_mosquitto_conf, write_broker_files
from portgate.broker.site_config import SiteConfigError, load_site_config

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
    port: Annotated[int, typer.Option(help="Listener port for --conf.")] = 1883,
    bind_address: Annotated[str, typer.Option(help="Listener address for --conf.")] = "0.0.0.0",  # noqa: S104
) -> None:
    """Write mosquitto password and ACL files from the site config."""
    try:
        site = load_site_config(site_config)
    except SiteConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    files = write_broker_files(site, out_dir=out)
    typer.echo(f"wrote {files.passwd} and {files.acl} for {len(files.users)} users")
    if files.credentials is not None:
        typer.echo(
            f"generated {len(files.generated)} passwords into {files.credentials} (mode 0600): "
            "hand each to its node, then delete the file"
        )
    if conf:
        (out / "data").mkdir(exist_ok=True)
        conf_path = out / "mosquitto.conf"
        conf_path.write_text(
            render_mosquitto_conf(
                port=port,
                bind_address=bind_address,
                password_file=files.passwd.resolve(),
                acl_file=files.acl.resolve(),
                persistence_dir=(out / "data").resolve(),
            )
        )
        typer.echo(f"wrote {conf_path}")

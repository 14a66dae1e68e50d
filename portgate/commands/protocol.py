"""`portgate protocol ...`: the wire contract."""

import json

import typer

from gate_protocol.schema import build_message_schema

app = typer.Typer(help="The MQTT wire contract.", no_args_is_help=True)


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of every MQTT message."""
    typer.echo(json.dumps(build_message_schema(), indent=2, sort_keys=True))

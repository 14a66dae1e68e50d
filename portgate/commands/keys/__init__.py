"""`portgate keys generate|rotate|list`: the pass-signing keys and the gates' command keys.

Pass keys live in the API's environment (``PORTGATE_PASS_SIGNING_KEY``,
``PORTGATE_PASS_PUBLIC_KEYS``): ``generate pass`` and ``rotate pass`` print the new values
to put there and say until when the old public key must stay (its last pass's expiry).
Command keys live in the database, sealed with the template key: ``generate command GATE``
makes a gate's first, ``rotate command GATE`` a new signing key (the old one stays valid
at the bridge until ``portgate gates retire-command-key``). ``list`` shows both. Every
change is audited (docs/production.md, Keys and secrets).
"""

import typer

from portgate.commands.keys.commands import generate_command, list_command, rotate_command

app = typer.Typer(help="Pass-signing keys and gate command keys.", no_args_is_help=True)
app.command("generate")(generate_command)
app.command("rotate")(rotate_command)
app.command("list")(list_command)

__all__ = ["app"]

"""`portgate liveness ...`: presentation-attack detection measured at a gate's own camera.

``record`` writes labelled presentation sessions from a gate's configured camera,
``evaluate`` reports them in ISO/IEC 30107-3 terms (APCER per attack species, BPCER, the
worst species, APCER at BPCER <= 5 %) and ``calibrate`` fits the liveness thresholds to
them and writes the gate's liveness config (docs/liveness.md).
"""

import typer

from portgate.commands.liveness.calibrate import calibrate_command
from portgate.commands.liveness.evaluate import evaluate_command
from portgate.commands.liveness.record import record_command

app = typer.Typer(
    help="Presentation-attack detection: record, evaluate and calibrate (ISO/IEC 30107-3).",
    no_args_is_help=True,
)
app.command("record")(record_command)
app.command("evaluate")(evaluate_command)
app.command("calibrate")(calibrate_command)

__all__ = ["app"]

"""`portgate bench ...`: the benchmark suite."""

import typer

from portgate.commands.pending import exit_pending

app = typer.Typer(help="The benchmark suite.", no_args_is_help=True)


@app.command("run")
def run_command() -> None:
    """Run the benchmarks and print one table of figures."""
    exit_pending("bench run", 8)

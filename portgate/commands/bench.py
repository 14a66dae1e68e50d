"""`portgate bench ...`: the benchmark suite.

``portgate bench [NAMES...] [--quick]`` is short for ``portgate bench run``; the scripts live
in the repository's bench/ folder and run in their own processes (bench/runner.py).
"""

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer import _click as click
from typer.core import TyperGroup

from portgate.language import _

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"


class _RunByDefault(TyperGroup):
    """A group whose unknown first word is a benchmark name for `run`."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Send `portgate bench NAME ...` to `run NAME ...`."""
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().resolve_command(ctx, args)


app = typer.Typer(help="The benchmark suite.", cls=_RunByDefault, invoke_without_command=True)


def _script(name: str) -> Path:
    path = BENCH_DIR / name
    if not path.is_file():
        typer.echo(
            _("portgate bench: {file} not found (run from a source checkout)", file=path), err=True
        )
        raise typer.Exit(code=2)
    return path


def _run_script(name: str, args: list[str]) -> None:
    done = subprocess.run([sys.executable, str(_script(name)), *args], check=False)  # noqa: S603
    if done.returncode:
        raise typer.Exit(code=done.returncode)


@app.callback()
def bench_callback(
    ctx: typer.Context,
    quick: Annotated[bool, typer.Option(help="Small sizes: the whole run in minutes.")] = False,
) -> None:
    """The benchmark suite: figures, anchors measured in the same run, ratios and goals."""
    if ctx.invoked_subcommand is None:
        _run_script("runner.py", ["--quick"] if quick else [])


@app.command("run")
def run_command(
    names: Annotated[
        list[str] | None, typer.Argument(help="Benchmarks, e.g. matching bridge (default: all).")
    ] = None,
    quick: Annotated[bool, typer.Option(help="Small sizes: the whole run in minutes.")] = False,
    show_output: Annotated[bool, typer.Option(help="Also print each script's output.")] = False,
) -> None:
    """Run the benchmarks and print one table of figures."""
    args = [*(names or []), *(["--quick"] if quick else [])]
    _run_script("runner.py", [*args, *(["--show-output"] if show_output else [])])


@app.command("list")
def list_command() -> None:
    """List the benchmark scripts."""
    _run_script("runner.py", ["--list"])


@app.command("soak")
def soak_command(
    minutes: Annotated[float, typer.Option(min=0.5, help="How long to soak.")] = 10.0,
    gates: Annotated[int, typer.Option(min=1, max=32, help="Simulated gates.")] = 4,
    period_s: Annotated[
        float, typer.Option(min=0.1, help="Seconds between presentations per gate.")
    ] = 1.5,
) -> None:
    """Soak a site at twice a busy gate's load; report memory growth and latency drift."""
    _run_script(
        "bench_soak.py",
        ["--minutes", str(minutes), "--gates", str(gates), "--period-s", str(period_s)],
    )

"""Run the benchmark scripts and print ONE table: figure, value, anchor, ratio, goal.

usage: .venv/bin/python bench/runner.py [NAMES...] [--quick] [--list] [--show-output]

NAMES are script names (``bench_matching`` or ``matching``); none: every script in bench/
(except the soak, which has its own command). Each script runs in its own process with the
adapter's arguments (``--quick`` picks the small ones: the whole run stays within minutes)
and its figures are read from what it prints (bench/runner_adapters.py). A script that
fails or prints nothing the adapter understands still gets a row saying so.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from bench.runner_adapters import ADAPTERS, Adapter, Figure, parse_figure_lines

BENCH_DIR = Path(__file__).resolve().parent
_EXCLUDED = frozenset({"bench_soak"})


def available() -> list[str]:
    """The bench scripts present, adapters' order first."""
    present = {p.stem for p in BENCH_DIR.glob("bench_*.py")} - _EXCLUDED
    ordered = [name for name in ADAPTERS if name in present]
    return ordered + sorted(present - set(ordered))


def resolve(names: list[str]) -> list[str]:
    """Script names from what the user typed.

    Raises:
        SystemExit: a name matches no script.
    """
    known = available()
    chosen = []
    for name in names:
        full = name if name.startswith("bench_") else f"bench_{name}"
        full = full.removesuffix(".py")
        if full not in known:
            raise SystemExit(f"unknown benchmark {name!r}; available: {', '.join(known)}")
        chosen.append(full)
    return chosen


def run_one(name: str, *, quick: bool, show_output: bool) -> tuple[list[Figure], float]:
    """Run one script and parse its figures; returns (figures, seconds)."""
    adapter = ADAPTERS.get(name) or Adapter(name, (), (), parse_figure_lines)
    args = adapter.quick_args if quick else adapter.full_args
    started = time.perf_counter()
    try:
        done = subprocess.run(  # noqa: S603 (our own bench scripts)
            [sys.executable, str(BENCH_DIR / f"{name}.py"), *args],
            capture_output=True,
            text=True,
            timeout=adapter.timeout_s,
            cwd=BENCH_DIR.parent,
        )
    except subprocess.TimeoutExpired:
        seconds = time.perf_counter() - started
        return [Figure(name.removeprefix("bench_"), "timed out", None, "", note="")], seconds
    seconds = time.perf_counter() - started
    if show_output:
        sys.stdout.write(f"--- {name} {' '.join(args)}\n{done.stdout}{done.stderr}")
    short = name.removeprefix("bench_")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return [
            Figure(short, f"failed (exit {done.returncode})", None, "", note=last[:60])
        ], seconds
    figures = adapter.parse(done.stdout)
    if not figures:
        return [Figure(short, "no figures parsed (run it alone)", None, "")], seconds
    return figures, seconds


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def render_table(figures: list[Figure]) -> str:
    """The one table (plain text, fixed-width columns)."""
    header = ("bench", "figure", "value", "anchor (same run)", "anchor value", "ratio", "goal", "")
    rows = [header]
    for f in figures:
        verdict = {True: "MET", False: "MISSED", None: ""}[f.met]
        value = f"{_number(f.value)} {f.unit}".strip() if f.value is not None else "-"
        rows.append(
            (
                f.bench,
                f.name + (f" ({f.note})" if f.note else ""),
                value,
                f.anchor or "-",
                _number(f.anchor_value),
                f"{f.ratio:.2f}x" if f.ratio is not None else "-",
                f.goal or "-",
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the scripts, print the table; exit 1 if a script failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="bench scripts (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes: minutes, not hours")
    parser.add_argument("--list", action="store_true", help="list the scripts and exit")
    parser.add_argument("--show-output", action="store_true", help="also print each output")
    args = parser.parse_args(argv)
    if args.list:
        sys.stdout.write("\n".join(available()) + "\n")
        return 0
    names = resolve(args.names) if args.names else available()
    if args.quick and not args.names:
        # A script without an adapter has no known small size: run it only when named.
        skipped = [name for name in names if name not in ADAPTERS]
        names = [name for name in names if name in ADAPTERS]
        if skipped:
            sys.stderr.write(f"skipped in --quick (no adapter): {', '.join(skipped)}\n")
    figures: list[Figure] = []
    failed = False
    for name in names:
        sys.stderr.write(f"running {name}{' (quick)' if args.quick else ''} ...\n")
        got, seconds = run_one(name, quick=args.quick, show_output=args.show_output)
        sys.stderr.write(f"  {name}: {seconds:.1f} s\n")
        failed |= any(f.value is None for f in got)
        figures.extend(got)
    sys.stdout.write(render_table(figures) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

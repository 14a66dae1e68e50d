"""scripts/install-path.sh read as steps: what docs/install.md shows, what the test runs.

A step starts at ``# === Step N: title``. Its doc text is every line but the ``#test: ``
ones; its test run drops the lines that end in ``# root`` (system changes on a real server)
and runs the ``#test: `` lines in their place. Every step runs in a fresh ``bash`` after
step 0 (the settings), so a step hands on only what it wrote to files, as on a server
where each step may be pasted into another shell.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "install-path.sh"
DOC = ROOT / "docs" / "install.md"

_STEP = re.compile(r"^# === Step (\d+): (.+)$")
_TEST = "#test: "
_ROOT = re.compile(r"\s+# root$")


@dataclass(frozen=True)
class Step:
    """One numbered step of the install path."""

    number: int
    title: str
    lines: tuple[str, ...]

    def doc_text(self) -> str:
        """The step's commands as docs/install.md shows them."""
        kept = [line for line in self.lines if not line.startswith(_TEST)]
        return "\n".join(kept).strip("\n")

    def test_text(self) -> str:
        """The step's commands as the install-path test runs them."""
        run = []
        for line in self.lines:
            if line.startswith(_TEST):
                run.append(line[len(_TEST) :])
            elif not _ROOT.search(line):
                run.append(line)
        return "\n".join(run)

    def root_lines(self) -> list[str]:
        """The lines only a real server runs (as root)."""
        return [line for line in self.lines if _ROOT.search(line)]


def read_steps(script: Path = SCRIPT) -> list[Step]:
    """The script's steps in order (step 0, the settings, first)."""
    steps: list[Step] = []
    current: tuple[int, str] | None = None
    body: list[str] = []
    for line in script.read_text().splitlines():
        match = _STEP.match(line)
        if match:
            if current is not None:
                steps.append(Step(current[0], current[1], tuple(body)))
            current, body = (int(match.group(1)), match.group(2)), []
        elif current is not None:
            body.append(line)
    if current is not None:
        steps.append(Step(current[0], current[1], tuple(body)))
    return steps


def doc_steps(doc: Path = DOC) -> dict[int, tuple[str, str]]:
    """Each ``## Step N: title`` of docs/install.md with its first ``sh`` block."""
    found: dict[int, tuple[str, str]] = {}
    pattern = re.compile(r"^## Step (\d+): (.+?)\n(.*?)^```sh\n(.*?)^```$", re.M | re.S)
    for match in pattern.finditer(doc.read_text()):
        found[int(match.group(1))] = (match.group(2).strip(), match.group(4).strip("\n"))
    return found


class StepFailed(AssertionError):
    """A step exited non-zero; the message holds its output."""


def run_step(step: Step, settings: Step, env: Mapping[str, str], timeout_s: float) -> str:
    """Run one step (after the settings) in a fresh bash; its output, or StepFailed."""
    text = f"set -euo pipefail\n{settings.test_text()}\n{step.test_text()}\n"
    result = subprocess.run(
        ["bash", "-c", text],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if result.returncode != 0:
        raise StepFailed(
            f"step {step.number} ({step.title}) exited {result.returncode}\n"
            f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
        )
    return result.stdout


def stop_services(pids: Path, timeout_s: float = 20.0) -> None:
    """SIGTERM the processes the steps started (their pid files), SIGKILL what outlives it."""
    if not pids.is_dir():
        return
    files = sorted(pids.iterdir(), key=lambda f: f.stat().st_mtime_ns)  # in start order
    started = [int(f.read_text().strip()) for f in files if f.read_text().strip()]
    for pid in reversed(started):  # the last started first: agent, API, then the broker
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + timeout_s
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _running(pid):
            os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    # The steps' bash has exited, so these are not our children: a zombie counts as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"

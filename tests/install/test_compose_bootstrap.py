"""docker/bootstrap.sh, the compose stack's first-run service: the gate and its key, once."""

import os
import subprocess
import sys
from pathlib import Path

from testkit.migrated_db import migrate_database

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "docker" / "bootstrap.sh"


def bootstrap(env: dict[str, str], keys: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", str(BOOTSTRAP), "t1", "gate-a", "main", str(keys)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_first_run_creates_the_gate_key_and_later_runs_keep_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    keys = tmp_path / "gate-keys"
    keys.mkdir()
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": url,
        "PORTGATE_DEV_MODE": "1",
    }
    first = bootstrap(env, keys)
    assert first.returncode == 0, first.stderr
    key_file = keys / "gate-a.env"
    text = key_file.read_text()
    assert text.startswith("PORTGATE_GATE_KEY=pgk_") and text.count("\n") == 1
    assert key_file.stat().st_mode & 0o077 == 0  # only its owner reads the key
    again = bootstrap(env, keys)
    assert again.returncode == 0 and "keeps its key" in again.stdout
    assert key_file.read_text() == text

    key_file.unlink()  # the gate exists, its key is lost: say so, write nothing
    lost = bootstrap(env, keys)
    assert lost.returncode == 1
    assert "gate gate-a not created and" in lost.stderr and "cannot be shown again" in lost.stderr
    assert os.listdir(keys) == []

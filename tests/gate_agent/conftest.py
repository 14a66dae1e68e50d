"""Puts this folder on sys.path so tests can import `agent_support` (importlib import mode)."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

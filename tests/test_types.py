"""mypy over app/, in basic mode (pyproject.toml's [tool.mypy]), is clean.

Run as a test so that the README's test command, which is what CI runs, runs it too.
Its cache (.mypy_cache) makes a run after the first take a second or two.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_nothing_in_app() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr

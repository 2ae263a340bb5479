"""Building throwaway virtualenvs for the tests that need one (Binder's recipe, a JVM Spark).

Both use uv, which resolves what pip would and installs in seconds, and both want a failed
command to fail the test with its whole output.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def uv() -> str:
    """uv next to this interpreter (the project's venv has it), else on PATH."""
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    assert found, "uv builds the tests' virtualenvs: pip install uv"
    return found


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> str:
    """``command``'s standard output; the test fails with all of its output when it fails."""
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, (
        f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout

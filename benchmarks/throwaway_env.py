"""Peers and rival libraries are measured in a throwaway virtual environment, never the
project's."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def throwaway_environment(folder: Path, requirement: str) -> Path:
    """A new virtual environment under ``folder`` with ``requirement`` installed; its bin/."""
    uv = REPO / ".tools" / "bin" / "uv"
    environment = folder / "throwaway-venv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, environment], check=True)
    python = environment / "bin" / "python"
    subprocess.run([uv, "pip", "install", "-q", "--python", python, requirement], check=True)
    return environment / "bin"

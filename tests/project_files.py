"""Readers of the project's own files, shared by the tests that check those files agree."""

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
STALLS = REPO / "test-artifacts" / "stalls"
"""Where tests leave the thread stacks of work that ran far longer than it should; the run's
summary prints them, so a slow CI run says where it waited even when every test passed."""
CONDA_TO_PYPI = {"playwright-python": "playwright"}
"""conda-forge names that differ from PyPI's."""
SPEC = re.compile(r"^([A-Za-z0-9_.\-]+)\s*((?:[<>=!~]=?|=)[^;\s]*)?$")


def parse(spec: str) -> tuple[str, str]:
    """``("name", "constraint")`` of a requirement such as ``pymc>=6.4``."""
    match = SPEC.match(spec.strip())
    assert match, f"not a package spec: {spec!r}"
    return match.group(1).lower().replace("_", "-"), match.group(2) or ""


def pyproject_requirements() -> dict[str, str]:
    """Every requirement of pyproject.toml, core and all extras, by PyPI name."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs += extra
    return dict(parse(spec) for spec in specs)


def conda_requirements(path: Path) -> dict[str, str]:
    """The packages of a conda environment file, by PyPI name, without python and pip."""
    environment = yaml.safe_load(path.read_text())
    assert environment["channels"] == ["conda-forge"]
    specs = [d for d in environment["dependencies"] if isinstance(d, str)]
    parsed = dict(parse(spec) for spec in specs if not spec.startswith(("python=", "pip")))
    return {CONDA_TO_PYPI.get(name, name): version for name, version in parsed.items()}

"""The project frame: environment files agree with pyproject.toml, the code is ruff-clean."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's.
CONDA_TO_PYPI = {"playwright-python": "playwright"}
SPEC = re.compile(r"^([A-Za-z0-9_.\-]+)\s*((?:[<>=!~]=?|=)[^;\s]*)?$")


def parse(spec: str) -> tuple[str, str]:
    match = SPEC.match(spec.strip())
    assert match, f"not a package spec: {spec!r}"
    return match.group(1).lower().replace("_", "-"), match.group(2) or ""


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs += extra
    return dict(parse(spec) for spec in specs)


def conda_requirements(path: Path) -> dict[str, str]:
    environment = yaml.safe_load(path.read_text())
    assert environment["channels"] == ["conda-forge"]
    specs = [d for d in environment["dependencies"] if isinstance(d, str)]
    parsed = dict(parse(spec) for spec in specs if not spec.startswith(("python=", "pip")))
    return {CONDA_TO_PYPI.get(name, name): version for name, version in parsed.items()}


def test_environment_yml_agrees_with_pyproject():
    assert conda_requirements(REPO / "environment.yml") == pyproject_requirements()


def test_environment_yml_pins_python_312():
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "python=3.12" in environment["dependencies"]


def test_python_version_file():
    assert (REPO / ".python-version").read_text().strip() == "3.12"


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(REPO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_gives_the_two_commands():
    readme = (REPO / "README.md").read_text()
    assert "./run serve" in readme and "./run test" in readme
    assert "./run test" in (REPO / ".ci" / "run").read_text()

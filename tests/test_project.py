"""The project frame: environment files agree with pyproject.toml, the code is ruff-clean."""

import subprocess
import sys

import yaml
from project_files import REPO, conda_requirements, pyproject_requirements


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


def test_test_modules_have_unique_names():
    # pytest imports test modules by basename (no packages under tests/): a repeat stops collection.
    names = [path.name for path in (REPO / "tests").rglob("test_*.py")]
    assert len(names) == len(set(names)), sorted({name for name in names if names.count(name) > 1})

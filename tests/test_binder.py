"""Binder's files, checked offline: conda channels cannot be reached here, so nothing is solved.

repo2docker reads only ``binder/`` once it exists: its environment must match the top-level one
(and so pyproject.toml), ``postBuild`` must install the package, and the dashboard must be
reachable through jupyter-server-proxy, whose entry point comes with the package.
"""

import os
import re
import shlex
import tomllib

import pytest
import yaml
from project_files import REPO, conda_requirements, pyproject_requirements

from workbench.cli.serving import APP_SCRIPT
from workbench.jupyter_proxy import NAME

BINDER = REPO / "binder"
ENVIRONMENT = BINDER / "environment.yml"
POST_BUILD = BINDER / "postBuild"
README = REPO / "README.md"
# A name, then optionally constraints joined by commas (conda's "and"): ipykernel>=6.29,<7.
CONDA_SPEC = re.compile(r"[a-z0-9][a-z0-9_.\-]*((>=|<=|==|=|<|>)\d[\w.*]*(,(?=[<>=]))?)*")
BINDER_LINK = re.compile(r"https://mybinder\.org/v2/gh/[^)\s]+")


def conda_specs() -> list[str]:
    return list(yaml.safe_load(ENVIRONMENT.read_text())["dependencies"])


def test_environment_is_conda_forge_with_python_312():
    environment = yaml.safe_load(ENVIRONMENT.read_text())
    assert environment["channels"] == ["conda-forge"]
    assert "python=3.12" in environment["dependencies"]


def test_every_package_has_a_conda_spec():
    # A conda-forge name, then at most one version constraint: `pymc>=6.4`, `python=3.12`.
    for spec in conda_specs():
        assert isinstance(spec, str), f"binder/environment.yml: unexpected entry {spec!r}"
        assert CONDA_SPEC.fullmatch(spec), f"not a conda-forge package spec: {spec!r}"


def test_environment_agrees_with_the_top_level_one_and_pyproject():
    binder = conda_requirements(ENVIRONMENT)
    assert binder == conda_requirements(REPO / "environment.yml")
    assert binder == pyproject_requirements()


def test_environment_leaves_the_package_to_post_build():
    # repo2docker builds the environment before it copies the repository, so `-e .` would fail.
    assert not [item for item in conda_specs() if isinstance(item, dict)]


def test_post_build_is_executable_and_installs_the_package_alone():
    assert os.access(POST_BUILD, os.X_OK)
    lines = [line.strip() for line in POST_BUILD.read_text().splitlines()]
    assert lines[0] == "#!/usr/bin/env bash"
    commands = [shlex.split(line) for line in lines if line and not line.startswith("#")]
    assert commands[0][:2] == ["set", "-euo"], "stop at the first failing step"
    installs = [command for command in commands if "install" in command]
    assert len(installs) == 1
    install = installs[0]
    assert install[:4] == ["python", "-m", "pip", "install"]
    assert "--no-deps" in install and install[-2:] == ["-e", "."]


def test_the_dashboard_proxy_comes_with_the_package():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    entry = project["entry-points"]["jupyter_serverproxy_servers"][NAME]
    module, _, function = entry.partition(":")
    assert (REPO / (module.replace(".", "/") + ".py")).is_file()
    assert function == "dashboard_server"
    assert "jupyter-server-proxy" in pyproject_requirements()
    assert "jupyter-server-proxy" in conda_requirements(ENVIRONMENT)
    assert APP_SCRIPT.is_file() and APP_SCRIPT.parent.name == "app"


@pytest.mark.parametrize(
    "urlpath", ["lab/tree/notebooks/01_quickstart.ipynb", f"{NAME}/"], ids=["lab", "dashboard"]
)
def test_readme_links_open_binder_on(urlpath):
    links = BINDER_LINK.findall(README.read_text())
    assert any(link.endswith(f"?urlpath={urlpath}") for link in links), links


def test_the_lab_link_opens_a_notebook_that_exists():
    assert (REPO / "notebooks" / "01_quickstart.ipynb").is_file()

"""The README as a front page: every code block runs, its tables match the code, its picture is
real.

The blocks run in the README's order in one temporary folder, with real sampling:
- ``python`` blocks run in one namespace, as a reader pasting them into one session would;
- the ``csv`` block is the example run table, saved as ``runs.csv`` as the README says;
- each ``bash`` line runs as a command, except those in ``SKIPPED``.

The README's commands also read the reader's own PassUntil logs (``logs.csv``), sweeps
(``sweeps.csv``) and IsoFLOP runs (``isoflop.csv``); the test simulates small ones. The public
table ``workbench observational`` downloads comes from the local copy, through the cache.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from project_files import REPO

from workbench.emergence import InstanceLaw, simulate_passuntil
from workbench.hyperparameters import simulate_isoflop_runs, simulate_sweeps
from workbench.laws import LAWS, law_table
from workbench.runs.datasets import ruan2024
from workbench.runs.schema import ROLE_ALIASES, normalize_name

README = REPO / "README.md"
SHARED_DATA = Path(os.environ.get("WORKBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))
SCREENSHOT = REPO / "docs" / "dashboard.png"
SCREENSHOT_MAX_BYTES = 300_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
COMMAND_SECONDS = 300
WORKBENCH = Path(sys.executable).parent / "workbench"  # the console script of this environment
SKIPPED = {
    ("./run", "serve"): "installs the environment, then serves until stopped",
    ("./run", "test"): "runs this whole test suite, this test included",
    ("workbench", "serve"): "serves until stopped; tests/browser starts and drives it",
}
PASSUNTIL_LAW = InstanceLaw(
    mu_log_c=1.0, sd_log_c=0.8, mu_alpha=0.4, sd_alpha=0.08, reference_N=1e9
)


def code_blocks() -> list[tuple[str, str, int]]:
    """(language, source, line number) of each fenced block of the README, in order."""
    text = README.read_text()
    return [
        (match.group(1), match.group(2), text.count("\n", 0, match.start()) + 1)
        for match in FENCE.finditer(text)
    ]


def command_key(argv: list[str]) -> tuple[str, str]:
    program = "workbench" if argv[0].endswith("bin/workbench") else argv[0]
    return program, argv[1] if len(argv) > 1 else ""


def run_bash_block(source: str, line: int, skipped: set) -> None:
    for offset, text in enumerate(source.splitlines()):
        argv = shlex.split(text, comments=True)
        if not argv:
            continue
        where = f"README.md line {line + 1 + offset}"
        key = command_key(argv)
        if key in SKIPPED:
            skipped.add(key)
            continue
        assert key[0] == "workbench", f"{where}: no rule to run {text!r}; add it to SKIPPED?"
        result = subprocess.run(
            [str(WORKBENCH), *argv[1:]], capture_output=True, text=True, timeout=COMMAND_SECONDS
        )
        assert result.returncode == 0, f"{where}: {text}\n{result.stdout}\n{result.stderr}"


@pytest.mark.sampling
def test_every_code_block_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    raw = SHARED_DATA / "obsscaling_ruan2024" / "raw"
    if raw.is_dir():
        ruan2024(url=raw / "base_llm_benchmark_eval.csv", constants_url=raw / "constants.py")
    else:
        # A fresh clone without the local copies, and offline: nothing to read the table from.
        monkeypatch.setitem(SKIPPED, ("workbench", "observational"), "needs the public table")
    logs = simulate_passuntil(PASSUNTIL_LAW, np.geomspace(1e8, 1e10, 5), 20, 1000, 3)
    logs.frame.to_csv("logs.csv", index=False)
    settings = [(N, ratio * N) for N in (1e8, 3e8, 1e9) for ratio in (20, 100)]
    simulate_sweeps(settings, random_seed=1).to_csv("sweeps.csv", index=False)
    isoflop = simulate_isoflop_runs(np.geomspace(1e18, 1e21, 5), random_seed=1)
    isoflop.drop(columns="N_opt").to_csv("isoflop.csv", index=False)
    namespace = {"__name__": "__readme__"}
    skipped = set()
    blocks = code_blocks()
    assert [language for language, _, _ in blocks].count("csv") == 1, "one example run table"
    for language, source, line in blocks:
        if language == "python":
            exec(compile(source, f"README.md line {line + 1}", "exec"), namespace)
        elif language == "csv":
            Path("runs.csv").write_text(source)
        elif language == "bash":
            run_bash_block(source, line, skipped)
        else:
            raise AssertionError(f"README.md line {line}: no rule to run a {language!r} block")
    assert skipped == set(SKIPPED), "SKIPPED lists commands the README no longer has"
    # Sanity: the session really fitted, saved and read the example table.
    assert Path("fit.nc").stat().st_size > 0
    assert len(namespace["runs"]) == 16


def test_screenshot_is_a_small_png_in_the_readme():
    assert SCREENSHOT.is_file(), "run the browser tests with WORKBENCH_UPDATE_SCREENSHOT=1"
    content = SCREENSHOT.read_bytes()
    assert content[:8] == PNG_SIGNATURE
    assert len(content) < SCREENSHOT_MAX_BYTES
    width = int.from_bytes(content[16:20], "big")  # the IHDR chunk: width, then height
    assert width == 1200
    assert "](docs/dashboard.png)" in README.read_text()


def test_card_picture_is_a_small_png_in_its_section():
    picture = REPO / "docs" / "card.png"
    assert picture.is_file(), (
        "run tests/browser/test_card_offline.py with WORKBENCH_UPDATE_SCREENSHOT=1"
    )
    content = picture.read_bytes()
    assert content[:8] == PNG_SIGNATURE and len(content) < SCREENSHOT_MAX_BYTES
    assert "](docs/card.png)" in section("The scaling-law card")


def test_calibration_picture_is_the_report_of_a_real_fit():
    picture = REPO / "docs" / "calibration.png"
    assert picture.is_file(), "draw it with .venv/bin/python docs/calibration_figure.py"
    content = picture.read_bytes()
    assert content[:8] == PNG_SIGNATURE and len(content) < SCREENSHOT_MAX_BYTES
    assert "](docs/calibration.png)" in section(
        "Honest extrapolation: what an interval past the data means"
    )


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def test_law_table_is_the_one_the_registry_generates():
    assert law_table() in section("Law families"), (
        "the README's law table is out of date: paste in `workbench laws --markdown`"
    )
    assert law_table().count("\n| `") == len(LAWS)


def test_citations_cover_every_registered_law():
    citations = section("Citing the papers")
    for name, law in LAWS.items():
        assert f"`{name}`" in citations, f"{name} is missing from the citations"
        for arxiv in re.findall(r"arXiv:\d{4}\.\d{4,5}", law.reference):
            assert arxiv in citations, f"{name}: {arxiv} is missing from the citations"


def test_column_roles_table_lists_recognised_names():
    roles = {**ROLE_ALIASES, "target": ROLE_ALIASES["loss"]}
    rows = [line for line in section("Bring your own runs").splitlines() if line.startswith("| ")]
    listed = {}
    for row in rows[2:]:  # after the header and its rule
        role, _, names = (cell.strip() for cell in row.strip("|").split("|"))
        listed[role.strip("`")] = re.findall(r"`([^`]+)`", names)
    assert set(listed) == set(ROLE_ALIASES) - {"loss"} | {"target"}
    for role, names in listed.items():
        recognised = {normalize_name(alias) for alias in roles[role]}
        for name in names:
            assert normalize_name(name) in recognised, f"{name!r} is not recognised as {role}"


def github_anchor(title: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def test_every_section_link_points_at_a_section():
    text = README.read_text()
    anchors = {github_anchor(title) for title in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert links, "the feature list links to its sections"
    assert set(links) <= anchors, f"links to no section: {sorted(set(links) - anchors)}"

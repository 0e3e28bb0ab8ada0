"""Nothing half-written: a fit file is the previous one or a whole new one, even after SIGKILL."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from workbench.atomic import PARTIAL_MARK, replacing
from workbench.backtesting import load_fit
from workbench.fitting import FitFileError, ScalingLawFit
from workbench.runs import demo

WORKBENCH = Path(sys.executable).with_name("workbench")
SAVE_LOOP = textwrap.dedent(
    """
    import sys
    from workbench.fitting import ScalingLawFit

    fit = ScalingLawFit.load(sys.argv[1])
    for round_ in range(1_000_000):
        fit.idata.attrs["created"] = f"round {round_}"
        fit.save(sys.argv[2])
        if round_ == 0:
            print("saved", flush=True)
    """
)


@pytest.fixture(scope="module")
def saved_fit(tmp_path_factory) -> Path:
    fit = ScalingLawFit("power_law", sampler={"draws": 200, "tune": 200})
    fit.fit(demo().final_checkpoints(), random_seed=0)
    return fit.save(tmp_path_factory.mktemp("fit") / "source.nc")


def assert_previous_or_complete(path: Path, previous: bytes) -> str:
    """The file at ``path`` is byte for byte ``previous`` or a whole fit that predicts."""
    if path.read_bytes() == previous:
        return "previous"
    fit = load_fit(path)
    assert np.isfinite(fit.predict({"C": [1e24]}, warn=False)["median"]).all()
    return "new"


def test_a_failed_write_leaves_the_previous_file_and_no_partial(tmp_path):
    target = tmp_path / "fit.nc"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError), replacing(target) as partial:
        partial.write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"previous"
    assert list(tmp_path.iterdir()) == [target]


def test_a_file_without_a_group_is_refused_by_name(saved_fit, tmp_path):
    tree = ScalingLawFit.read_tree(saved_fit)
    del tree["constant_data"]
    partial = tmp_path / "partial.nc"
    tree.to_netcdf(partial, engine="netcdf4")
    with pytest.raises(FitFileError, match=r"partial\.nc is an incomplete fit: .* constant_data"):
        load_fit(partial)


def test_saves_killed_at_many_points_never_leave_a_part(saved_fit, tmp_path):
    """SIGKILL a process that saves a fit over and over, at random points of its writes."""
    target = tmp_path / "fit.nc"
    ScalingLawFit.load(saved_fit).save(target)
    rng = np.random.default_rng(0)
    for _ in range(8):
        previous = target.read_bytes()
        writer = subprocess.Popen(
            [sys.executable, "-c", SAVE_LOOP, str(saved_fit), str(target)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout.readline() == "saved\n"
        time.sleep(rng.uniform(0.0, 0.3))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        assert_previous_or_complete(target, previous)
    leftovers = [path for path in tmp_path.iterdir() if path != target]
    assert all(PARTIAL_MARK in path.name for path in leftovers)


@pytest.mark.sampling
def test_a_killed_fit_command_keeps_the_previous_fit(saved_fit, tmp_path):
    """SIGKILL ``workbench fit -o`` at points spread over its run, its write included."""
    target = tmp_path / "fit.nc"
    command = [WORKBENCH, "fit", "demo", "--law", "power_law", "--no-calibrate", "--json"]
    command += ["--draws", "200", "--tune", "200", "-o", str(target)]
    # The first run may compile the model; the runs killed below load it from the disk cache,
    # so they are timed by a second run.
    subprocess.run(command, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    duration = time.perf_counter() - start
    outcomes = []
    for fraction in (0.5, 0.85, 0.95, 1.0):
        previous = target.read_bytes()
        fitting = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(fraction * duration)
        fitting.send_signal(signal.SIGKILL)
        fitting.wait()
        outcomes.append(assert_previous_or_complete(target, previous))
    assert "previous" in outcomes


def test_fit_refuses_an_unwritable_output_before_sampling(tmp_path):
    for output, message in [
        (tmp_path, "is a folder"),
        (tmp_path / "missing" / "fit.nc", "there is no folder"),
    ]:
        result = subprocess.run(
            [WORKBENCH, "fit", "demo", "--law", "power_law", "-o", str(output)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and message in result.stderr
        assert str(output) in result.stderr
        assert result.stdout == ""  # refused before the fit, whose report goes to stdout
    assert os.listdir(tmp_path) == []

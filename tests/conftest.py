"""Shared fixtures. Real third-party data comes only through ``shared_data``."""

import os
from pathlib import Path

import pytest
from project_files import STALLS

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real third-party data (``../shared/data`` beside the repo).

    Set ``WORKBENCH_SHARED_DATA`` to point elsewhere. Tests that need it skip when it is absent,
    as it is in a fresh clone.
    """
    folder = Path(os.environ.get("WORKBENCH_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    if not folder.is_dir():
        pytest.skip(f"real-data test: {folder} is absent (set WORKBENCH_SHARED_DATA to its path)")
    return folder


@pytest.fixture(scope="session", autouse=True)
def private_ledger(tmp_path_factory):
    """The prediction ledger's default file, for this test session only: no test writes to the
    user's own ledger, nor does a server a test starts (it inherits the environment)."""
    path = tmp_path_factory.mktemp("ledger") / "ledger.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_LEDGER", str(path))
        yield path


def pytest_addoption(parser):
    parser.addoption(
        "--fast",
        action="store_true",
        help="the fast tier: skip every test that samples with NUTS (the full tier runs them)",
    )


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--fast"):
        return
    skip = pytest.mark.skip(reason="fast tier: samples with NUTS in another process")
    for item in items:
        if item.get_closest_marker("sampling"):
            item.add_marker(skip)


_running: dict[str, str] = {}
_reached_sampler: set[str] = set()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    _running["test"] = item.nodeid


@pytest.fixture(scope="session", autouse=True)
def fast_tier_skips_sampling(request):
    """In the fast tier, a test whose code (or fixture) reaches the compiler or the sampler is
    skipped there and then; tests that sample in other processes carry the ``sampling`` marker."""
    if not request.config.getoption("--fast"):
        yield
        return
    import nutpie

    from workbench.fitting import compiling

    def skip(*args, **kwargs):
        _reached_sampler.add(_running["test"])
        pytest.skip("fast tier: samples with NUTS")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiling, "compile_pymc_model", skip)
        patch.setattr(nutpie, "sample", skip)
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A dashboard job samples in a thread, where the skip above ends the job, not the test;
    the test then fails on the missing result. In the fast tier that is a skip too."""
    report = yield
    if report.failed and item.nodeid in _reached_sampler:
        report.outcome = "skipped"
        reason = "Skipped: fast tier: samples with NUTS"
        report.longrepr = (str(item.path), item.location[1], reason)
    return report


@pytest.fixture(scope="session")
def perchoice_comparison():
    """Both routes fitted on the lower 60 % of the simulated ladder's log compute (seed 0),
    shared by the per-choice tests of the library, the plots and the dashboard."""
    from workbench.downstream import compare_routes, simulate_choice_logs

    return compare_routes(simulate_choice_logs(random_seed=0), random_seed=0)


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller, once per run
        for report in STALLS.glob("*.txt"):
            report.unlink()


def pytest_terminal_summary(terminalreporter):
    for report in sorted(STALLS.glob("*.txt")):
        terminalreporter.section(f"stall: {report.stem}")
        terminalreporter.write_line(report.read_text()[-60_000:])

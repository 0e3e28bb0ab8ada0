"""The ledger under real concurrency: two processes writing at once, and writers killed."""

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np

from workbench.ledger import Ledger

WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from workbench.ledger import Ledger

    ledger = Ledger(sys.argv[1])
    quantiles = 2.0 + 0.01 * np.arange(-11, 12)
    print("ready", flush=True)
    sys.stdin.readline()  # go: both writers start together
    for index in range(int(sys.argv[3])):
        entry = ledger.add(
            {"quantiles": quantiles, "targets": {"N": 1e9}, "note": f"{sys.argv[2]}-{index}"}
        )
        print(entry, flush=True)
    """
)


def writer(path, name: str, count: int) -> subprocess.Popen:
    """A writer process; its errors go to ``<path>.<name>.err``, for the test to show."""
    with open(f"{path}.{name}.err", "w") as errors:
        return subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )


def errors_of(path, name: str) -> str:
    with open(f"{path}.{name}.err") as errors:
        return errors.read()


def start(process: subprocess.Popen) -> None:
    assert process.stdout.readline() == "ready\n"


def go(process: subprocess.Popen) -> None:
    process.stdin.write("go\n")
    process.stdin.close()


def test_two_processes_adding_500_each_at_once_lose_nothing(tmp_path):
    path = tmp_path / "ledger.sqlite"
    writers = {name: writer(path, name, 500) for name in ("a", "b")}
    for process in writers.values():
        start(process)
    for process in writers.values():
        go(process)
    outputs = {name: process.stdout.read() for name, process in writers.items()}
    for process in writers.values():
        process.wait(timeout=300)
        process.stdout.close()
    for name, process in writers.items():
        assert process.returncode == 0, errors_of(path, name)
    entries = Ledger(path).entries()
    assert len(entries) == 1000 and entries["uid"].is_unique and entries["id"].is_unique
    for name, output in outputs.items():
        ids = [int(line) for line in output.split()]
        notes = entries.set_index("id").loc[ids, "note"].tolist()
        assert notes == [f"{name}-{index}" for index in range(500)]


def test_a_writer_killed_at_any_point_leaves_a_valid_ledger(tmp_path):
    path = tmp_path / "ledger.sqlite"
    rng = np.random.default_rng(0)
    committed = 0
    for _ in range(6):
        process = writer(path, "killed", 100_000)
        start(process)
        go(process)
        time.sleep(rng.uniform(0.2, 0.6))
        process.send_signal(signal.SIGKILL)
        printed = len(process.stdout.read().split())
        process.wait()
        process.stdout.close()
        connection = sqlite3.connect(path)
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        connection.close()
        entries = Ledger(path).entries()
        # Every add it printed committed; at most one more committed before it could print.
        assert committed + printed <= len(entries) <= committed + printed + 1
        assert entries["median"].eq(2.0).all()
        committed = len(entries)
    assert committed > 0
    assert Ledger(path).add({"quantiles": 2.0 + 0.01 * np.arange(-11, 12), "targets": {}}) > 0

"""Which embedded database serves the prediction ledger: SQLite or DuckDB, measured.

Each store gets the ledger's write pattern: two processes at once, each adding 500 predictions,
one transaction per prediction and a fresh connection each time (as separate ``workbench ledger
add`` commands would). Prints one table: wall-clock seconds, rows stored, adds that failed, and
lock conflicts that had to be retried; plus one process adding 1,000 alone as the baseline of
the same run, and the time to read all 1,000 rows back.

- SQLite is the product's own path, ``workbench.ledger.Ledger`` (WAL, ``BEGIN IMMEDIATE``, busy
  timeout).
- DuckDB (PyPI ``duckdb``) runs in a throwaway virtual environment, never the project's, with
  the same columns. DuckDB lets one process at a time open a file for writing; its writer is
  measured both as is and retrying a lock conflict every 10 ms.

Usage::

    .venv/bin/python -m benchmarks.ledger_store
"""

import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from benchmarks.throwaway_env import throwaway_environment

DUCKDB = "duckdb==1.4.2"
PER_PROCESS = 500

SQLITE_WRITER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from workbench.ledger import Ledger

    ledger, count = Ledger(sys.argv[1]), int(sys.argv[2])
    quantiles = 2.0 + 0.01 * np.arange(-11, 12)
    sys.stdin.readline()
    failed = 0
    for index in range(count):
        try:
            ledger.add({"quantiles": quantiles, "targets": {"N": 1e9}, "note": str(index)})
        except Exception:
            failed += 1
    print(json.dumps({"failed": failed, "retries": 0}))
    """
)
DUCKDB_WRITER = textwrap.dedent(
    """
    import json, sys, time, uuid
    import duckdb

    path, count, retry = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "retry"
    columns = ", ".join(f"q{i} DOUBLE" for i in range(23))
    sys.stdin.readline()
    failed = retries = 0
    for index in range(count):
        while True:
            try:
                connection = duckdb.connect(path)
                try:
                    connection.execute(
                        "CREATE TABLE IF NOT EXISTS predictions (uid TEXT, note TEXT, "
                        f"median DOUBLE, {columns})"
                    )
                    connection.execute(
                        "INSERT INTO predictions VALUES (?, ?, ?, "
                        + ", ".join("?" for _ in range(23)) + ")",
                        [uuid.uuid4().hex, str(index), 2.0, *[2.0 + 0.01 * i for i in range(23)]],
                    )
                finally:
                    connection.close()
                break
            except duckdb.Error:
                if not retry:
                    failed += 1
                    break
                retries += 1
                time.sleep(0.01)
    print(json.dumps({"failed": failed, "retries": retries}))
    """
)


def race(commands: list[list]) -> tuple[float, list[dict]]:
    """Start every command, let them write at the same moment, and wait for all."""
    processes = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for command in commands
    ]
    time.sleep(3)  # every interpreter has imported its library and waits on stdin
    start = time.perf_counter()
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.close()
    outputs = [json.loads(process.stdout.read()) for process in processes]
    for process in processes:
        process.wait()
    return time.perf_counter() - start, outputs


def sqlite_rows(path: Path) -> tuple[int, float]:
    from workbench.ledger import Ledger

    start = time.perf_counter()
    count = len(Ledger(path).entries())
    return count, time.perf_counter() - start


def duckdb_rows(python: Path, path: Path) -> tuple[int, float]:
    script = (
        "import duckdb, sys, time; s = time.perf_counter(); "
        "c = duckdb.connect(sys.argv[1], read_only=True); "
        "n = len(c.execute('SELECT * FROM predictions').fetchall()); "
        "print(n, time.perf_counter() - s)"
    )
    count, seconds = subprocess.run(
        [python, "-c", script, path], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(count), float(seconds)


def main():
    folder = Path(tempfile.mkdtemp(prefix="ledger-store-"))
    duckdb_python = throwaway_environment(folder, DUCKDB) / "python"
    sqlite_writer = [sys.executable, "-c", SQLITE_WRITER]
    duckdb_writer = [duckdb_python, "-c", DUCKDB_WRITER]
    cases = {
        "SQLite (workbench Ledger), 1 process × 1000 (baseline)": (
            [[*sqlite_writer, "alone.sqlite", 2 * PER_PROCESS]],
            "sqlite",
            "alone.sqlite",
        ),
        "SQLite (workbench Ledger), 2 processes × 500 at once": (
            [[*sqlite_writer, "race.sqlite", PER_PROCESS]] * 2,
            "sqlite",
            "race.sqlite",
        ),
        "DuckDB, 2 processes × 500 at once": (
            [[*duckdb_writer, "race.duckdb", PER_PROCESS, "once"]] * 2,
            "duckdb",
            "race.duckdb",
        ),
        "DuckDB, 2 processes × 500 at once, retrying lock conflicts": (
            [[*duckdb_writer, "retry.duckdb", PER_PROCESS, "retry"]] * 2,
            "duckdb",
            "retry.duckdb",
        ),
    }
    print(
        "| store and writers | wall (s) | rows stored | adds failed | lock retries | read all (s) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (commands, store, file) in cases.items():
        path = folder / file
        commands = [[str(part) for part in command] for command in commands]
        commands = [[*command[:3], str(path), *command[4:]] for command in commands]
        seconds, outputs = race(commands)
        rows, read = sqlite_rows(path) if store == "sqlite" else duckdb_rows(duckdb_python, path)
        failed = sum(output["failed"] for output in outputs)
        retries = sum(output["retries"] for output in outputs)
        print(f"| {name} | {seconds:.2f} | {rows} | {failed} | {retries} | {read:.3f} |")


if __name__ == "__main__":
    main()

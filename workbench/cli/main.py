"""The ``workbench`` parser and entry point: each command's module registers its subcommand."""

import os
import sys
import warnings
from pathlib import Path

from workbench.cli import (
    batching,
    comparing,
    filtering,
    fitting,
    isoflop,
    ledger,
    observational,
    passuntil,
    perchoice,
    reporting,
    serving,
    steplaw,
    testtime,
    transfer,
)
from workbench.cli.arguments import Parser, UsageError
from workbench.fitting import FitFileError
from workbench.runs import RunTableError
from workbench.runs.datasets import DatasetError

COMMAND_MODULES = (
    fitting,
    passuntil,
    steplaw,
    isoflop,
    transfer,
    filtering,
    testtime,
    observational,
    perchoice,
    comparing,
    ledger,
    reporting,
    serving,
    batching,
)


def build_parser() -> Parser:
    parser = Parser(prog="workbench", description="Bayesian scaling laws with honest uncertainty.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv=None) -> int:
    try:
        arguments = build_parser().parse_args(argv)
        arguments.command_line = list(sys.argv[1:] if argv is None else argv)
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return arguments.handler(arguments)
    except RunTableError as error:
        # A problem found after reading, such as too few distinct runs, is still about the file.
        runs = getattr(arguments, "runs", None)
        if error.file is None and runs and Path(runs).is_file():
            error = error.in_file(runs)
        print(f"workbench: error: {error}".replace("\n", " "), file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Whatever read stdout stopped early (`workbench laws | head`): not an error to report.
        # Python would also fail flushing stdout at exit, so it is pointed at /dev/null.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a process killed by SIGPIPE, what shells expect
    except (
        UsageError,
        FitFileError,
        DatasetError,
        ValueError,
        KeyError,
        OSError,
    ) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"workbench: error: {message}".replace("\n", " "), file=sys.stderr)
        return 2


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings no command collects print as one line, not with their source line."""
    print(f"warning: {message}", file=sys.stderr)

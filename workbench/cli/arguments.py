"""What the commands share: argument types, parent parsers and reading the runs they name."""

import argparse
import difflib
import re
import sys
import tempfile
from pathlib import Path

from workbench.fitting.structure import CHECKPOINT_POLICIES
from workbench.intervals import resolve_ci_prob
from workbench.laws import get_law
from workbench.runs import demo, parse_quantity, read_runs
from workbench.runs.datasets import DATASETS, load_dataset
from workbench.runs.sources import RUN_SOURCES, read_source

ROLE_OPTIONS = ("run", "N", "D", "C", "step", "group")


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read "--N -7e10" or "--D -2T" as a (bad) value, which the target check then names,
        # rather than as an unknown option leaving --N without one.
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[A-Za-z]?$")

    def error(self, message):
        raise UsageError(message)


def whole_number(minimum: int, maximum: int | None = None):
    """An argparse type: an integer of at least ``minimum`` (and at most ``maximum``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, not {value}")
        return value

    return parse


def quantity(text: str) -> float:
    """An argparse type: a number, or a number with a suffix such as 7B or 1.4T."""
    try:
        return parse_quantity(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def probability(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, not {text}")
    return value


def parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)


def runs_arguments() -> argparse.ArgumentParser:
    """A run table (file or built-in data set), its target and its columns' roles."""
    parser = parent()
    parser.add_argument(
        "runs", help="CSV/Parquet/JSON file, or a dataset name: demo, " + ", ".join(DATASETS)
    )
    parser.add_argument("--target", default="loss", help="metric column to fit (default: loss)")
    parser.add_argument(
        "--source",
        choices=RUN_SOURCES,
        help="read RUNS from an experiment tracker's store or export instead of a table: a "
        "folder of TensorBoard runs, an MLflow tracking URI or mlruns folder, or W&B's runs-table "
        "or run-history CSV, or lm-evaluation-harness results (see workbench.runs.sources)",
    )
    parser.add_argument(
        "--source-option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an option of the --source reader, e.g. experiment=ladder, metric=eval/loss, "
        "N_param=n_params, N=1.6e8 (repeat for more)",
    )
    for role in ROLE_OPTIONS:
        parser.add_argument(
            f"--{role}",
            dest=f"column_{role}",
            metavar="COLUMN",
            help=f"column holding {role} (overrides auto-detection)",
        )
    return parser


def sampler_arguments() -> argparse.ArgumentParser:
    """NUTS draws, tuning steps, chains and seed, with the laws' defaults."""
    parser = parent()
    parser.add_argument("--draws", type=whole_number(1), default=1000)
    parser.add_argument("--tune", type=whole_number(0), default=1000)
    parser.add_argument("--chains", type=whole_number(1), default=2)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def model_sampler_arguments() -> argparse.ArgumentParser:
    """Sampling options of a command whose model sets its own draws and tuning steps."""
    parser = parent()
    parser.add_argument(
        "--draws", type=whole_number(1), help="posterior draws per chain (model default)"
    )
    parser.add_argument(
        "--tune", type=whole_number(0), help="tuning steps per chain (model default)"
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser


def ci_prob_arguments(
    help: str = "credible level of every interval (default: the project's, "
    "workbench.intervals.CI_PROB)",
    project_default: bool = True,
) -> argparse.ArgumentParser:
    """``--ci-prob``; by default the project's level, read now (the parser is built per call
    of ``main``), so that setting it in one place applies to the command line too."""
    parser = parent()
    default = resolve_ci_prob() if project_default else None
    parser.add_argument("--ci-prob", type=probability, default=default, help=help)
    return parser


def target_arguments() -> argparse.ArgumentParser:
    """``--N``, ``--D``, ``--C`` and ``--at NAME=VALUES``: the targets to predict at."""
    parser = parent()
    for name in ("N", "D", "C"):
        parser.add_argument(
            f"--{name}", nargs="+", type=quantity, help=f"target {name} values (7e10 or 70B)"
        )
    parser.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="values of another covariate of the law, comma-separated, e.g. --at U=25B "
        "(repeat for more)",
    )
    return parser


def json_arguments() -> argparse.ArgumentParser:
    parser = parent()
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def output_arguments() -> argparse.ArgumentParser:
    parser = parent()
    parser.add_argument("-o", "--output", help="save the fit to this netCDF file")
    return parser


def checkpoints_argument(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument(
        "--checkpoints", default="final", choices=tuple(CHECKPOINT_POLICIES), help=help
    )


def model_sampler(arguments) -> dict:
    """The sampler options given on the command line (the model's defaults fill the rest)."""
    given = {"draws": arguments.draws, "tune": arguments.tune}
    return {name: value for name, value in given.items() if value is not None}


def sampler_options(arguments) -> dict:
    """The sampler options of `sampler_arguments`; the progress bar only on a terminal."""
    return {
        "draws": arguments.draws,
        "tune": arguments.tune,
        "chains": arguments.chains,
        "progress_bar": not arguments.json and sys.stderr.isatty(),
    }


def split_laws(text: str) -> list[str]:
    """``--laws`` split at its commas outside parentheses: ``formula:min(a, b)`` stays whole."""
    names, depth, start = [], 0, 0
    for index, character in enumerate(text + ","):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth <= 0:
            names.append(text[start:index].strip())
            start = index + 1
    return [name for name in names if name]


def law_set(arguments) -> dict:
    """The laws named in ``--laws``, by name or ``formula:…``, with ``--covariate`` for
    one-variable laws."""
    names = split_laws(arguments.laws)
    if len(set(names)) != len(names):
        raise UsageError(f"--laws names a law more than once: {arguments.laws}")
    laws = {}
    for name in names:
        takes_covariate = arguments.covariate and "covariate" in get_law(name).options
        laws[name] = get_law(
            name, **({"covariate": arguments.covariate} if takes_covariate else {})
        )
    return laws


def source_options(assignments) -> dict:
    """``--source-option`` values by name; numbers (``1.6e8``, ``70B``) are read as numbers."""
    options = {}
    for assignment in assignments:
        name, equals, text = assignment.partition("=")
        if not equals or not name.strip():
            raise UsageError(
                f"--source-option takes NAME=VALUE, e.g. experiment=ladder; got {assignment!r}"
            )
        try:
            value = parse_quantity(text.strip())
        except ValueError:
            value = text.strip()
        options[name.strip()] = value
    return options


def load_runs(arguments):
    if arguments.source:
        options = source_options(arguments.source_option)
        return read_source(arguments.source, arguments.runs, target=arguments.target, **options)
    if arguments.source_option:
        raise UsageError("--source-option needs --source")
    mapping = {role: getattr(arguments, f"column_{role}") for role in ROLE_OPTIONS}
    mapping = {role: column for role, column in mapping.items() if column}
    builtin = arguments.runs == "demo" or arguments.runs in DATASETS
    if builtin and (mapping or arguments.target != "loss"):
        raise UsageError(
            f"column options apply to files, not to the built-in {arguments.runs!r} runs"
        )
    if arguments.runs == "demo":
        return demo()
    if arguments.runs in DATASETS:
        return load_dataset(arguments.runs)
    check_run_source(arguments.runs)
    if mapping and arguments.target != "loss":
        mapping[arguments.target] = arguments.target
    return read_runs(arguments.runs, mapping=mapping or None, target=arguments.target)


def check_output_path(path) -> None:
    """Refuse an output file that cannot be written, before any sampling is spent on it."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"-o {path} is a folder; name a file in it, e.g. {path / 'fit.nc'}")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: there is no folder {path.parent}")
    try:
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror} in {path.parent}") from None


def check_run_source(name: str) -> None:
    """A name that is no file but close to a built-in data set is a typo of it: say which."""
    if Path(name).exists() or Path(name).is_symlink():
        return
    match = difflib.get_close_matches(name, ["demo", *DATASETS], n=1)
    if match:
        raise UsageError(f"no such file or data set: {name!r}; did you mean {match[0]}?")


def print_warnings(caught, categories=Warning) -> None:
    for warning in caught:
        if issubclass(warning.category, categories):
            print(f"warning: {warning.message}", file=sys.stderr)

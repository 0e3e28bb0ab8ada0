"""The bad-input corpus: every input that must be refused gets exit code 2 and one line naming
the file, column, row or option at fault, before any sampling.

Cases run through the CLI's ``main`` in-process (an escaping exception fails the test, so a
traceback cannot pass) and, for the library, through ``read_runs``. Dashboard uploads have their
own corpus in tests/app/test_upload_corpus.py; batch specs also in tests/batch/test_batch_spec.py.
"""

import json
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main
from workbench.runs import demo


@dataclass(frozen=True)
class Case:
    category: str
    name: str
    argv: tuple[str, ...]
    """The command line; ``{dir}`` is the corpus folder, ``{fit}`` a saved chinchilla fit."""
    names: tuple[str, ...]
    """Fragments the one-line message must contain (the culprit, and the gist)."""


def demo_frame() -> pd.DataFrame:
    return demo(seed=0).final_checkpoints().data[["run", "N", "D", "loss"]]


def with_rows(frame: pd.DataFrame, column: str, values: dict) -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = frame[column].astype(object)
    for row, value in values.items():
        frame.loc[row, column] = value
    return frame


def write_files(folder) -> None:
    good = demo_frame()
    good.to_csv(folder / "good.csv", index=False)
    text = (folder / "good.csv").read_text()
    (folder / "empty.csv").write_bytes(b"")
    (folder / "header_only.csv").write_text("run,N,D,loss\n")
    (folder / "garbage.csv").write_bytes(bytes(range(256)) * 4)
    accented = good.assign(run=[f"régime-{row}" for row in range(len(good))])
    (folder / "latin1.csv").write_bytes(accented.to_csv(index=False).encode("latin-1"))
    (folder / "utf16_no_bom.csv").write_bytes(text.encode("utf-16-le"))
    (folder / "truncated.json").write_text(good.to_json(orient="records")[:-40])
    lines = good.to_json(orient="records", lines=True).splitlines()
    lines[3] = lines[3][:-5]
    (folder / "bad_line.jsonl").write_text("\n".join(lines))
    (folder / "csv_text.parquet").write_text(text)
    good.assign(N=[[value] for value in good["N"]]).to_parquet(folder / "list_cells.parquet")
    (folder / "duplicate_columns.csv").write_text(text.replace("run,N,D,loss", "run,N,N,loss"))
    (folder / "notes.txt").write_text(text)
    (folder / "semicolons.csv").write_text(text.replace(",", ";"))
    (folder / "ragged.csv").write_text(text + "extra,1,2,3,4,5\n")
    (folder / "binary.parquet").write_bytes(b"PAR1" + os.urandom(64))
    (folder / "array.json").write_text(json.dumps([1, 2, 3]))
    (folder / "scalar.json").write_text("42")
    frames = {
        "nonnumeric_N": with_rows(good, "N", {3: "big"}),
        "negative_N": good.assign(N=-good["N"]),
        "zero_D": with_rows(good, "D", {5: 0.0}),
        "nan_loss": with_rows(good, "loss", {2: np.nan}),
        "inf_loss": with_rows(good, "loss", {7: np.inf}),
        "negative_loss": with_rows(good, "loss", {1: -1.0}),
        "text_loss": with_rows(good, "loss", {4: "n/a"}),
        "quantity_loss": with_rows(good, "loss", {4: "2B"}),
        "duplicate_runs": with_rows(good, "run", {6: good["run"].iloc[5]}),
        "missing_run": with_rows(good, "run", {8: np.nan}),
        "overflowing_C": good.assign(N=1e200, D=good["D"] * 1e190),
        "no_covariates": good.rename(columns={"N": "width", "D": "steps"}),
        "no_target": good.rename(columns={"loss": "accuracy"}),
        "ambiguous_N": good.assign(params=good["N"]),
        "one_run": good.head(1),
        "three_runs": good.head(3),
        "one_point": good.assign(N=good["N"].iloc[0], D=good["D"].iloc[0]),
        "step_without_run": good.drop(columns="run").assign(step=1),
        "N_with_unit_typo": with_rows(good, "N", {2: "7 bananas"}),
        "bool_N": with_rows(good, "N", {2: True}),
    }
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "folder.csv").mkdir()
    os.symlink(folder / "loop_b.csv", folder / "loop_a.csv")
    os.symlink(folder / "loop_a.csv", folder / "loop_b.csv")
    (folder / "not_a_fit.nc").write_text("this is not netCDF\n")
    (folder / "passuntil_missing.csv").write_text("model,N,instance,attempts\na,1e8,1,10\n")
    (folder / "passuntil_too_many.csv").write_text(
        "model,N,instance,attempts,passes\na,1e8,1,10,11\nb,2e8,1,10,3\n"
    )
    (folder / "passuntil_negative.csv").write_text(
        "model,N,instance,attempts,passes\na,1e8,1,-10,1\nb,2e8,1,10,3\n"
    )
    specs = {
        "bad_yaml": "laws: [chinchilla\n",
        "nested_law": "datasets: {a: {path: good.csv}}\nlaws: [[chinchilla]]\n"
        "holdout_top_frac: 0.2\ndraws: 100\n",
        "numeric_path": "datasets: {a: {path: 5}}\nlaws: [chinchilla]\n"
        "holdout_top_frac: 0.2\ndraws: 100\n",
        "unknown_key": "datasets: {a: {path: good.csv}}\nlaws: [chinchilla]\n"
        "holdout_top_frac: 0.2\ndraws: 100\ndrawz: 5\n",
        "negative_draws": "datasets: {a: {path: good.csv}}\nlaws: [chinchilla]\n"
        "holdout_top_frac: 0.2\ndraws: -5\n",
        "fraction_above_one": "datasets: {a: {path: good.csv}}\nlaws: [chinchilla]\n"
        "holdout_top_frac: 1.5\ndraws: 100\n",
        "list_spec": "- chinchilla\n",
        "empty_spec": "",
    }
    for name, text in specs.items():
        (folder / f"{name}.yaml").write_text(text)


FIT = ("fit", "--law", "chinchilla", "--draws", "50", "--tune", "50", "--no-calibrate")


def fit_on(runs: str, *options: str) -> tuple[str, ...]:
    """A quick fit command on ``runs``; later options override the quick ones."""
    return ("fit", runs, *FIT[1:], *options)


def fit_case(name: str, file: str, *names: str) -> Case:
    return Case("values", name, fit_on(f"{{dir}}/{file}"), (file, *names))


CASES = [
    # OS-level path problems
    Case("paths", "missing file", fit_on("{dir}/absent.csv"), ("absent.csv",)),
    Case("paths", "folder as input", fit_on("{dir}/folder.csv"), ("folder.csv",)),
    Case("paths", "symlink loop", fit_on("{dir}/loop_a.csv"), ("loop_a.csv",)),
    Case("paths", "data-set typo", fit_on("chinchila_epoch"), ("did you mean chinchilla_epoch",)),
    Case("paths", "demo typo", fit_on("dmeo"), ("dmeo",)),
    Case("paths", "unknown suffix", fit_on("{dir}/notes.txt"), ("notes.txt",)),
    Case("paths", "-o is a folder", fit_on("{dir}/good.csv", "-o", "{dir}"), ("-o",)),
    Case(
        "paths",
        "-o in a missing folder",
        fit_on("{dir}/good.csv", "-o", "{dir}/nowhere/fit.nc"),
        ("nowhere",),
    ),
    Case("paths", "predict a missing fit", ("predict", "{dir}/absent.nc"), ("absent.nc",)),
    Case("paths", "predict a folder", ("predict", "{dir}/folder.csv"), ("folder.csv",)),
    Case("paths", "predict a non-fit", ("predict", "{dir}/not_a_fit.nc"), ("not_a_fit.nc",)),
    Case("paths", "predict a CSV", ("predict", "{dir}/good.csv", "--N", "1e9"), ("good.csv",)),
    Case("paths", "batch spec missing", ("batch", "{dir}/absent.yaml"), ("absent.yaml",)),
    Case("paths", "batch-report of nothing", ("batch-report", "{dir}/nowhere"), ("nowhere",)),
    # options out of range, caught before sampling
    Case("options", "negative draws", fit_on("demo", "--draws", "-5"), ("--draws", "-5")),
    Case("options", "zero draws", fit_on("demo", "--draws", "0"), ("--draws",)),
    Case("options", "fractional draws", fit_on("demo", "--draws", "1.5"), ("--draws",)),
    Case("options", "text draws", fit_on("demo", "--draws", "many"), ("--draws", "many")),
    Case("options", "negative tune", fit_on("demo", "--tune", "-1"), ("--tune",)),
    Case("options", "zero chains", fit_on("demo", "--chains", "0"), ("--chains",)),
    Case("options", "ci-prob above 1", fit_on("demo", "--ci-prob", "1.5"), ("--ci-prob",)),
    Case("options", "ci-prob 0", fit_on("demo", "--ci-prob", "0"), ("--ci-prob",)),
    Case("options", "ci-prob nan", fit_on("demo", "--ci-prob", "nan"), ("--ci-prob",)),
    Case("options", "text seed", fit_on("demo", "--seed", "abc"), ("--seed",)),
    Case("options", "unknown law", fit_on("demo", "--law", "chinchila"), ("chinchila",)),
    Case("options", "unknown covariate", fit_on("demo", "--covariate", "X"), ("--covariate",)),
    Case("options", "unknown likelihood", fit_on("demo", "--likelihood", "cauchy"), ("cauchy",)),
    Case("options", "unknown checkpoints", fit_on("demo", "--checkpoints", "all"), ("all",)),
    Case("options", "unknown command", ("fitt", "demo"), ("fitt",)),
    Case(
        "options",
        "column options on a data set",
        fit_on("demo", "--N", "params"),
        ("demo", "column options"),
    ),
    Case(
        "options",
        "mapped column absent",
        fit_on("{dir}/good.csv", "--N", "width"),
        ("width",),
    ),
    Case(
        "options",
        "target column absent",
        fit_on("{dir}/good.csv", "--target", "accuracy"),
        ("accuracy",),
    ),
    Case(
        "options",
        "zero workers",
        ("batch", "{dir}/bad_yaml.yaml", "--workers", "0"),
        ("--workers",),
    ),
    Case(
        "options", "compare one law", ("compare", "demo", "--laws", "chinchilla"), ("two or more",)
    ),
    Case(
        "options",
        "compare unknown law",
        ("compare", "demo", "--laws", "chinchilla,nope"),
        ("nope",),
    ),
    Case(
        "options",
        "backtest fraction above 1",
        ("backtest", "demo", "--laws", "chinchilla", "--holdout-top-frac", "1.5"),
        ("--holdout-top-frac",),
    ),
    Case(
        "options",
        "backtest fraction 0",
        ("backtest", "demo", "--laws", "chinchilla", "--holdout-top-frac", "0"),
        ("--holdout-top-frac",),
    ),
    Case("options", "calibrate unknown law", ("calibrate", "demo", "--laws", "nope"), ("nope",)),
    Case("options", "serve on a bad port", ("serve", "--port", "-1"), ("--port",)),
    Case(
        "options",
        "serve tiny upload limit",
        ("serve", "--max-upload-mb", "0"),
        ("--max-upload-mb",),
    ),
    Case("options", "serve no fits at once", ("serve", "--max-fits", "0"), ("--max-fits",)),
    # encodings and formats
    Case("formats", "empty file", fit_on("{dir}/empty.csv"), ("empty.csv", "empty")),
    Case("formats", "header only", fit_on("{dir}/header_only.csv"), ("header_only.csv",)),
    Case("formats", "binary garbage", fit_on("{dir}/garbage.csv"), ("garbage.csv",)),
    Case("formats", "Latin-1 text", fit_on("{dir}/latin1.csv"), ("latin1.csv", "UTF-8")),
    Case("formats", "UTF-16 without BOM", fit_on("{dir}/utf16_no_bom.csv"), ("utf16_no_bom.csv",)),
    Case("formats", "truncated JSON", fit_on("{dir}/truncated.json"), ("truncated.json", "line")),
    Case("formats", "bad JSONL line", fit_on("{dir}/bad_line.jsonl"), ("bad_line.jsonl", "line 4")),
    Case("formats", "CSV named .parquet", fit_on("{dir}/csv_text.parquet"), ("csv_text.parquet",)),
    Case("formats", "corrupt Parquet", fit_on("{dir}/binary.parquet"), ("binary.parquet",)),
    Case("formats", "Parquet list cells", fit_on("{dir}/list_cells.parquet"), ("'N'", "[")),
    Case(
        "formats",
        "duplicate column names",
        fit_on("{dir}/duplicate_columns.csv"),
        ("duplicate_columns.csv", "'N'"),
    ),
    Case("formats", "semicolon separated", fit_on("{dir}/semicolons.csv"), ("semicolons.csv",)),
    Case("formats", "ragged rows", fit_on("{dir}/ragged.csv"), ("ragged.csv",)),
    Case("formats", "JSON array of numbers", fit_on("{dir}/array.json"), ("array.json",)),
    Case("formats", "JSON scalar", fit_on("{dir}/scalar.json"), ("scalar.json",)),
    # values that cannot be a run table
    fit_case("non-numeric N", "nonnumeric_N.csv", "'N'", "big", "data row 4"),
    fit_case("negative N", "negative_N.csv", "'N'", "positive"),
    fit_case("zero D", "zero_D.csv", "'D'", "data row 6"),
    fit_case("NaN loss", "nan_loss.csv", "'loss'", "data row 3"),
    fit_case("infinite loss", "inf_loss.csv", "'loss'", "data row 8"),
    fit_case("negative loss", "negative_loss.csv", "loss", "data row 2"),
    fit_case("text loss", "text_loss.csv", "'loss'", "data row 5"),
    fit_case("quantity as loss", "quantity_loss.csv", "'loss'", "2B"),
    fit_case("duplicate run ids", "duplicate_runs.csv", "'run'", "data row 7"),
    fit_case("missing run id", "missing_run.csv", "'run'", "data row 9"),
    fit_case("C overflows", "overflowing_C.csv", "C", "floating-point range"),
    fit_case("no covariate columns", "no_covariates.csv", "width"),
    fit_case("no loss column", "no_target.csv", "accuracy"),
    fit_case("two N columns", "ambiguous_N.csv", "params"),
    fit_case("one run", "one_run.csv", "run"),
    fit_case("three runs for five parameters", "three_runs.csv", "5 parameters"),
    fit_case("one design point", "one_point.csv", "distinct"),
    fit_case("step without run ids", "step_without_run.csv", "step"),
    fit_case("unit typo", "N_with_unit_typo.csv", "'N'", "7 bananas"),
    fit_case("boolean N", "bool_N.csv", "'N'", "data row 3"),
    Case(
        "values",
        "law needs a column the table lacks",
        fit_on("{dir}/good.csv", "--law", "data_constrained", "--no-calibrate"),
        ("U",),
    ),
    Case(
        "values",
        "loss as its own covariate",
        fit_on("{dir}/good.csv", "--law", "downstream_error", "--no-calibrate"),
        ("loss",),
    ),
    # prediction targets
    Case("targets", "negative N", ("predict", "{fit}", "--N", "-7e10", "--D", "1T"), ("N",)),
    Case("targets", "zero D", ("predict", "{fit}", "--N", "7e10", "--D", "0"), ("D",)),
    Case("targets", "text N", ("predict", "{fit}", "--N", "big", "--D", "1T"), ("--N", "big")),
    Case("targets", "infinite N", ("predict", "{fit}", "--N", "inf", "--D", "1T"), ("N",)),
    Case("targets", "NaN D", ("predict", "{fit}", "--N", "7B", "--D", "nan"), ("D",)),
    Case(
        "targets",
        "lengths differ",
        ("predict", "{fit}", "--N", "1B", "2B", "3B", "--D", "1T", "2T"),
        ("N has 3", "D has 2"),
    ),
    Case(
        "targets",
        "C contradicts 6ND",
        ("predict", "{fit}", "--N", "1B", "--D", "1T", "--C", "1e30"),
        ("--C",),
    ),
    Case("targets", "covariate the law ignores", ("predict", "{fit}", "--at", "U=25B"), ("U",)),
    Case("targets", "malformed --at", ("predict", "{fit}", "--at", "U"), ("--at",)),
    Case("targets", "no targets", ("predict", "{fit}", "--N", "1B"), ("D",)),
    Case(
        "targets",
        "ci-prob above 1",
        ("predict", "{fit}", "--N", "1B", "--D", "1T", "--ci-prob", "2"),
        ("--ci-prob",),
    ),
    Case(
        "targets",
        "unknown interval",
        ("predict", "{fit}", "--N", "1B", "--D", "1T", "--interval", "wide"),
        ("wide",),
    ),
    # PassUntil logs
    Case(
        "passuntil",
        "missing passes column",
        ("passuntil", "{dir}/passuntil_missing.csv"),
        ("passes",),
    ),
    Case(
        "passuntil",
        "more passes than attempts",
        ("passuntil", "{dir}/passuntil_too_many.csv"),
        ("passes",),
    ),
    Case(
        "passuntil",
        "negative attempts",
        ("passuntil", "{dir}/passuntil_negative.csv"),
        ("attempts",),
    ),
    Case("passuntil", "empty logs", ("passuntil", "{dir}/empty.csv"), ("empty.csv",)),
    # batch specs
    Case("batch", "not YAML", ("batch", "{dir}/bad_yaml.yaml"), ("bad_yaml.yaml", "YAML")),
    Case("batch", "law is a list", ("batch", "{dir}/nested_law.yaml"), ("nested_law.yaml", "laws")),
    Case("batch", "path is a number", ("batch", "{dir}/numeric_path.yaml"), ("path",)),
    Case("batch", "unknown key", ("batch", "{dir}/unknown_key.yaml"), ("drawz",)),
    Case("batch", "negative draws", ("batch", "{dir}/negative_draws.yaml"), ("draws",)),
    Case(
        "batch",
        "fraction above 1",
        ("batch", "{dir}/fraction_above_one.yaml"),
        ("holdout_top_frac",),
    ),
    Case("batch", "spec is a list", ("batch", "{dir}/list_spec.yaml"), ("list_spec.yaml",)),
    Case("batch", "empty spec", ("batch", "{dir}/empty_spec.yaml"), ("empty_spec.yaml",)),
]


def exit_code(argv) -> int:
    """``main``'s return value, or the code argparse exits with on a bad option."""
    try:
        return main(argv)
    except SystemExit as exit:
        return exit.code


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    write_files(folder)
    fit = folder / "fit.nc"
    assert main(["fit", str(folder / "good.csv"), *FIT[1:], "-o", str(fit)]) == 0
    return folder, fit


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.category}: {case.name}")
def test_bad_input_gets_one_line_naming_the_culprit(case, corpus, capsys):
    folder, fit = corpus
    capsys.readouterr()
    argv = [part.format(dir=folder, fit=fit) for part in case.argv]
    code = exit_code(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("workbench") and "error:" in err, err
    assert "\n" not in err, err
    assert "Traceback" not in err
    for fragment in case.names:
        assert fragment in err, f"{fragment!r} not in {err!r}"

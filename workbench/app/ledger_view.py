"""The Ledger tab: record the Extrapolate tab's predictions before the runs are trained, score
them when the runs land, and see how good the recorded predictions have been."""

import io
import tempfile
from pathlib import Path

import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    chosen_file,
    csv_download,
    error_alert,
    message_alert,
    offer_csv,
    show_error,
    show_table,
)
from workbench.app.state import WorkbenchState
from workbench.intervals import percent
from workbench.ledger import (
    LEVELS,
    Ledger,
    default_path,
    describe_targets,
    plural,
    predictions_of,
    recorded_interval,
)
from workbench.plots import plot_ledger

INTRODUCTION = (
    "**Prediction ledger.** Record a prediction before paying for the run; when the run lands, "
    "enter what it measured, and the ledger scores the prediction: its error, whether its "
    "intervals held it, its interval score and its PIT. Over many predictions the reliability "
    "diagram shows whether the recorded intervals held as often as they claimed. The ledger is "
    "a file (SQLite) that `workbench ledger` on the command line reads and writes too."
)
SHOWN_COLUMNS = ["id", "created", "law", "targets", "median", "ci_low", "ci_high", "level"]
SHOWN_COLUMNS += ["observed", "covered", "pit", "note"]


class LedgerView(pn.viewable.Viewer):
    """The ledger file's predictions, a form to record and one to resolve, and the report."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    path = param.String(default="", doc="The ledger file; the user's ledger when empty.")
    note = param.String(default="", doc="What the recorded predictions are for.")
    entry = param.Integer(default=1, bounds=(1, None), doc="The id of the prediction to resolve.")
    observed = param.Number(default=None, allow_None=True, doc="What the run measured.")

    def __init__(self, state: WorkbenchState | None = None, **params):
        params.setdefault("path", str(default_path()))
        super().__init__(state=state or WorkbenchState(), **params)
        self._record_button = pn.widgets.Button(
            label="Record the Extrapolate tab's predictions", color="primary"
        )
        self._record_button.on_click(lambda event: self.record())
        self._resolve_button = pn.widgets.Button(label="Score the outcome", color="success")
        self._resolve_button.on_click(lambda event: self.resolve())
        self._import = pn.widgets.FileInput(accept=".parquet")
        self._import.param.watch(lambda *events: self.merge(), ["value", "filename"])
        self._export = pn.widgets.FileDownload(
            file=io.BytesIO(b""),
            filename="ledger.parquet",
            label="Export the ledger (Parquet)",
            embed=True,
            disabled=True,
        )
        self._download = csv_download("Download the table (CSV)", "ledger.csv")
        self._alert = error_alert()
        self._message = message_alert("success")
        self._summary = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._table = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        # Empty until an outcome is scored: a HoloViews pane cannot render an empty layout.
        self._plot = pn.pane.HoloViews(None, visible=False, sizing_mode="stretch_width")
        self._on_path()

    def ledger(self) -> Ledger:
        return Ledger(self.path.strip() or None)

    # -- actions ---------------------------------------------------------------------------
    def record(self) -> None:
        """Record the predictions the Extrapolate tab shows, at the session's credible level."""
        predictor = self.state.ensemble if self.state.ensemble is not None else self.state.fit
        predictions = self.state.predictions
        if predictor is None or predictions is None:
            self.say(error="Nothing to record: fit a law and predict in the Extrapolate tab first.")
            return
        ci_prob = self.state.ci_prob
        if ci_prob not in LEVELS:
            levels = ", ".join(f"{percent(level)} %" for level in LEVELS)
            self.say(
                error=f"The ledger keeps intervals at {levels}; set the credible level to one."
            )
            return
        names = [name for name in ("N", "D", "C") if name in predictions]
        names += [
            name
            for name in getattr(predictor, "covariates", predictor.law.covariates)
            if name in predictions and name not in names
        ]
        targets = predictions[predictions["kind"] == "observation"][names].drop_duplicates()
        with tempfile.TemporaryDirectory() as folder:
            # The fit's hash is that of the file it would be saved as.
            saved = predictor.save(Path(folder) / "fit.nc")
            records = predictions_of(
                predictor,
                saved,
                ci_prob=ci_prob,
                note=self.note.strip() or None,
                warn=False,
                **{name: targets[name].to_numpy() for name in names},
            )
        for record in records:
            record["fit_file"] = None
        try:
            ids = self.ledger().add_many(records)
        except (OSError, ValueError) as error:
            self.say(error=f"Could not record: {error}")
            return
        numbers = ", ".join(map(str, ids))
        self.say(message=f"Recorded {plural(len(ids), 'prediction')}: id {numbers}.")
        self._on_path()

    def resolve(self) -> None:
        """Store what the run measured for prediction ``entry``, and score it."""
        if self.observed is None:
            self.say(error="Enter what the run measured, then score it.")
            return
        try:
            entry = self.ledger().resolve(self.entry, self.observed)
        except (OSError, ValueError) as error:
            self.say(error=f"Could not score: {error}")
            return
        level = percent(entry["ci_prob"])
        inside = "inside" if entry[f"covered_{level}"] else "outside"
        self.say(
            message=f"Prediction {entry['id']}: observed {entry['observed']:g} against a median "
            f"of {entry['median']:.4f}, {inside} its {level} % interval; PIT {entry['pit']:.2f}."
        )
        self._on_path()

    def merge(self) -> None:
        """Merge a Parquet export (another person's ledger) into this one."""
        chosen = chosen_file(self._import)
        if chosen is None:
            return
        content, filename = chosen
        with tempfile.TemporaryDirectory() as folder:
            incoming = Path(folder) / "export.parquet"
            incoming.write_bytes(content)
            try:
                counts = self.ledger().import_parquet(incoming)
            except (OSError, ValueError) as error:
                reason = str(error).replace(str(incoming), filename)
                self.say(error=f"Could not merge {filename}: {reason}")
                return
        self.say(
            message=f"Merged {filename}: {counts['added']} added, {counts['resolved']} resolved, "
            f"{counts['unchanged']} already here."
        )
        self._on_path()

    def say(self, *, message: str = "", error: str = "") -> None:
        show_error(self._alert, error)
        show_error(self._message, message)

    # -- display ---------------------------------------------------------------------------
    @param.depends("path", watch=True)
    def _on_path(self) -> None:
        ledger = self.ledger()
        try:
            records = ledger.records()
            report = ledger.report()
        except (OSError, ValueError) as error:
            self.say(error=f"Could not read the ledger: {error}")
            return
        table = shown_table(records)
        show_table(self._table, table)
        offer_csv(self._download, table if records else None)
        self._export.disabled = not records
        if records:
            buffer = io.BytesIO()
            ledger.entries().drop(columns="id").to_parquet(buffer, index=False)
            self._export.file = io.BytesIO(buffer.getvalue())
        self._summary.object = summary_text(report)
        resolved = bool(report["resolved"])
        self._plot.param.update(object=plot_ledger(report) if resolved else None, visible=resolved)

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(INTRODUCTION, sizing_mode="stretch_width"),
            pn.widgets.TextInput.from_param(self.param.path, label="Ledger file", width=520),
            pn.Row(
                pn.widgets.TextInput.from_param(self.param.note, label="Note", width=320),
                self._record_button,
            ),
            pn.Row(
                pn.widgets.IntInput.from_param(self.param.entry, label="Prediction id", width=140),
                pn.widgets.FloatInput.from_param(
                    self.param.observed, label="Observed value", width=180
                ),
                self._resolve_button,
            ),
            self._alert,
            self._message,
            self._summary,
            self._table,
            pn.Row(
                self._download,
                self._export,
                pn.pane.Markdown("Merge an export (Parquet):", margin=(12, 5, 0, 20)),
                self._import,
            ),
            self._plot,
            sizing_mode="stretch_width",
        )


def shown_table(records: list[dict]) -> pd.DataFrame:
    """One row per prediction: its targets in words, its interval at its own level, outcome."""
    rows = []
    for record in records:
        low, high = recorded_interval(record)
        level = percent(record["ci_prob"])
        rows.append(
            record
            | {
                "targets": describe_targets(record),
                "ci_low": low,
                "ci_high": high,
                "level": f"{level} %",
                "covered": None if record["observed"] is None else bool(record[f"covered_{level}"]),
            }
        )
    return pd.DataFrame(rows, columns=SHOWN_COLUMNS)


def summary_text(report: dict) -> str:
    """The report in a sentence or two."""
    head = (
        f"{plural(report['predictions'], 'prediction')} in `{report['ledger']}`: "
        f"{report['resolved']} "
        f"resolved, {report['unresolved']} waiting for their run."
    )
    if not report["resolved"]:
        return head
    return (
        f"{head} Coverage {report['coverage_50']:.2f} at 50 % and {report['coverage_90']:.2f} "
        f"at 90 %; mean relative error {100 * report['mean_relative_error']:.2f} %, mean "
        f"interval score {report['mean_interval_score']:.4f}, mean PIT {report['mean_pit']:.2f}."
    )

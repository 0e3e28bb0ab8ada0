"""The Data tab: choose or upload runs, check the detected column roles, see the table."""

import io
import os

import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    UPLOAD_SUFFIXES,
    StaleNote,
    check_upload_size,
    error_alert,
    plot_or_alert,
    read_uploaded,
    show_error,
    show_table,
    take_upload,
    watch_upload,
)
from workbench.app.jobs import limit_from_environment, run_in_thread
from workbench.app.state import WorkbenchState
from workbench.plots import plot_runs
from workbench.runs import RunTable, RunTableError, demo, from_frame
from workbench.runs.datasets import DATASETS, load_dataset
from workbench.runs.readers import read_frame
from workbench.runs.schema import ROLE_ALIASES, normalize_name, resolve_roles
from workbench.runs.sources import (
    is_wandb_export,
    read_lm_eval_runs,
    read_mlflow,
    tensorboard_folder_runs,
    unzipped,
    wandb_runs_frame,
    zip_source,
)
from workbench.runs.units import parse_quantity

MAX_UPLOAD_ENVIRONMENT_VARIABLE = "WORKBENCH_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB = 50.0
MAX_ROWS_VARIABLE = "WORKBENCH_MAX_ROWS"
DEFAULT_MAX_ROWS = 200_000
NONE = "(none)"
INITIAL = "Initial runs"
DEMO = "Demo runs"
UPLOADED = "Uploaded file"
ROLE_LABELS = {
    "run": "Run id",
    "N": "N (parameters)",
    "D": "D (tokens)",
    "C": "C (FLOPs)",
    "step": "Step",
    "group": "Group",
}
LOSS_ALIASES = {normalize_name(alias) for alias in ROLE_ALIASES["loss"]}


def max_rows_from_environment() -> int:
    return int(limit_from_environment(MAX_ROWS_VARIABLE, DEFAULT_MAX_ROWS))


def check_rows(filename: str, rows: int, max_rows: int) -> None:
    """``ValueError`` naming ``workbench serve --max-rows`` when an upload has more rows."""
    if rows > max_rows:
        raise ValueError(
            f"Could not read {filename!r}: it has {rows:,} rows, above this server's limit of "
            f"{max_rows:,} (workbench serve --max-rows raises it)"
        )


def max_upload_mb_from_environment() -> float:
    """``$WORKBENCH_MAX_UPLOAD_MB`` (set by ``workbench serve --max-upload-mb``), else 50."""
    value = os.environ.get(MAX_UPLOAD_ENVIRONMENT_VARIABLE, "")
    try:
        return float(value) if value.strip() else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        return DEFAULT_MAX_UPLOAD_MB


def dataset_label(name: str) -> str:
    return f"Public data: {name} (downloads)"


class DataView(pn.viewable.Viewer):
    """Load runs (demo, public data set or upload), map columns to roles and validate them.

    It starts on the state's runs if the state has some (``Workbench(runs=...)``), else on the
    demo runs.
    """

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    source = param.Selector(
        default=DEMO, objects=[DEMO], doc="Where the runs come from: demo, a data set or upload."
    )
    final_only = param.Boolean(
        default=True,
        doc="Keep only the last checkpoint of each run, as for fitting final losses.",
    )
    max_upload_mb = param.Number(
        default=DEFAULT_MAX_UPLOAD_MB,
        bounds=(0, None),
        doc="Largest accepted upload, in megabytes (2**20 bytes).",
    )
    max_rows = param.Integer(
        default=DEFAULT_MAX_ROWS,
        bounds=(1, None),
        doc="Most rows of an accepted upload (workbench serve --max-rows).",
    )

    tensorboard_metric = param.String(
        default="train/loss", doc="The TensorBoard tag of the loss, for a zipped log folder."
    )
    lm_eval_task = param.String(
        default="", doc="The task of a zipped lm-evaluation-harness output (blank: its only one)."
    )
    lm_eval_D = param.String(
        default="", doc="Tokens every model of an lm-evaluation-harness output saw, e.g. 300B."
    )
    mlflow_uri = param.String(
        default="", doc="MLflow tracking URI, or the path of an mlruns folder."
    )
    mlflow_experiment = param.String(default="", doc="The MLflow experiment's name.")
    mlflow_N = param.String(default="N", doc="The MLflow param that holds N.")
    mlflow_D = param.String(default="D", doc="The MLflow param that holds D (tokens at the end).")
    mlflow_loss = param.String(default="loss", doc="The MLflow metric logged by step.")

    def __init__(self, state: WorkbenchState | None = None, **params):
        params.setdefault("max_upload_mb", max_upload_mb_from_environment())
        params.setdefault("max_rows", max_rows_from_environment())
        super().__init__(state=state or WorkbenchState(), **params)
        initial_runs = self.state.runs
        self._frames: dict[str, pd.DataFrame] = {}
        self._roles: dict[str, dict[str, str]] = {}  # a source's roles, when known, not detected
        self._archive: tuple[bytes, str] | None = None  # the last upload, if a zip
        self._uploaded_name = ""
        self._runs_name = INITIAL  # how messages name the runs in use
        self._syncing = False
        sources = [DEMO, *(dataset_label(name) for name in DATASETS)]
        if initial_runs is not None:
            self._frames[INITIAL] = initial_runs.data
            sources.insert(0, INITIAL)
        self.param.source.objects = [*sources, UPLOADED]
        self._file_input = pn.widgets.FileInput(accept=",".join([*UPLOAD_SUFFIXES, ".zip"]))
        self._mlflow_button = pn.widgets.Button(label="Load from MLflow", color="primary")
        self._mlflow_button.on_click(lambda event: pn.state.execute(self.load_mlflow))
        self._source_select = pn.widgets.Select.from_param(self.param.source, label="Source")
        self._final_checkbox = pn.widgets.Checkbox.from_param(
            self.param.final_only, label="Final checkpoints only"
        )
        self._role_selects = {
            role: pn.widgets.Select(label=label, options=[NONE], value=NONE, width=160)
            for role, label in ROLE_LABELS.items()
        }
        self._target_select = pn.widgets.Select(
            label="Target", options=[NONE], value=NONE, width=160
        )
        self._alert = error_alert()
        self._stale = StaleNote(state=self.state, about="runs")
        self._summary = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._table = pn.widgets.Tabulator(
            pd.DataFrame(),
            disabled=True,
            pagination="remote",
            page_size=15,
            show_index=False,
            sizing_mode="stretch_width",
        )
        self._plot = pn.Column(sizing_mode="stretch_width")
        # An empty file changes only the name (see chosen_file).
        watch_upload(self._file_input, self.read_upload, self._accept_upload, self._fail)
        for select in (*self._role_selects.values(), self._target_select):
            select.param.watch(self._on_role_change, "value")
        if initial_runs is not None:
            self._syncing = True  # the initial table is already validated: keep it as given
            try:
                self.source = INITIAL
            finally:
                self._syncing = False
            self._show_frame(initial_runs.data, roles=canonical_roles(initial_runs))
            self._show_runs(initial_runs)
        else:
            self._frames[DEMO] = demo().data
            self.source = DEMO
            self._show_frame(self._frames[DEMO])
            self._validate()

    # -- loading ---------------------------------------------------------------------------
    @param.depends("source", watch=True)
    async def _on_source(self):
        if self._syncing:
            return
        if self.source == UPLOADED and UPLOADED not in self._frames:
            return
        if self.source not in self._frames:
            try:
                self._frames[self.source] = await self._fetch(self.source)
            except Exception as error:
                self._fail(f"Could not load {self.source}: {error}")
                return
        self._show_frame(self._frames[self.source], self._roles.get(self.source))
        self._validate()

    async def _fetch(self, source: str) -> pd.DataFrame:
        if source == DEMO:
            return demo().data
        name = next(name for name in DATASETS if dataset_label(name) == source)
        self._summary.object = f"Downloading {name} ..."
        # A download can take a minute; the server's event loop must not wait for it.
        return (await run_in_thread(load_dataset, name)).data

    def _accept_upload(self, frame: pd.DataFrame, filename: str) -> None:
        self._frames[UPLOADED] = frame
        self._uploaded_name = filename
        if self.source == UPLOADED:
            self._show_frame(frame, self._roles.get(UPLOADED))
            self._validate()
        else:
            self.source = UPLOADED  # _on_source shows and validates it

    def read_upload(self, content: bytes, filename: str) -> pd.DataFrame:
        """The uploaded bytes as a DataFrame; ``ValueError`` with a readable message if not.

        A ``.zip`` is a TensorBoard log folder (one subfolder per run) or an
        lm-evaluation-harness output (one run per model, the task's error its target); a table
        whose columns carry W&B's ``config.``/``summary.`` prefixes is a W&B runs export."""
        self._roles.pop(UPLOADED, None)
        self._archive = None
        if filename.lower().endswith(".zip"):
            self._archive = content, filename
            runs = self.read_archive_upload(content, filename)
            self._roles[UPLOADED] = canonical_roles(runs)
            frame = runs.data
        else:
            frame = read_uploaded(content, filename, self.max_upload_mb, read_frame, "run table")
            if is_wandb_export(frame):
                frame = wandb_runs_frame(frame)
        if len(frame.columns) < 2 or len(frame) == 0:
            raise ValueError(
                f"Could not read {filename!r} as a run table: found {len(frame)} row(s) and the "
                f"columns {list(map(str, frame.columns))}; a run table needs a size column (N, D "
                "or C) and a target column, with one row per run"
            )
        check_rows(filename, len(frame), self.max_rows)
        return frame

    @param.depends("tensorboard_metric", "lm_eval_task", "lm_eval_D", watch=True)
    def _reread_archive(self) -> None:
        """Read the uploaded zip again with the changed tag, task or tokens."""
        if self._archive is not None:
            take_upload(*self._archive, self.read_upload, self._accept_upload, self._fail)

    def read_archive_upload(self, content: bytes, filename: str) -> RunTable:
        """The runs of a zipped TensorBoard log folder or lm-evaluation-harness output."""
        check_upload_size(content, filename, self.max_upload_mb)
        try:
            with unzipped(io.BytesIO(content)) as root:
                if zip_source(root) == "tensorboard":
                    return tensorboard_folder_runs(root, self.tensorboard_metric, "loss")
                tokens = parse_quantity(self.lm_eval_D) if self.lm_eval_D.strip() else None
                return read_lm_eval_runs(root, self.lm_eval_task.strip() or None, D=tokens)
        except RunTableError as error:
            raise ValueError(f"Could not read {filename!r}: {error}") from None

    async def load_mlflow(self) -> None:
        """Read the experiment the MLflow form names, off the event loop, as an upload."""
        if not (self.mlflow_uri.strip() and self.mlflow_experiment.strip()):
            self._fail("Give the MLflow tracking URI (or mlruns folder) and the experiment.")
            return
        options = {
            "N_param": self.mlflow_N.strip(),
            "D_param": self.mlflow_D.strip(),
            "loss_metric": self.mlflow_loss.strip(),
        }
        self._summary.object = f"Reading MLflow experiment {self.mlflow_experiment!r} ..."
        try:
            runs = await run_in_thread(
                read_mlflow, self.mlflow_uri.strip(), self.mlflow_experiment.strip(), **options
            )
        except RunTableError as error:
            self._fail(f"Could not read from MLflow: {error}")
            return
        self._accept_upload(runs.data, f"MLflow experiment {self.mlflow_experiment.strip()}")

    # -- roles and validation --------------------------------------------------------------
    def _show_frame(self, frame: pd.DataFrame, roles: dict[str, str] | None = None) -> None:
        """Point the role selectors at ``frame``'s columns, with detected roles selected."""
        self._frame = frame
        roles = detect_roles(frame) if roles is None else roles
        columns = [str(column) for column in frame.columns]
        self._syncing = True
        try:
            for role, select in self._role_selects.items():
                select.param.update(options=[NONE, *columns], value=roles.get(role, NONE))
            target = roles.get("loss", NONE)
            self._target_select.param.update(options=[NONE, *columns], value=target)
        finally:
            self._syncing = False

    def _on_role_change(self, event):
        if not self._syncing:
            self._validate()

    @param.depends("final_only", watch=True)
    def _validate(self) -> None:
        """Build the run table from the current frame and roles, or show why it cannot be."""
        try:
            runs = self.build_runs()
        except RunTableError as error:
            self._fail(f"Invalid run table: {error}", frame=self._frame)
            return
        show_error(self._alert)
        self._runs_name = self._source_name()
        self.state.param.update(runs=runs, error="", stale_runs="")
        self._show_runs(runs)

    def build_runs(self) -> RunTable:
        """The run table of the current frame under the roles chosen in the selectors."""
        mapping = {
            role: select.value
            for role, select in self._role_selects.items()
            if select.value != NONE
        }
        column = self._target_select.value
        if column == NONE:
            target = "loss"
        else:
            target = "loss" if normalize_name(column) in LOSS_ALIASES else column
            mapping[target] = column
        unset = [role for role, select in self._role_selects.items() if select.value == NONE]
        frame = without_detected(self._frame, mapping, target, unset)
        runs = from_frame(frame, mapping, target)
        return runs.final_checkpoints() if self.final_only else runs

    def _source_name(self) -> str:
        """How messages name the current source: the uploaded file, the data set or the demo."""
        if self.source == UPLOADED:
            return repr(self._uploaded_name)
        return next((name for name in DATASETS if dataset_label(name) == self.source), self.source)

    def _fail(self, message: str, frame: pd.DataFrame | None = None) -> None:
        """Show why the runs were not loaded; ``frame``, if given, is shown as read."""
        show_error(self._alert, message)
        self._summary.object = "**Not loaded.**"
        if frame is not None:
            show_table(self._table, frame)
        self.state.param.update(error=message, stale_runs=self._stale_note(frame is not None))

    def _stale_note(self, shows_rejected: bool) -> str:
        """What the Data tab still shows of the previous runs, which stay in use."""
        runs = self.state.runs
        if runs is None:
            return ""
        previous = f"the previous runs ({self._runs_name}, {len(runs)} rows)"
        if shows_rejected:
            return (
                f"Stale: {previous} are still in use, as the plot shows; the table shows the "
                "rejected data as read."
            )
        return f"Stale: the table and plot below still show {previous}, which stay in use."

    def _show_runs(self, runs: RunTable) -> None:
        derived = f"; derived: {', '.join(sorted(runs.derived))}" if runs.derived else ""
        roles = ", ".join(f"{role} ← {column!r}" for role, column in runs.source_columns.items())
        self._summary.object = (
            f"**{len(runs)} rows** · target `{runs.target}` · roles: {roles}{derived}"
        )
        show_table(self._table, runs.data)
        self._plot[:] = [plot_or_alert(plot_runs, runs)]

    def __panel__(self):
        roles = pn.FlexBox(*self._role_selects.values(), self._target_select)
        controls = pn.Row(
            self._source_select,
            pn.Column(
                pn.pane.Markdown(
                    "Upload CSV, Parquet or JSON (a W&B runs export too), or a zipped "
                    "TensorBoard log folder or lm-evaluation-harness output"
                ),
                self._file_input,
            ),
            pn.widgets.TextInput.from_param(
                self.param.tensorboard_metric, label="TensorBoard loss tag", width=160
            ),
            pn.widgets.TextInput.from_param(
                self.param.lm_eval_task, label="lm-eval task", width=140
            ),
            pn.widgets.TextInput.from_param(
                self.param.lm_eval_D, label="lm-eval tokens (D)", width=140
            ),
            self._final_checkbox,
        )
        mlflow = pn.Card(
            pn.Row(
                pn.widgets.TextInput.from_param(
                    self.param.mlflow_uri, label="Tracking URI", width=300
                ),
                pn.widgets.TextInput.from_param(
                    self.param.mlflow_experiment, label="Experiment", width=180
                ),
                pn.widgets.TextInput.from_param(self.param.mlflow_N, label="N param", width=110),
                pn.widgets.TextInput.from_param(self.param.mlflow_D, label="D param", width=110),
                pn.widgets.TextInput.from_param(
                    self.param.mlflow_loss, label="Loss metric", width=130
                ),
                self._mlflow_button,
            ),
            title="Import from MLflow",
            collapsed=True,
            sizing_mode="stretch_width",
        )
        return pn.Column(
            controls,
            mlflow,
            pn.pane.Markdown("**Column roles** (detected; change them if a guess is wrong)"),
            roles,
            self._alert,
            self._stale,
            self._summary,
            self._table,
            self._plot,
            sizing_mode="stretch_width",
        )


def canonical_roles(runs: RunTable) -> dict[str, str]:
    """Roles of a run table's own (canonical) columns, as the selectors show them."""
    roles = {role: role for role in (*ROLE_LABELS, runs.target) if runs.has(role)}
    if runs.target != "loss":
        roles["loss"] = roles.pop(runs.target, None) or runs.target
    return roles


def detect_roles(frame: pd.DataFrame) -> dict[str, str]:
    """Roles recognised from column names; per role when the table as a whole does not resolve."""
    try:
        return resolve_roles(frame, None, "loss")
    except RunTableError:
        pass
    roles = {}
    for role, aliases in ROLE_ALIASES.items():
        names = {normalize_name(alias) for alias in aliases}
        matches = [column for column in frame.columns if normalize_name(column) in names]
        if len(matches) == 1 and matches[0] not in roles.values():
            roles[role] = str(matches[0])
    return roles


def without_detected(frame: pd.DataFrame, mapping: dict, target: str, unset: list[str]):
    """``frame`` without columns that detection would give to roles the user set to none."""
    try:
        detected = resolve_roles(frame, mapping, target)
    except RunTableError:
        return frame
    dropped = [detected[role] for role in unset if role in detected and role not in mapping]
    return frame.drop(columns=dropped) if dropped else frame

"""The PassUntil tab's logs: upload or simulate them, and their per-size estimates."""

import io

import numpy as np
import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    UPLOAD_SUFFIXES,
    check_upload_size,
    error_alert,
    read_uploaded,
    show_error,
    show_table,
    take_upload,
    watch_upload,
)
from workbench.app.data_view import (
    DEFAULT_MAX_ROWS,
    check_rows,
    max_rows_from_environment,
    max_upload_mb_from_environment,
)
from workbench.app.passuntil.session import PassUntilSession
from workbench.app.state import WorkbenchState
from workbench.emergence import (
    InstanceLaw,
    passuntil_estimate,
    read_passuntil,
    simulate_passuntil,
)
from workbench.runs import RunTableError, parse_quantity
from workbench.runs.sources import parse_model_sizes, read_lm_eval_samples, unzipped

# The population of instance laws the "Simulate logs" button draws from: the settings of
# tests/emergence (censored at the smallest sizes, PU near 0.5 at the largest).
SIMULATION_LAW = InstanceLaw(
    mu_log_c=1.0, sd_log_c=0.8, mu_alpha=0.4, sd_alpha=0.08, reference_N=1e9
)
DEFAULT_SIZES = "100M, 250M, 630M, 1.6B, 4B, 10B"
INTRODUCTION = (
    "**PassUntil** (Hu et al. 2023): each test instance is sampled until it passes, or until a "
    "budget cap. Upload logs with columns `N`, `instance`, `attempts`, `passes` and optionally "
    "`model` and `max_attempts` (one row per model and instance), or simulate some. A zipped "
    "lm-evaluation-harness output of a generation task run with `repeats` and `--log_samples` "
    "gives them too: name each model's parameters beside the upload."
)


def parse_sizes(text: str) -> np.ndarray:
    """Comma-separated quantities ("100M, 1e9, 10B") as an array; ``ValueError`` if not."""
    sizes = np.array([parse_quantity(part.strip()) for part in text.split(",") if part.strip()])
    if sizes.size == 0:
        raise ValueError("give at least one model size, e.g. 10B or 1e10")
    if not np.all(np.isfinite(sizes) & (sizes > 0)):
        raise ValueError(f"model sizes must be positive, got {text!r}")
    return sizes


class PassUntilLogsView(pn.viewable.Viewer):
    """Upload or simulate PassUntil logs; show how many and their per-size r/K estimates."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    session = param.ClassSelector(class_=PassUntilSession, doc="The tab's logs, fit and test.")
    sizes = param.String(default=DEFAULT_SIZES, doc="Model sizes N to simulate, comma-separated.")
    instances = param.Integer(default=100, bounds=(2, 10_000), doc="Instances to simulate.")
    budget = param.Integer(
        default=2000, bounds=(1, 10_000_000), doc="Attempt cap per instance in simulations."
    )
    seed = param.Integer(default=0, bounds=(0, 2**32 - 1), doc="Seed of the simulation.")
    lm_eval_sizes = param.String(
        default="",
        doc="Each model's parameters, for zipped lm-evaluation-harness samples: MODEL=N, "
        "comma-separated (EleutherAI/pythia-160m=160M, ...).",
    )
    lm_eval_task = param.String(
        default="", doc="The task of zipped lm-evaluation-harness samples (blank: every one)."
    )
    max_upload_mb = param.Number(
        default=50.0, bounds=(0, None), doc="Largest accepted upload, in megabytes."
    )
    max_rows = param.Integer(
        default=DEFAULT_MAX_ROWS, bounds=(1, None), doc="Most rows of an upload (--max-rows)."
    )

    def __init__(self, **params):
        params.setdefault("max_upload_mb", max_upload_mb_from_environment())
        params.setdefault("max_rows", max_rows_from_environment())
        super().__init__(**params)
        self._origin = "given"
        self._file_input = pn.widgets.FileInput(accept=",".join([*UPLOAD_SUFFIXES, ".zip"]))
        self._archive: tuple[bytes, str] | None = None  # the last upload, if a zip
        self._sizes_input = pn.widgets.TextInput.from_param(
            self.param.sizes, label="Sizes N (parameters)", width=300
        )
        self._simulation_inputs = [
            pn.widgets.IntInput.from_param(self.param.instances, label="Instances", width=100),
            pn.widgets.IntInput.from_param(self.param.budget, label="Budget (attempts)", width=130),
            pn.widgets.IntInput.from_param(self.param.seed, label="Seed", width=90),
        ]
        self._simulate_button = pn.widgets.Button(label="Simulate logs", color="light")
        self._data_alert = error_alert()
        self._summary = pn.pane.Markdown("No PassUntil logs yet: upload or simulate some.")
        self._estimates = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        # An empty file changes only the name (see chosen_file).
        watch_upload(self._file_input, self._read_upload, self._accept_upload, self._fail)
        self._simulate_button.on_click(lambda event: self.simulate())

    def _read_upload(self, content: bytes, filename: str):
        self._archive = None
        if filename.lower().endswith(".zip"):
            self._archive = content, filename
            logs = self._read_lm_eval_samples(content, filename)
        else:
            logs = read_uploaded(
                content, filename, self.max_upload_mb, read_passuntil, "PassUntil logs"
            )
        check_rows(filename, len(logs), self.max_rows)
        return logs

    def _read_lm_eval_samples(self, content: bytes, filename: str):
        check_upload_size(content, filename, self.max_upload_mb)
        try:
            sizes = parse_model_sizes(
                part for part in self.lm_eval_sizes.split(",") if part.strip()
            )
            with unzipped(io.BytesIO(content)) as root:
                counts = read_lm_eval_samples(root, sizes, self.lm_eval_task.strip() or None)
            return read_passuntil(counts)
        except (RunTableError, ValueError) as error:
            raise ValueError(f"Could not read {filename!r}: {error}") from None

    @param.depends("lm_eval_sizes", "lm_eval_task", watch=True)
    def _reread_archive(self) -> None:
        """Read the uploaded zip again with the changed sizes or task."""
        if self._archive is not None:
            take_upload(*self._archive, self._read_upload, self._accept_upload, self._fail)

    def _accept_upload(self, logs, filename: str) -> None:
        self._origin = f"from {filename}"
        self.session.passuntil = logs

    def simulate(self) -> None:
        """Simulated logs from ``SIMULATION_LAW`` at ``sizes`` become the session's logs."""
        try:
            sizes = parse_sizes(self.sizes)
        except ValueError as error:
            self._fail(f"Could not simulate: {error}")
            return
        self._origin = f"simulated, seed {self.seed}"
        self.session.passuntil = simulate_passuntil(
            SIMULATION_LAW, sizes, self.instances, self.budget, self.seed
        )

    def _fail(self, message: str) -> None:
        show_error(self._data_alert, message)
        self.state.error = message
        if self.session.passuntil is not None:
            self._summary.object = (
                f"**Not loaded.** The previous logs ({len(self.session.passuntil)} rows) are "
                "still in use."
            )

    @param.depends("session.passuntil", watch=True)
    def _on_logs(self):
        logs = self.session.passuntil
        show_error(self._data_alert)
        if logs is None:
            return
        self._summary.object = (
            f"**{len(logs)} rows** ({self._origin}) · "
            f"{len(logs.instances)} instances × {logs.sizes.size} sizes · "
            f"{int(logs.censored.sum())} censored (no pass within the cap)"
        )
        show_table(self._estimates, passuntil_estimate(logs))

    def __panel__(self):
        upload = pn.Column(
            pn.pane.Markdown(
                "Upload PassUntil logs (CSV, Parquet or JSON), or a zipped lm-evaluation-harness "
                "output"
            ),
            self._file_input,
            pn.widgets.TextInput.from_param(
                self.param.lm_eval_sizes, label="lm-eval model sizes (MODEL=N, ...)", width=300
            ),
            pn.widgets.TextInput.from_param(
                self.param.lm_eval_task, label="lm-eval task", width=140
            ),
        )
        simulation = pn.Column(
            pn.pane.Markdown("Or simulate logs"),
            self._sizes_input,
            pn.Row(*self._simulation_inputs),
            self._simulate_button,
        )
        return pn.Column(
            pn.pane.Markdown(INTRODUCTION, sizing_mode="stretch_width"),
            pn.Row(upload, simulation),
            self._data_alert,
            self._summary,
            self._estimates,
            sizing_mode="stretch_width",
        )

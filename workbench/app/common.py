"""Small pieces the views share: error alerts, plot panes, tables of numbers, number formatting
and the weights of an auto fit."""

import io
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import holoviews as hv
import holoviews.plotting.bokeh
import holoviews.plotting.mpl  # registers Matplotlib, for PNG export
import pandas as pd
import panel as pn
import param
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from workbench.app.state import WorkbenchState
from workbench.backtesting import LawEnsemble
from workbench.fitting import ScalingLawFit
from workbench.runs import RunTableError
from workbench.runs.errors import UnreadableFileError
from workbench.runs.readers import FORMATS

UPLOAD_SUFFIXES = tuple(FORMATS)
"""File name suffixes an upload may have: the formats ``read_runs`` reads."""

# The plot functions set options, which needs a loaded backend. Importing the backends, unlike
# hv.extension, displays nothing in a notebook; Bokeh stays the default for the dashboard.
hv.Store.set_current_backend("bokeh")


PLAIN_TEXT_RULES = {
    "normalize", "block", "inline", "text_join", "paragraph", "text", "newline", "balance_pairs",
    "fragments_join",
}  # fmt: skip
"""The markdown-it rules that only split text into paragraphs; ``verbatim`` turns off the rest."""


def verbatim(parser) -> None:
    """A markdown-it plugin that shows text as written.

    Messages quote column names and placeholders such as ``'<column>'`` or ``6*N*D``, which
    Markdown would turn into (invisible) HTML tags or emphasis.
    """
    active = parser.get_active_rules().values()
    parser.disable([rule for chain in active for rule in chain if rule not in PLAIN_TEXT_RULES])


def message_alert(alert_type: str) -> pn.pane.Alert:
    """A hidden alert that shows its text as written."""
    return pn.pane.Alert(
        "",
        alert_type=alert_type,
        visible=False,
        plugins=[verbatim],
        disable_math=True,
        sizing_mode="stretch_width",
    )


def error_alert() -> pn.pane.Alert:
    """A hidden red alert that ``show_error`` fills in."""
    return message_alert("danger")


def formula_law_name(text: str) -> str | None:
    """The law name of a formula box's text (``formula:…``), or None when the box is blank."""
    return f"formula:{text.strip()}" if text.strip() else None


def markdown_literal(text: str) -> str:
    """``text`` escaped so that Markdown shows a formula law's label as written: its ``**`` and
    ``*`` stay operators instead of turning into bold and italics. (Names hold ``_`` only within
    words, where Markdown does not read it as emphasis.)"""
    return re.sub(r"([\\`*])", r"\\\1", str(text))


def number_inputs(viewer, labels: dict[str, str], width: int) -> list[pn.widgets.FloatInput]:
    """A number box for each of ``viewer``'s parameters named in ``labels``, with its label."""
    return [
        pn.widgets.FloatInput.from_param(viewer.param[name], name=label, width=width)
        for name, label in labels.items()
    ]


def show_error(alert: pn.pane.Alert, message: str = "") -> None:
    """Show ``message`` in ``alert``, or hide the alert when it is empty."""
    alert.param.update(object=message, visible=bool(message))


def show_failure(alert: pn.pane.Alert, state, controls, message: str) -> None:
    """A job that could not run: said in place (``alert``) and in the session (``state.error``),
    with the job's status line cleared."""
    show_error(alert, message)
    state.error = message
    controls.status = ""


def watch_upload(
    file_input: pn.widgets.FileInput,
    read: Callable[[bytes, str], object],
    accept: Callable[[object, str], None],
    fail: Callable[[str], None],
) -> None:
    """For each file chosen in ``file_input``, ``accept(read(content, filename), filename)``, or
    ``fail(message)`` when ``read`` raises ``ValueError``."""

    def on_choice(*events) -> None:
        chosen = chosen_file(file_input)
        if chosen is not None:
            take_upload(*chosen, read, accept, fail)

    file_input.param.watch(on_choice, ["value", "filename"])


def take_upload(
    content: bytes,
    filename: str,
    read: Callable[[bytes, str], object],
    accept: Callable[[object, str], None],
    fail: Callable[[str], None],
) -> None:
    """``accept(read(content, filename), filename)``, or ``fail(message)`` when ``read`` raises
    ``ValueError``: an upload, or one read again after the options of its reading changed."""
    try:
        value = read(content, filename)
    except ValueError as error:
        fail(str(error))
        return
    accept(value, filename)


def chosen_file(file_input: pn.widgets.FileInput) -> tuple[bytes, str] | None:
    """The content and name of the file just chosen in ``file_input``; None once it is cleared.

    Panel reports a 0-byte file as ``value=None``, as if there were none; its name tells them
    apart, so that an empty file is refused with a message like any other bad file.
    """
    if not file_input.filename:
        return None
    return file_input.value or b"", file_input.filename


def check_upload_size(content: bytes, filename: str, max_upload_mb: float) -> None:
    """``ValueError`` naming ``workbench serve --max-upload-mb`` for an upload above it."""
    megabytes = len(content) / 2**20
    if megabytes > max_upload_mb:
        raise ValueError(
            f"Could not read {filename!r}: it is {megabytes:.1f} MB, above the upload limit of "
            f"{max_upload_mb:g} MB (workbench serve --max-upload-mb raises it)"
        )


def read_uploaded(content: bytes, filename: str, max_upload_mb: float, read, what: str):
    """``read(path)`` of uploaded bytes saved under their name's suffix; ``ValueError`` with a
    readable message, naming the user's file, when it is too large, not of a format the
    workbench reads, unreadable, or invalid as ``what`` (e.g. "PassUntil logs")."""
    check_upload_size(content, filename, max_upload_mb)
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ValueError(
            f"Could not read {filename!r}: its name must end in one of {', '.join(UPLOAD_SUFFIXES)}"
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)
        try:
            return read(path)
        except RunTableError as error:
            if not isinstance(error, UnreadableFileError):
                # The message names the reader's temporary copy; the user knows their file.
                reason = str(error).removeprefix(f"{path}: ")
                raise ValueError(f"Invalid {what} in {filename!r}: {reason}") from None
            problem = error
        except Exception as error:
            # Any other reader failure (bad encoding, broken Parquet, malformed JSON) means the
            # same to the user: the file is not a table we can read.
            problem = error
    reason = str(problem).replace(str(path), repr(filename))
    raise ValueError(f"Could not read {filename!r} as {suffix[1:].upper()}: {reason}") from None


class StaleNote(pn.viewable.Viewer):
    """A yellow note, shown while the state says that the runs or the fit on screen are the
    previous ones because loading or fitting new ones failed."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    about = param.Selector(
        default="fit", objects=["runs", "fit"], doc="Whether the note is about the runs or the fit."
    )

    def __init__(self, state: WorkbenchState | None = None, **params):
        super().__init__(state=state or WorkbenchState(), **params)
        self._alert = message_alert("warning")
        self._on_state()

    @param.depends("state.stale_runs", "state.stale_fit", watch=True)
    def _on_state(self):
        text = self.state.stale_runs if self.about == "runs" else self.state.stale_fit
        self._alert.param.update(object=text, visible=bool(text))

    def __panel__(self):
        return self._alert


def plot_or_alert(function, *args, **kwargs):
    """``function(*args, **kwargs)`` as a pane, or an alert saying why it could not be drawn.

    Plots are a view of a fit; one that fails (e.g. a law without a compute optimum) should not
    take the rest of the page with it.
    """
    try:
        plot = function(*args, **kwargs)
    except Exception as error:
        return pn.pane.Alert(
            f"Could not draw this plot: {error}", alert_type="warning", sizing_mode="stretch_width"
        )
    return pn.pane.HoloViews(plot, sizing_mode="stretch_width")


SIGNIFICANT_DIGITS = 4
READABLE_RANGE = (1e-3, 1e5)
"""Sizes of numbers that tables write out in full; smaller and larger ones are written in
scientific notation (``8.011e+18``)."""
COUNT_COLUMNS = frozenset({"ess", "ess_bulk", "ess_tail"})
"""Columns of counts that are estimated, not counted, so hold fractions: shown as whole numbers."""
NUMBER_FORMAT = pn.io.JSCode(
    f"""function(cell, params) {{
  let value = cell.getValue();
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  if (params.whole) value = Math.round(value);
  const size = Math.abs(value);
  if (size !== 0 && (size < {READABLE_RANGE[0]} || size >= {READABLE_RANGE[1]})) {{
    return value.toExponential({SIGNIFICANT_DIGITS - 1});
  }}
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", {{maximumSignificantDigits: {SIGNIFICANT_DIGITS}}});
}}"""
)
"""The one way tables write numbers (a Tabulator formatter): up to SIGNIFICANT_DIGITS
significant digits inside READABLE_RANGE, scientific notation outside it, whole numbers as they
are, and whole numbers only when ``params.whole`` is set."""


def number_columns(frame: pd.DataFrame) -> list:
    return [
        column
        for column in frame.columns
        if is_numeric_dtype(frame[column]) and not is_bool_dtype(frame[column])
    ]


def show_table(table: pn.widgets.Tabulator, frame: pd.DataFrame) -> None:
    """Show ``frame`` in ``table``, its numbers written by NUMBER_FORMAT and aligned right.

    Tabulator's default writes every digit (``8,011,000,000,000,000.0``, ``1,773.879988``); the
    table keeps the numbers themselves, so that its columns still sort by value.
    """
    numbers = number_columns(frame)
    table.param.update(
        formatters={
            column: {"type": NUMBER_FORMAT, "whole": column in COUNT_COLUMNS} for column in numbers
        },
        text_align=dict.fromkeys(numbers, "right"),
        value=frame,
    )


def csv_download(label: str, filename: str, **options) -> pn.widgets.FileDownload:
    """A download of a table as CSV, disabled until ``offer_csv`` gives it a table.

    The CSV is embedded in the page, so that every click is a download in the browser alone.
    Made on the server at each click instead, clicks that reach the server close together
    would merge into one (Panel keeps the latest click count of a busy widget), and a download
    would be lost.
    """
    return pn.widgets.FileDownload(
        file=io.StringIO(""), filename=filename, label=label, embed=True, disabled=True, **options
    )


def offer_csv(download: pn.widgets.FileDownload, table: pd.DataFrame | None) -> None:
    """Embed ``table`` as CSV in ``download``, or disable it when there is no table."""
    download.disabled = table is None
    if table is not None:
        # After enabling: the browser does not update the link of a disabled button, and
        # enabling it brings back the link it had before.
        download.file = io.StringIO(table.to_csv(index=False))


def short_number(value: float) -> str:
    """``70000000000.0`` -> ``7e+10``, for labels and messages."""
    return f"{value:.4g}"


def ensemble_weights(ensemble: LawEnsemble) -> pd.DataFrame:
    """Every law an auto fit considered, heaviest first: its weight in the mixture (0 when
    dropped) and what the weights were stacked on (``lfo``, or ``psis-loo`` for small tables)."""
    laws = list(ensemble.considered_)
    table = pd.DataFrame(
        {
            "law": laws,
            "weight": [float(ensemble.weights_.get(law, 0.0)) for law in laws],
            "source": ensemble.weights_from_,
        }
    )
    return table.sort_values("weight", ascending=False, kind="stable", ignore_index=True)


def top_fit(ensemble: LawEnsemble) -> ScalingLawFit:
    """The fit of the law with the largest stacking weight."""
    return ensemble.fits_[ensemble.weights_.idxmax()]

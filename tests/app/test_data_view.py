"""DataView: uploads, role selection and validation errors, driven through its widgets."""

import html
import io

import pandas as pd

from workbench.app import DataView, WorkbenchState


def upload(view: DataView, content: bytes, filename: str = "runs.csv") -> None:
    view._file_input.param.update(filename=filename, value=content)


def test_starts_with_demo_runs_when_given_none():
    state = WorkbenchState()
    DataView(state=state)
    assert state.runs is not None and len(state.runs) == 40


def test_csv_upload_sets_the_runs(demo_csv):
    state = WorkbenchState()
    view = DataView(state=state)
    upload(view, demo_csv)
    assert len(state.runs) == 40
    assert state.runs.derived == {"C"}
    assert view.source == "Uploaded file"
    assert not view._alert.visible
    assert len(view._table.value) == 40


def test_every_format_the_reader_knows_uploads(demo_runs):
    frame = demo_runs.data[["run", "N", "D", "loss"]]
    for filename, content in (
        ("runs.parquet", frame.to_parquet()),
        ("runs.json", frame.to_json(orient="records").encode()),
        ("runs.jsonl", frame.to_json(orient="records", lines=True).encode()),
        ("runs.tsv", frame.to_csv(sep="\t", index=False).encode()),
    ):
        state = WorkbenchState()
        upload(DataView(state=state), content, filename)
        assert len(state.runs) == 40, filename


def test_garbage_upload_shows_an_error_and_keeps_the_runs():
    state = WorkbenchState()
    view = DataView(state=state)
    before = state.runs
    upload(view, b"\x00\xff\xfe\x89PNG garbage bytes")
    assert view._alert.visible
    assert view._alert.object.startswith("Could not read 'runs.csv'")
    assert "Traceback" not in view._alert.object
    assert state.runs is before
    upload(view, b"just some text\nwith lines\n")
    assert view._alert.object.startswith("Could not read")
    assert state.runs is before


def test_negative_n_names_the_column_and_rows(demo_runs):
    frame = demo_runs.data[["run", "N", "D", "loss"]].copy()
    frame.loc[3, "N"] = -5.0
    state = WorkbenchState()
    view = DataView(state=state)
    before = state.runs
    upload(view, frame.to_csv(index=False).encode())
    message = view._alert.object
    assert message.startswith("Invalid run table:")
    assert "column 'N'" in message and "data row 4" in message
    assert state.runs is before
    assert state.error == message


def test_oversize_upload_is_refused(demo_csv):
    state = WorkbenchState()
    view = DataView(state=state, max_upload_mb=0.001)
    before = state.runs
    upload(view, demo_csv)
    assert "above the upload limit of 0.001 MB" in view._alert.object
    assert state.runs is before


def test_upload_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "7")
    assert DataView().max_upload_mb == 7


def test_upload_with_too_many_rows_is_refused_naming_the_option(demo_csv):
    state = WorkbenchState()
    view = DataView(state=state, max_rows=10)
    before = state.runs
    upload(view, demo_csv)
    assert "it has 40 rows, above this server's limit of 10" in view._alert.object
    assert "--max-rows" in view._alert.object
    assert state.runs is before


def test_row_limit_comes_from_the_environment(monkeypatch):
    assert DataView().max_rows == 200_000
    monkeypatch.setenv("WORKBENCH_MAX_ROWS", "500")
    assert DataView().max_rows == 500


def test_role_select_change_revalidates(demo_runs):
    frame = demo_runs.data[["run", "N", "D", "loss"]].rename(columns={"N": "width", "D": "tokens"})
    frame["size_guess"] = frame["width"] * 2
    state = WorkbenchState()
    view = DataView(state=state)
    upload(view, frame.to_csv(index=False).encode())
    # "width" is not a known name for N: D alone is a covariate, so the table is valid without N.
    assert not state.runs.has("N")
    view._role_selects["N"].value = "width"
    assert state.runs.has("N") and state.runs.derived == {"C"}
    assert state.runs.source_columns["N"] == "width"
    view._role_selects["N"].value = "size_guess"
    assert state.runs.column("N")[0] == 2 * frame["width"][0]
    # Clearing a role whose column would be detected by name keeps it cleared.
    view._role_selects["D"].value = "(none)"
    assert not state.runs.has("D")


def test_target_select_picks_another_metric(demo_runs):
    frame = demo_runs.data[["run", "N", "D", "loss"]].assign(perplexity=lambda f: 2 ** f["loss"])
    state = WorkbenchState()
    view = DataView(state=state)
    upload(view, frame.to_csv(index=False).encode())
    view._target_select.value = "perplexity"
    assert state.runs.target == "perplexity"


def test_final_checkpoints_checkbox():
    state = WorkbenchState()
    view = DataView(state=state)
    view._final_checkbox.value = False
    assert len(state.runs) == 320
    view._final_checkbox.value = True
    assert len(state.runs) == 40


def test_failed_dataset_download_shows_a_readable_error(monkeypatch):
    from workbench.app import data_view
    from workbench.runs.datasets import DatasetError

    def offline(name):
        raise DatasetError("could not download: offline")

    monkeypatch.setattr(data_view, "load_dataset", offline)
    state = WorkbenchState()
    view = DataView(state=state)
    before = state.runs
    view.source = data_view.dataset_label("chinchilla_epoch")
    assert view._alert.object.startswith("Could not load Public data: chinchilla_epoch")
    assert "offline" in view._alert.object
    assert state.runs is before


def test_table_round_trips_through_csv(demo_csv):
    state = WorkbenchState()
    upload(DataView(state=state), demo_csv)
    frame = pd.read_csv(io.BytesIO(demo_csv))
    assert list(state.runs.data["run"]) == list(frame["run"])


def test_empty_file_from_the_browser_is_refused_by_name(browser_upload):
    state = WorkbenchState()
    view = DataView(state=state)
    before = state.runs
    browser_upload(view._file_input, b"", "empty.csv")
    assert view._alert.visible
    assert view._alert.object.startswith("Could not read 'empty.csv' as CSV")
    assert "is empty" in view._alert.object
    assert state.runs is before


def test_empty_file_after_a_good_one_of_the_same_name_is_refused(browser_upload, demo_csv):
    state = WorkbenchState()
    view = DataView(state=state)
    browser_upload(view._file_input, demo_csv, "runs.csv")
    uploaded = state.runs
    browser_upload(view._file_input, b"", "runs.csv")
    assert view._alert.object.startswith("Could not read 'runs.csv'")
    assert state.runs is uploaded


def stale_note(view) -> str:
    alert = view._stale._alert
    return alert.object if alert.visible else ""


def test_failed_upload_marks_the_previous_runs_stale_until_a_load_succeeds(demo_csv):
    state = WorkbenchState()
    view = DataView(state=state)
    upload(view, demo_csv, "good.csv")
    assert stale_note(view) == ""
    upload(view, b"\x00\xff garbage", "bad.csv")
    assert stale_note(view) == (
        "Stale: the table and plot below still show the previous runs ('good.csv', 40 rows), "
        "which stay in use."
    )
    assert state.stale_runs == stale_note(view)
    upload(view, b"N,D,loss\n1e8,2e9,3.1\n-2e8,4e9,3.0\n", "negative.csv")
    assert "('good.csv', 40 rows) are still in use" in stale_note(view)
    assert "the table shows the rejected data as read" in stale_note(view)
    view.source = "Demo runs"
    assert stale_note(view) == "" and state.stale_runs == ""


def test_failed_upload_over_the_demo_names_the_demo():
    view = DataView()
    upload(view, b"", "empty.csv")
    assert "previous runs (Demo runs, 40 rows)" in stale_note(view)


def test_error_alert_shows_placeholders_and_symbols_as_written():
    view = DataView()
    upload(view, b"N,name\n1e8,a\n2e8,b\n", "no_target.csv")
    message = view._alert.object
    assert "mapping={'loss': '<column>'} (CLI: --target <column>)" in message
    # Markdown would drop '<column>' as an unknown HTML tag; the alert shows it as text.
    assert "&lt;column&gt;" in rendered_html(view._alert, message)
    assert "6*N*D and 7*B" in rendered_html(view._alert, "6*N*D and 7*B")


def rendered_html(alert, text: str) -> str:
    """The HTML the browser puts on the page for ``text`` in ``alert``."""
    return html.unescape(alert._transform_object(text)["object"])


def test_missing_target_suggests_the_users_column():
    view = DataView()
    upload(view, b"N,D,perplexity\n1e8,2e9,20\n2e8,4e9,18\n", "perplexity.csv")
    assert "mapping={'loss': 'perplexity'} (CLI: --target perplexity)" in view._alert.object

"""The Per-choice tab without a browser: simulated logs at first, uploads with their compute,
errors in place, and a finished comparison's table and plots."""

import asyncio
import json
from base64 import b64encode

import numpy as np
import panel as pn

from workbench.app import WorkbenchState
from workbench.app.perchoice_view import PerChoiceView
from workbench.downstream import simulate_choice_logs
from workbench.downstream.samples import sample_lines


def upload(view: PerChoiceView, files: dict[str, bytes]) -> None:
    view._file_input._process_events(
        {
            "value": [b64encode(content).decode() for content in files.values()],
            "filename": list(files),
            "mime_type": ["application/jsonl"] * len(files),
        }
    )


def test_opens_on_simulated_logs_and_says_so():
    view = PerChoiceView(state=WorkbenchState())
    assert "**13 models** (simulated, seed 0), 300 items × 4 choices" in view._data_summary.object
    assert "simulated" in pn.panel(view).objects[0].object
    assert len(view._models.value) == 13
    assert "No fit yet" in view._result_note.object


def test_uploaded_logs_need_each_models_compute():
    view = PerChoiceView(state=WorkbenchState())
    upload(view, {"bad.jsonl": b"doc_id,target\n"})
    assert "Could not read the logs: 'bad.jsonl', line 1 is not JSON" in view._data_alert.object
    logs = simulate_choice_logs(compute=[1e19, 1e20, 1e21], random_seed=1)
    files = {
        f"{model}.jsonl": "\n".join(
            sample_lines(logs.doc_ids, logs.targets, logs.loglikelihoods[index])
        ).encode()
        for index, model in enumerate(logs.models)
    }
    upload(view, files)
    assert view.compute == "sim-1e19=\nsim-1e20=\nsim-1e21="
    assert "'sim-1e19=' is not MODEL=FLOPs" in view._data_alert.object
    view.compute = "sim-1e19=1e19\nsim-1e20=1e20\nsim-1e21=1e21"
    assert not view._data_alert.visible
    assert view._data_summary.object.startswith("**3 models** (uploaded), 300 items")
    np.testing.assert_array_equal(view.logs.loglikelihoods, logs.loglikelihoods)


def test_fit_errors_show_in_place():
    view = PerChoiceView(state=WorkbenchState())
    view.holdout_above = "lots"
    asyncio.run(view.start_fit())
    assert "Could not fit: hold-out compute: cannot read 'lots'" in view._fit_alert.object
    view.holdout_above = "3e19"
    asyncio.run(view.start_fit())
    assert "Could not fit: holding out above 3e+19 FLOPs leaves 2 of 13" in view._fit_alert.object
    assert view.comparison is None


def test_a_comparison_shows_its_table_note_and_plots(perchoice_comparison):
    state = WorkbenchState()
    view = PerChoiceView(state=state, comparison=perchoice_comparison)
    table = view._predictions.value
    assert len(table) == 5 and "perchoice_ci_low_90" in table
    assert "**Per-choice laws**: mean absolute error 0.0" in view._result_note.object
    assert all(isinstance(pane, pn.pane.HoloViews) for pane in view._plots.objects)
    state.ci_prob = 0.8
    assert "direct_ci_high_80" in view._predictions.value
    json.dumps(perchoice_comparison.scores())

"""ExtrapolateView: targets, predictions table (of one law or of an auto fit's stacked laws), CSV
download and the compute-optimal table."""

import numpy as np
import pandas as pd
import pytest

from workbench.app import ExtrapolateView, WorkbenchState

COLUMNS = ["N", "D", "C", "kind", "median", "ci_low_90", "ci_high_90"]
COLUMNS += ["distance", "interval", "beyond_evidence"]


def fresh(fitted_state) -> WorkbenchState:
    return WorkbenchState(runs=fitted_state.runs, fit=fitted_state.fit)


def test_prediction_table_matches_fit_predict(fitted_state):
    state = fresh(fitted_state)
    view = ExtrapolateView(state=state)
    view._inputs["N"].value = "70e9"
    view._inputs["D"].value = "1.4T"
    view._predict_button.clicks += 1
    expected = state.fit.predict({"N": [70e9], "D": [1.4e12]})
    table = view._table.value
    assert list(table.columns) == COLUMNS
    pd.testing.assert_frame_equal(table, expected)
    assert not view._download.disabled


def test_before_predict_the_plot_marks_the_target_in_the_fields(fitted_state):
    view = ExtrapolateView(state=WorkbenchState(runs=fitted_state.runs))
    view.state.fit = fitted_state.fit
    assert (view.target_N, view.target_D) == ("70B", "1.4T")
    overlay = view._plot[0].object
    (marker,) = [element for element in overlay if element.label == "targets"]
    assert marker.dimension_values("C")[0] == pytest.approx(6 * 70e9 * 1.4e12)


def test_csv_download_is_exactly_fit_predict(fitted_state, embedded_csv):
    state = fresh(fitted_state)
    view = ExtrapolateView(state=state, target_N="70B", target_D="1.4e12")
    view.predict()
    downloaded = embedded_csv(view._download)
    expected = state.fit.predict({"N": [70e9], "D": [1.4e12]})
    assert list(downloaded.columns) == COLUMNS
    labels = ["kind", "interval", "beyond_evidence"]
    np.testing.assert_allclose(
        downloaded.drop(columns=labels).to_numpy(), expected.drop(columns=labels).to_numpy()
    )
    pd.testing.assert_frame_equal(downloaded[labels], expected[labels])
    assert view._download.label == "Download predictions (CSV)"


def test_targets_accumulate_and_clear(fitted_state):
    view = ExtrapolateView(state=fresh(fitted_state), target_N="7B", target_D="140B")
    view.add_target()
    view.param.update(target_N="70B", target_D="1.4T")
    view.predict()
    assert len(view.targets) == 2
    assert len(view.state.predictions) == 4
    view.clear_targets()
    assert view.targets == [] and view.state.predictions is None
    assert view._download.disabled


def test_invalid_target_shows_an_error(fitted_state):
    view = ExtrapolateView(state=fresh(fitted_state), target_N="seventy", target_D="1.4T")
    view.predict()
    assert view._alert.object.startswith("Invalid target:")
    assert "seventy" in view._alert.object
    assert view.state.predictions is None


def test_compute_optimal_table_has_tokens_per_parameter(fitted_state):
    view = ExtrapolateView(state=fresh(fitted_state))
    table = view._optimal_table.value
    assert list(table["C"]) == [1e21, 1e22, 1e23, 1e24]
    assert "tokens_per_parameter" in table.columns
    assert view._optimal.visible
    view.compute_budgets = "1e23, banana"
    assert view._optimal_alert.object.startswith("Invalid compute budgets")


def test_labels_for_the_browser_tests(fitted_state):
    view = ExtrapolateView(state=fresh(fitted_state))
    assert view._inputs["N"].label == "Target N (parameters)"
    assert view._inputs["D"].label == "Target D (tokens)"
    assert view._inputs["C"].label == "Target C (FLOPs)"
    assert view._inputs["N"].visible and not view._inputs["C"].visible
    assert view._predict_button.label == "Predict"


def test_law_with_a_covariate_the_tab_cannot_set_explains_instead_of_crashing():
    from workbench.fitting import ScalingLawFit

    # The inputs are checked against the law before any draw is used, so no sampling is needed.
    state = WorkbenchState(fit=ScalingLawFit("data_constrained"))
    view = ExtrapolateView(state=state)
    assert not view._optimal.visible
    view.predict()
    assert "data_constrained also needs U" in view._alert.object
    assert "--at U=" in view._alert.object
    assert view.targets == []


def fresh_auto(auto_fit_view) -> WorkbenchState:
    state = auto_fit_view.state
    return WorkbenchState(runs=state.runs, fit=state.fit, ensemble=state.ensemble)


def test_auto_predictions_are_the_stacked_mixture(auto_fit_view):
    state = fresh_auto(auto_fit_view)
    view = ExtrapolateView(state=state, target_N="70B", target_D="1.4T")
    # C follows from N and D for the power law in C; the tab asks only for N and D.
    assert [name for name, box in view._inputs.items() if box.visible] == ["N", "D"]
    view.predict()
    table = view._table.value
    expected = state.ensemble.predict({"N": [70e9], "D": [1.4e12]})
    assert list(table.columns) == COLUMNS
    pd.testing.assert_frame_equal(table, expected)
    assert (table["interval"] == "calibrated").all() and not table["beyond_evidence"].any()
    assert 1.8 < table.loc[table["kind"] == "mean", "median"].iloc[0] < 2.1
    assert not view._alert.visible and not view._download.disabled


def test_auto_shows_the_weights_of_every_law_considered(auto_fit_view):
    state = fresh_auto(auto_fit_view)
    view = ExtrapolateView(state=state)
    assert view._ensemble.visible
    weights = view._weights.value
    assert list(weights.columns) == ["law", "weight", "source"]
    assert set(weights["law"]) == set(state.ensemble.considered_)
    assert weights["weight"].sum() == pytest.approx(1.0)
    assert weights["law"].iloc[0] == state.fit.law.label == "chinchilla"
    assert weights["weight"].iloc[0] == pytest.approx(state.ensemble.weights_["chinchilla"])
    assert (weights["source"] == "lfo").all()
    assert "**chinchilla**, the law with the largest weight" in view._ensemble_note.object
    # A fit of one law afterwards hides them.
    state.param.update(fit=auto_fit_view.state.fit, ensemble=None)
    assert not view._ensemble.visible and view._weights.value.empty


def test_auto_target_far_beyond_the_runs_warns(auto_fit_view):
    view = ExtrapolateView(state=fresh_auto(auto_fit_view), target_N="1e15", target_D="1e18")
    view.predict()
    assert view._alert.visible and view._alert.object.startswith("Beyond the evidence:")
    assert "decades past the training runs" in view._alert.object
    assert view.state.predictions["beyond_evidence"].all()

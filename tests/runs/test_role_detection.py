import numpy as np
import pandas as pd
import pytest

from workbench.runs import RunTableError, from_frame


def test_detects_epoch_style_names():
    frame = pd.DataFrame(
        {
            "Model Size": [1e8, 2e8, 4e8],
            "Training FLOP": [6e18, 1.2e19, 2.4e19],
            "loss": [3, 2.9, 2.8],
        }
    )
    runs = from_frame(frame)
    assert dict(runs.source_columns) == {"N": "Model Size", "C": "Training FLOP", "loss": "loss"}
    assert list(runs.data.columns) == ["run", "N", "D", "C", "loss"]
    np.testing.assert_allclose(runs.column("D"), [1e10, 1e10, 1e10])
    assert runs.derived == frozenset({"D"})
    assert runs.data["run"].tolist() == ["run-0", "run-1", "run-2"]


@pytest.mark.parametrize(
    ("names", "roles"),
    [
        (["params", "tokens", "val_loss"], ["N", "D", "loss"]),
        (["num_params", "num_tokens", "eval_loss"], ["N", "D", "loss"]),
        (["N_params", "D_tokens", "final_loss"], ["N", "D", "loss"]),
        (["non-embedding params", "tokens seen", "Validation Loss"], ["N", "D", "loss"]),
        (["Parameters", "Dataset_Size", "train_loss"], ["N", "D", "loss"]),
        (["model_size", "C_flops", "loss"], ["N", "C", "loss"]),
        (["n_params", "compute", "LOSS"], ["N", "C", "loss"]),
    ],
)
def test_detects_common_covariate_and_loss_names(names, roles):
    frame = pd.DataFrame(dict(zip(names, [[1e8, 2e8], [3e9, 5e9], [3.0, 2.9]], strict=True)))
    runs = from_frame(frame)
    assert {role: runs.source_columns[role] for role in roles} == dict(
        zip(roles, names, strict=True)
    )


def test_detects_run_step_group_seed_and_keeps_other_columns_after_them():
    frame = pd.DataFrame(
        {
            "notes": ["a", "b"],
            "Seed": [1, 2],
            "family": ["gpt", "gpt"],
            "iteration": [10, 20],
            "Run_Name": ["x", "x"],
            "loss": [3.0, 2.5],
            "params": [1e8, 1e8],
            "tokens": [1e9, 2e9],
        }
    )
    runs = from_frame(frame)
    expected = ["run", "N", "D", "C", "loss", "step", "group", "seed", "notes"]
    assert list(runs.data.columns) == expected
    assert runs.data["notes"].tolist() == ["a", "b"]
    assert runs.data["step"].tolist() == [10, 20]
    assert runs.data["seed"].tolist() == [1, 2]


def test_mapping_overrides_detection():
    frame = pd.DataFrame(
        {"params": [1.0, 2.0], "size": [5e8, 6e8], "tokens": [1e9, 1e9], "loss": [3.0, 2.0]}
    )
    runs = from_frame(frame, mapping={"N": "size"})
    np.testing.assert_array_equal(runs.column("N"), [5e8, 6e8])
    assert runs.data["params"].tolist() == [1.0, 2.0]


def test_mapping_names_the_target_and_other_targets_need_exact_columns():
    frame = pd.DataFrame({"N": [1e8, 2e8], "bpb": [1.1, 1.0], "acc": [0.3, 0.4]})
    runs = from_frame(frame, mapping={"loss": "bpb"})
    np.testing.assert_array_equal(runs.y, [1.1, 1.0])
    accuracy = from_frame(frame, target="acc")
    assert accuracy.target == "acc"
    np.testing.assert_array_equal(accuracy.y, [0.3, 0.4])


def test_mapping_to_a_missing_column_lists_available_columns():
    frame = pd.DataFrame({"N": [1e8], "loss": [3.0]})
    with pytest.raises(RunTableError, match=r"'Tokens'.*available columns: \['N', 'loss'\]"):
        from_frame(frame, mapping={"D": "Tokens"})


def test_unknown_role_in_mapping_is_refused():
    frame = pd.DataFrame({"N": [1e8], "loss": [3.0]})
    with pytest.raises(RunTableError, match="unknown role 'params'"):
        from_frame(frame, mapping={"params": "N"})


def test_two_columns_for_one_role_ask_for_a_mapping():
    frame = pd.DataFrame({"params": [1e8], "n_params": [1e8], "loss": [3.0]})
    with pytest.raises(RunTableError, match=r"several columns could be 'N'.*mapping=") as caught:
        from_frame(frame)
    assert caught.value.column == "params"
    runs = from_frame(frame, mapping={"N": "n_params"})
    assert runs.source_columns["N"] == "n_params"


def test_missing_target_says_how_to_map_it():
    frame = pd.DataFrame({"N": [1e8], "perplexity": [20.0]})
    with pytest.raises(RunTableError) as caught:
        from_frame(frame)
    message = str(caught.value)
    assert "['N', 'perplexity']" in message
    # The one numeric column no role claims is named, not a placeholder.
    assert "mapping={'loss': 'perplexity'} (CLI: --target perplexity)" in message
    assert caught.value.column == "loss"


def test_missing_target_lists_the_columns_it_could_be():
    frame = pd.DataFrame({"N": [1e8], "perplexity": [20.0], "accuracy": [0.3], "name": ["a"]})
    with pytest.raises(RunTableError) as caught:
        from_frame(frame)
    assert (
        "mapping={'loss': '<column>'} (CLI: --target <column>), <column> being one of "
        "['perplexity', 'accuracy']"
    ) in str(caught.value)


def test_missing_target_without_candidates_keeps_the_placeholder():
    frame = pd.DataFrame({"N": [1e8], "name": ["a"]})
    with pytest.raises(RunTableError, match=r"mapping=\{'loss': '<column>'\} \(CLI"):
        from_frame(frame)


def test_no_covariate_suggests_the_unclaimed_numeric_column():
    frame = pd.DataFrame({"width": [1e8, 2e8], "loss": [3.0, 2.9]})
    with pytest.raises(RunTableError) as caught:
        from_frame(frame)
    assert "mapping={'N': 'width'} (CLI: --N width)" in str(caught.value)


def test_target_other_than_loss_is_not_guessed():
    frame = pd.DataFrame({"N": [1e8], "loss": [3.0]})
    with pytest.raises(RunTableError, match="no target column 'accuracy'"):
        from_frame(frame, target="accuracy")

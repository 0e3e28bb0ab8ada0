"""Reading lm-evaluation-harness ``--log_samples`` logs of multiple-choice tasks: the format its
current and older versions write, and one-line errors for files that are not such logs."""

import json

import numpy as np
import pytest

from workbench.downstream import (
    LogSamplesError,
    combine_logs,
    parse_compute,
    read_choice_logs,
    read_log_samples,
    simulate_choice_logs,
    write_choice_logs,
)

# As lm-evaluation-harness 0.4 writes them: numbers as strings, the target as a string.
CURRENT = [
    {
        "doc_id": 1,
        "target": "2",
        "arguments": {"gen_args_0": {"arg_0": "Q: 1+1?\nA:", "arg_1": " 1"}},
        "resps": [[["-2.5", "False"]], [["-3.25", "False"]], [["-0.5", "True"]]],
        "filtered_resps": [["-2.5", "False"], ["-3.25", "False"], ["-0.5", "True"]],
        "filter": "none",
        "metrics": ["acc", "acc_norm"],
        "acc": 1.0,
        "acc_norm": 1.0,
    },
    {
        "doc_id": 0,
        "target": "0",
        "resps": [[["-1.0", "False"]], [["-0.75", "True"]], [["-4.0", "False"]]],
        "filtered_resps": [["-1.0", "False"], ["-0.75", "True"], ["-4.0", "False"]],
        "acc": 0.0,
    },
]
# Older versions: numbers as numbers, an integer target, and only resps in some tools' copies.
OLDER = [
    {"doc_id": 0, "target": 0, "resps": [[[-1.0, False]], [[-0.75, True]], [[-4.0, False]]]},
    {"doc_id": 1, "target": 2, "filtered_resps": [[-2.5, False], [-3.25, False], [-0.5, True]]},
]


def jsonl(samples) -> str:
    return "\n".join(json.dumps(sample) for sample in samples) + "\n"


def test_current_and_older_formats_read_the_same():
    current, older = read_log_samples(jsonl(CURRENT)), read_log_samples(jsonl(OLDER))
    for log in (current, older):
        assert log.doc_ids.tolist() == [0, 1]  # ordered by doc_id
        assert log.targets.tolist() == [0, 2]
        np.testing.assert_array_equal(
            log.loglikelihoods, [[-1.0, -0.75, -4.0], [-2.5, -3.25, -0.5]]
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("doc_id,target\n0,1\n", "line 1 is not JSON"),
        (jsonl([{"doc_id": 0, "filtered_resps": [["-1", "False"]] * 2}]), "no doc_id and target"),
        (
            jsonl([{"doc_id": 0, "target": "4", "filtered_resps": ["4", "5"]}]),
            "no \\[loglikelihood, is_greedy\\] pair per choice",
        ),
        (
            jsonl([CURRENT[0], {**CURRENT[1], "filtered_resps": [["-1", "False"]] * 4}]),
            "line 2: 4 choices where line 1 has 3",
        ),
        (jsonl([{**CURRENT[0], "target": "7"}]), "target '7' is not the index of one of its 3"),
        (jsonl([{**CURRENT[0], "target": "Paris"}]), "target 'Paris' is not the index"),
        (jsonl([CURRENT[0], CURRENT[0]]), "repeats a doc_id"),
        ("\n", "holds no samples"),
    ],
)
def test_a_file_that_is_no_multiple_choice_log_is_refused_in_one_line(text, message):
    with pytest.raises(LogSamplesError, match=message) as error:
        read_log_samples(text, "model.jsonl")
    assert "\n" not in str(error.value)


def test_logs_must_cover_the_same_items_and_have_compute():
    log = read_log_samples(jsonl(CURRENT))
    other = read_log_samples(jsonl([{**CURRENT[0], "target": "1"}, CURRENT[1]]))
    compute = {"a": 1e20, "b": 1e21, "c": 1e22}
    with pytest.raises(LogSamplesError, match="no compute given for c"):
        combine_logs({"a": log, "b": log, "c": log}, {"a": 1e20, "b": 1e21})
    with pytest.raises(LogSamplesError, match="c and a hold different items"):
        combine_logs({"a": log, "b": log, "c": other}, compute)
    with pytest.raises(LogSamplesError, match="at least three models, not 2"):
        combine_logs({"a": log, "b": log}, compute)
    logs = combine_logs({"c": log, "a": log, "b": log}, compute)
    assert logs.models == ("a", "b", "c") and logs.accuracy.tolist() == [0.5, 0.5, 0.5]


def test_compute_is_read_as_model_equals_flops():
    assert parse_compute(["pythia-1b=2.1e21", " b = 3T ", ""]) == {"pythia-1b": 2.1e21, "b": 3e12}
    with pytest.raises(LogSamplesError, match="'1e21' is not MODEL=FLOPs"):
        parse_compute(["1e21"])


def test_simulated_logs_round_trip_through_the_harness_layout(tmp_path):
    simulated = simulate_choice_logs(compute=[1e19, 1e20, 1e21], random_seed=3)
    paths = write_choice_logs(simulated, tmp_path)
    assert paths[0].relative_to(tmp_path).parts[0] == "sim-1e19"
    assert paths[0].name.startswith("samples_simulated_choice_")
    compute = dict(zip(simulated.models, simulated.compute, strict=True))
    read = read_choice_logs(paths, compute)
    assert read.models == simulated.models
    np.testing.assert_array_equal(read.loglikelihoods, simulated.loglikelihoods)
    assert (tmp_path / "compute.csv").read_text().startswith("model,C\nsim-1e19,1e+19")
    # The acc each line records is the harness's: the gold choice has the largest likelihood.
    lines = [json.loads(line) for line in paths[2].read_text().splitlines()]
    assert np.mean([line["acc"] for line in lines]) == read.accuracy[2]

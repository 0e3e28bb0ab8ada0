"""The batch spec: YAML parsing, validation errors and the job grid."""

import pytest

from workbench.batch import SpecError, load_spec, parse_spec

MINIMAL = {
    "datasets": {"epoch": {"loader": "chinchilla_epoch"}, "mine": {"path": "runs.csv"}},
    "laws": ["chinchilla", "kaplan_joint"],
    "holdout_top_frac": [0.1, 0.2],
    "draws": 500,
}


def test_issue_example_parses_from_yaml(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(
        "datasets:\n"
        "  epoch: {path: runs.csv}\n"
        "  public: {loader: chinchilla_epoch}\n"
        "laws: [chinchilla, kaplan_joint]\n"
        "holdout_top_frac: [0.1, 0.2]\n"
        "draws: 500\n"
    )
    spec = load_spec(path)
    assert spec.datasets["epoch"]["path"] == str(tmp_path / "runs.csv")
    assert spec.laws == ("chinchilla", "kaplan_joint")
    assert spec.sampler == {"draws": 500, "tune": 500, "chains": 2, "cores": 1}
    assert len(spec.jobs()) == 2 * 2 * 2


def test_grid_collapses_choices_that_mean_the_same_fit():
    spec = parse_spec(
        MINIMAL
        | {
            "likelihood": ["student_t", "normal"],
            "checkpoints": ["final", "run-effect", "independent"],
            "min_fraction": [None, 0.1],
        }
    )
    per_cell = {(job.likelihood, job.checkpoints, job.min_fraction) for job in spec.jobs()}
    # final: 2 likelihoods, no min_fraction; run-effect: normal only, 2 cuts; independent: 2 x 2.
    assert len(per_cell) == 2 + 2 + 4
    assert len(spec.jobs()) == 8 * 2 * 2 * 2


def test_job_ids_are_stable_and_depend_on_what_changes_the_fit():
    spec = parse_spec(MINIMAL)
    ids = [spec.job_id(job) for job in spec.jobs()]
    assert len(set(ids)) == len(ids)
    assert ids == [parse_spec(MINIMAL).job_id(job) for job in parse_spec(MINIMAL).jobs()]
    more_draws = parse_spec(MINIMAL | {"draws": 1000})
    assert set(ids).isdisjoint(more_draws.job_id(job) for job in more_draws.jobs())
    assert ids[0].startswith("epoch-chinchilla-final-h0.1-")


def test_scored_level_is_the_projects_unless_the_spec_sets_one(monkeypatch):
    import workbench.intervals

    assert parse_spec(MINIMAL).ci_prob == 0.9
    monkeypatch.setattr(workbench.intervals, "CI_PROB", 0.8)
    assert parse_spec(MINIMAL).ci_prob == 0.8
    spec = parse_spec(MINIMAL | {"ci_prob": 0.95})
    assert spec.ci_prob == 0.95
    # A job scored at another level is another job.
    assert spec.job_id(spec.jobs()[0]) != parse_spec(MINIMAL).job_id(spec.jobs()[0])


def test_named_prior_sets_are_a_grid_axis():
    priors = {"default": None, "tight": {"sigma": {"distribution": "HalfNormal", "sigma": 0.01}}}
    spec = parse_spec(MINIMAL | {"priors": priors})
    assert {job.priors for job in spec.jobs()} == {"default", "tight"}
    assert '"HalfNormal"' in spec.priors["tight"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"laws": ["chinchila"]}, "unknown law 'chinchila'; valid:"),
        ({"holdout_top_frac": [1.5]}, r"holdout_top_frac: 1.5 must lie in \(0, 1\)"),
        ({"draws": 0}, "draws: must be at least 1"),
        ({"draws": "many"}, "draws: 'many' is not an integer"),
        ({"checkpoints": ["all"]}, "checkpoints: 'all' is not one of final, run-effect"),
        ({"likelihood": "huber"}, "likelihood: 'huber' is not one of student_t, normal"),
        ({"datasets": {"x": {"loader": "nope"}}}, "unknown loader 'nope'"),
        ({"datasets": {"x": {"path": "a.csv", "loader": "steplaw"}}}, "exactly one of path"),
        ({"datasets": []}, "datasets: give a mapping"),
        ({"drawz": 5}, r"unknown spec keys \['drawz'\]"),
        ({"min_fraction": [1.0]}, r"min_fraction: 1.0 must lie in \[0, 1\)"),
        ({"priors": {"bad": {"E": {"sigma": 1}}}}, "priors.bad:"),
        ({"save_fits": "yes"}, "save_fits: 'yes' is not true or false"),
        ({"laws": [["chinchilla"]]}, r"laws: \['chinchilla'\] is not a law name"),
        ({"datasets": {"x": {"path": 5}}}, "datasets.x.path: 5 is not a file name"),
        ({"ci_prob": 1.5}, "ci_prob: ci_prob must lie strictly between 0 and 1"),
        ({"ci_prob": [0.5, 0.9]}, "ci_prob: ci_prob is one credible level"),
    ],
)
def test_invalid_specs_raise_one_clear_error(change, message):
    with pytest.raises(SpecError, match=message):
        parse_spec(MINIMAL | change)


def test_missing_keys_and_bad_yaml_are_spec_errors(tmp_path):
    with pytest.raises(SpecError, match="needs holdout_top_frac, draws"):
        parse_spec({"datasets": MINIMAL["datasets"], "laws": ["chinchilla"]})
    path = tmp_path / "spec.yaml"
    path.write_text("laws: [chinchilla\n")
    with pytest.raises(SpecError, match="is not valid YAML"):
        load_spec(path)
    with pytest.raises(SpecError, match="cannot read the batch spec"):
        load_spec(tmp_path / "absent.yaml")


def test_a_formula_law_is_a_job_whose_fit_file_is_a_plain_name(tmp_path):
    from workbench.batch.engine import fit_job, pack_runs
    from workbench.runs import demo

    formula = "formula:E + A/N**alpha + B/max(D, N)**beta"
    spec = parse_spec(MINIMAL | {"laws": [formula], "holdout_top_frac": [0.2], "draws": 200})
    job = next(job for job in spec.jobs() if job.dataset == "mine")
    job_id = spec.job_id(job)
    assert "/" not in job_id and " " not in job_id and job_id.startswith("mine-formula_E_+_A_N")
    runs = demo(seed=0).final_checkpoints()
    row = fit_job(
        job_id,
        job.keys,
        pack_runs(runs),
        spec.priors[job.priors],
        spec.sampler | {"tune": 200},
        spec.seed,
        spec.holdout_by,
        spec.interval,
        spec.ci_prob,
        str(tmp_path),
    )
    assert row["status"] != "failed", row.get("error")
    assert row["law"] == formula and 0 < row["are"] < 0.05
    assert (tmp_path / f"{job_id}.nc").is_file()

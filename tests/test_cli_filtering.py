"""`workbench filtering`: the best pool per budget and the crossovers, from the published
parameters or a user's file, as text and as JSON."""

import contextlib
import io
import json

from workbench.cli import main
from workbench.filtering import GOYAL_TMARS_IMAGENET


def run(argv) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return out.getvalue()


def test_the_published_parameters_plan_by_default():
    text = run(["filtering", "--budget", "32M", "640M"])
    assert "3.2e+07 samples: top0-10% (error" in text
    assert "6.4e+08 samples: top0-10% + top10-20% (error" in text
    assert "1.005e+08 samples: top0-10% → top0-10% + top10-20%" in text


def test_json_holds_the_best_pools_and_crossovers():
    report = json.loads(run(["filtering", "--budget", "32M", "640M", "--json"]))
    assert [row["best"] for row in report["best"]] == ["top0-10%", "top0-10% + top10-20%"]
    assert [round(row["budget"], -6) for row in report["crossovers"]] == [101e6, 1096e6]


def test_a_users_parameters_are_read(tmp_path):
    values = GOYAL_TMARS_IMAGENET.to_dict()
    # Two pools, both poolable: the planner compares each alone and the two pooled.
    values["pools"] = values["pools"][2:4]
    values["poolable"] = None
    path = tmp_path / "pools.json"
    path.write_text(json.dumps(values))
    report = json.loads(run(["filtering", "--budget", "1G", "--params", str(path), "--json"]))
    assert report["source"] == GOYAL_TMARS_IMAGENET.source
    assert report["best"][0]["best"] == "top20-30% + top30-40%"


def test_budgets_below_the_laws_range_are_an_error(capsys):
    assert main(["filtering", "--budget", "1M"]) == 2
    assert "must exceed 4e+06 samples" in capsys.readouterr().err

import hashlib

import numpy as np
import pandas as pd
import pytest

from workbench.runs import datasets
from workbench.runs.datasets import DatasetError, UnknownDatasetError, fetch


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source" / "runs.csv"
    path.parent.mkdir()
    path.write_bytes(b"N,loss\n1e8,3.0\n2e8,2.9\n")
    return path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_fetch_copies_a_file_url_into_the_cache(tmp_path, source):
    cache = tmp_path / "cache"
    path = fetch(source.as_uri(), sha256(source.read_bytes()), cache_dir=cache)
    assert path.parent == cache
    assert path.read_bytes() == source.read_bytes()
    assert path.name.endswith("-runs.csv")
    assert [item.name for item in cache.iterdir()] == [path.name]
    assert path.stat().st_mode & 0o777 == 0o644


def test_fetch_uses_the_cache_without_reading_the_source_again(tmp_path, source):
    digest = sha256(source.read_bytes())
    first = fetch(source.as_uri(), digest, cache_dir=tmp_path / "cache", filename="runs.csv")
    source.unlink()
    second = fetch(source.as_uri(), digest, cache_dir=tmp_path / "cache", filename="runs.csv")
    assert second == first
    assert second.read_bytes() == b"N,loss\n1e8,3.0\n2e8,2.9\n"


def test_fetch_default_cache_comes_from_the_environment(tmp_path, source, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "env-cache"))
    path = fetch(source.as_uri(), sha256(source.read_bytes()))
    assert path.parent == tmp_path / "env-cache"


def test_checksum_mismatch_raises_and_leaves_no_file(tmp_path, source):
    cache = tmp_path / "cache"
    wrong = "0" * 64
    with pytest.raises(DatasetError) as caught:
        fetch(source.as_uri(), wrong, cache_dir=cache)
    message = str(caught.value)
    assert source.as_uri() in message
    assert wrong in message
    assert sha256(source.read_bytes()) in message
    assert list(cache.iterdir()) == []


def test_corrupt_cached_copy_raises_and_is_deleted(tmp_path, source):
    cache = tmp_path / "cache"
    digest = sha256(source.read_bytes())
    path = fetch(source.as_uri(), digest, cache_dir=cache)
    path.write_bytes(b"tampered")
    with pytest.raises(DatasetError, match="cached copy"):
        fetch(source.as_uri(), digest, cache_dir=cache)
    assert not path.exists()
    assert fetch(source.as_uri(), digest, cache_dir=cache).read_bytes() == source.read_bytes()


def test_fetch_failure_is_a_dataset_error(tmp_path):
    missing = (tmp_path / "nowhere.csv").as_uri()
    with pytest.raises(DatasetError, match="could not download"):
        fetch(missing, "0" * 64, cache_dir=tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_fetch_refuses_other_schemes(tmp_path):
    with pytest.raises(DatasetError, match="only http, https and file"):
        fetch("ftp://example.org/runs.csv", "0" * 64, cache_dir=tmp_path)


def test_load_dataset_lists_valid_names():
    with pytest.raises(KeyError) as caught:
        datasets.load_dataset("chinchila")
    assert isinstance(caught.value, UnknownDatasetError)
    assert str(caught.value) == (
        "unknown dataset 'chinchila'; valid names: "
        "['chinchilla_epoch', 'gadre_overtraining', 'misfitting_li2025', 'muennighoff2023', "
        "'parscale2025', 'porian2024', 'steplaw']"
    )


@pytest.fixture
def chinchilla_url(shared_data):
    return (shared_data / "chinchilla_epoch" / "svg_extracted_data.csv").as_uri()


@pytest.fixture
def epoch_points(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "chinchilla_epoch" / "chinchilla_points.csv")


def test_chinchilla_epoch_keeps_the_240_points_epoch_fits(chinchilla_url, epoch_points, tmp_path):
    runs = datasets.chinchilla_epoch(url=chinchilla_url, cache_dir=tmp_path)
    assert len(runs) == 240
    assert runs.derived == frozenset({"D"})
    assert dict(runs.source_columns) == {
        "run": "run",
        "N": "Model Size",
        "C": "Training FLOP",
        "loss": "loss",
    }
    np.testing.assert_allclose(
        runs.column("D"), runs.column("C") / (6 * runs.column("N")), rtol=1e-15
    )
    assert not runs.data["epoch_excluded"].any()
    kept = epoch_points[epoch_points["epoch_outlier_excluded"] == 0]
    assert runs.data["run"].tolist() == [f"chinchilla-{row}" for row in kept["row"]]
    for role, column in [("N", "N_params"), ("D", "D_tokens"), ("C", "C_flops"), ("loss", "loss")]:
        np.testing.assert_allclose(runs.column(role), kept[column].to_numpy(), rtol=1e-9)


def test_chinchilla_epoch_flags_the_five_excluded_points(chinchilla_url, epoch_points, tmp_path):
    runs = datasets.load_dataset(
        "chinchilla_epoch", url=chinchilla_url, cache_dir=tmp_path, include_excluded=True
    )
    assert len(runs) == 245
    flagged = runs.data.loc[runs.data["epoch_excluded"], ["N", "loss"]]
    excluded = epoch_points.loc[epoch_points["epoch_outlier_excluded"] == 1]
    assert len(flagged) == 5
    np.testing.assert_allclose(
        flagged.sort_values("loss").to_numpy(),
        excluded[["N_params", "loss"]].sort_values("loss").to_numpy(),
        rtol=1e-12,
    )


def test_misfitting_loader_reads_runs_with_checkpoints(shared_data, tmp_path):
    url = (shared_data / "misfitting_li2025" / "scaling_results.csv").as_uri()
    every_lr = datasets.misfitting_li2025(url=url, cache_dir=tmp_path, best_lr=False)
    best = datasets.misfitting_li2025(url=url, cache_dir=tmp_path)
    assert every_lr.data["run"].nunique() == 240
    assert best.data["run"].nunique() == 81
    finals = best.final_checkpoints()
    assert len(finals) == 81 and finals.data.groupby(["model", "total_steps"]).size().max() == 1
    np.testing.assert_allclose(best.column("C"), 6 * best.column("N") * best.column("D"), rtol=1e-6)


def test_gadre_manifest_pairs_every_model_with_its_evaluation():
    checksums = datasets._read_manifest(datasets.GADRE_OVERTRAINING_MANIFEST)
    models = {
        path[len("models/") : -len(".json")] for path in checksums if path.startswith("models/")
    }
    evals = {
        path[len("evals/evaluation_") : -len("_heavy.json")]
        for path in checksums
        if path.startswith("evals/")
    }
    assert len(models) == 104
    assert models == evals
    assert all(len(digest) == 64 for digest in checksums.values())


@pytest.fixture(scope="module")
def gadre_source(shared_data):
    return (shared_data / "gadre_overtraining").as_uri()


def test_gadre_overtraining_matches_the_flat_table(shared_data, gadre_source, tmp_path):
    runs = datasets.gadre_overtraining(base_url=gadre_source, cache_dir=tmp_path)
    assert len(runs) == 104
    assert runs.target == "loss"
    assert runs.derived == {"C"}
    assert runs.data["group"].value_counts().to_dict() == {
        "rpj": 35,
        "rw_original": 35,
        "c4_original": 34,
    }
    flat = pd.read_csv(shared_data / "gadre_overtraining" / "gadre_models_flat.csv")
    ours = runs.data.set_index("run").loc[flat["name"]]
    np.testing.assert_allclose(ours["N"], flat["N_params"])
    np.testing.assert_allclose(ours["M"], flat["token_multiplier_M"])
    np.testing.assert_allclose(ours["C"], flat["C_flops_6ND"].astype(float), rtol=1e-12)
    np.testing.assert_allclose(ours["loss"], flat["loss_c4_val"])
    for column in ("err_avg17", "err_avg46", "err_boolq", "loss_paloma_ptb", "loss_val_de-en_100"):
        np.testing.assert_allclose(ours[column], flat[column], rtol=1e-12)


def test_gadre_overtraining_error_target_keeps_the_loss(gadre_source, tmp_path):
    runs = datasets.gadre_overtraining(
        base_url=gadre_source, cache_dir=tmp_path, loss="paloma_ptb", target="err_avg17"
    )
    assert runs.target == "err_avg17"
    np.testing.assert_array_equal(runs.column("loss"), runs.column("loss_paloma_ptb"))
    assert np.all((runs.y > 0) & (runs.y < 1))
    with pytest.raises(ValueError, match="c4_val"):
        datasets.gadre_overtraining(base_url=gadre_source, cache_dir=tmp_path, loss="c4")

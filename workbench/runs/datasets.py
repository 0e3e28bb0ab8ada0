"""Public scaling-law data sets, downloaded once into a checksummed cache.

Nothing is bundled: each loader fetches the original file from its source, checks its SHA-256,
and reads it into a ``RunTable``. Cite the papers named in a loader's docstring when you use it.
"""

import ast
import hashlib
import json
import lzma
import os
import pickle
import re
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.atomic import replacing
from workbench.runs.table import RunTable
from workbench.runs.validation import from_frame

CACHE_ENVIRONMENT_VARIABLE = "WORKBENCH_CACHE"
CACHE_FOLDER_NAME = "scaling-workbench"
CHUNK_BYTES = 1 << 20
DOWNLOAD_TIMEOUT_SECONDS = 60

CHINCHILLA_EPOCH_URL = (
    "https://raw.githubusercontent.com/epoch-research/analyzing-chinchilla/"
    "92258837425e1b5f2851d624287f0120583a3d0e/data/svg_extracted_data.csv"
)
CHINCHILLA_EPOCH_SHA256 = "193478df4e90f040016431996c45682659306840ecdadf83cfb9cd5ca0aa1b30"
CHINCHILLA_EPOCH_EXCLUDED = 5

MISFITTING_URL = (
    "https://raw.githubusercontent.com/hadasah/scaling_laws/"
    "1f3708c0a12df0effb0ee906b1da5f9f0ff4f4f1/data/scaling_results.csv"
)
MISFITTING_SHA256 = "193b4b7665365112605417e2ef06d55efe599cfa08412354e3ae42c3af7a9f58"


class DatasetError(RuntimeError):
    """A data set that could not be downloaded, or whose bytes are not the expected ones."""


class UnknownDatasetError(KeyError):
    """A data set name that is not in ``DATASETS``."""

    def __str__(self) -> str:
        # KeyError would show the message quoted, as if it were a key.
        return str(self.args[0])


def default_cache_dir() -> Path:
    """The package's cache: ``$WORKBENCH_CACHE``, else ``scaling-workbench`` in
    ``$XDG_CACHE_HOME`` (``~/.cache`` when unset)."""
    if os.environ.get(CACHE_ENVIRONMENT_VARIABLE):
        return Path(os.environ[CACHE_ENVIRONMENT_VARIABLE]).expanduser()
    user_cache = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(user_cache).expanduser() / CACHE_FOLDER_NAME


def fetch(
    url: str, sha256: str, *, cache_dir: Path | None = None, filename: str | None = None
) -> Path:
    """Download ``url`` into the cache once, and return the path of the verified copy.

    A cached copy is used when present, after checking its hash. A download is written to a
    temporary file and renamed into place only once its hash matches, so the cache never holds
    a partial or wrong file.

    Parameters
    ----------
    url : str
        An ``http``, ``https`` or ``file`` URL.
    sha256 : str
        Expected SHA-256 of the file, in hex.
    cache_dir : Path, optional
        Where to keep the file; by default ``$WORKBENCH_CACHE`` or ``~/.cache/scaling-workbench``.
    filename : str, optional
        Name of the cached file; by default the start of the hash and the last part of the URL,
        so that two sources with the same file name do not collide.

    Returns
    -------
    Path
        The cached file.

    Raises
    ------
    DatasetError
        If the download fails, or the cached or downloaded bytes do not match ``sha256``. The
        bad file is deleted, so a later call downloads afresh.
    """
    scheme = urllib.parse.urlparse(url).scheme
    if scheme not in ("http", "https", "file"):
        raise DatasetError(f"cannot fetch {url!r}: only http, https and file URLs are supported")
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / (filename or _default_filename(url, sha256))
    if path.exists():
        _verify(path, url, sha256, _file_sha256(path), cached=True)
        return path
    folder.mkdir(parents=True, exist_ok=True)
    with replacing(path) as partial:
        with open(partial, "wb") as part:
            digest = _download(url, part)
        _verify(partial, url, sha256, digest, cached=False)
    return path


def as_url(location: str | os.PathLike) -> str:
    """``location`` as a URL: a local path becomes a ``file://`` URL, a URL stays as it is."""
    text = str(location)
    if urllib.parse.urlparse(text).scheme:
        return text
    return Path(text).expanduser().resolve().as_uri()


def chinchilla_epoch(
    *,
    url: str = CHINCHILLA_EPOCH_URL,
    cache_dir: Path | None = None,
    include_excluded: bool = False,
) -> RunTable:
    """Final losses of the Chinchilla training runs, as extracted by Epoch AI.

    Hoffmann et al. (2022) showed these runs only in a figure; Besiroglu et al. (2024) recovered
    245 points from the figure's SVG (loss from the marker colour, so it is quantized) and refit
    the law L = E + A/N^α + B/D^β, leaving out the 5 highest-loss points. By default this returns
    the 240 points they kept; ``include_excluded=True`` returns all 245.

    N is ``Model Size`` and C is ``Training FLOP``; D is derived as C/(6·N), as Epoch does, and
    so is listed in ``derived``. Run ids are ``chinchilla-<row>`` with the row of the source
    file. A boolean ``epoch_excluded`` column flags the 5 points Epoch left out.

    Parameters
    ----------
    url : str
        Where to get ``svg_extracted_data.csv``; by default Epoch's repository at a fixed commit.
        A ``file://`` URL to a local copy works too; its hash must match.
    cache_dir : Path, optional
        Download cache, see :func:`fetch`.
    include_excluded : bool
        Whether to keep the 5 points Epoch excluded.

    Returns
    -------
    RunTable
        Columns ``run``, ``N``, ``D``, ``C``, ``loss``, then the source's ``x``, ``y``,
        ``color``, ``hex_color`` and ``epoch_excluded``.

    References
    ----------
    .. [1] Hoffmann, J. et al. (2022). Training Compute-Optimal Large Language Models.
       arXiv:2203.15556.
    .. [2] Besiroglu, T., Erdil, E., Barnett, M. and You, J. (2024). Chinchilla Scaling: A
       replication attempt. arXiv:2404.10102. Data: github.com/epoch-research/analyzing-chinchilla
    """
    path = fetch(
        url, CHINCHILLA_EPOCH_SHA256, cache_dir=cache_dir, filename="chinchilla_epoch_svg.csv"
    )
    frame = pd.read_csv(path)
    excluded = np.zeros(len(frame), dtype=bool)
    excluded[np.argsort(-frame["loss"].to_numpy(), kind="stable")[:CHINCHILLA_EPOCH_EXCLUDED]] = (
        True
    )
    frame = frame.assign(run=[f"chinchilla-{row}" for row in range(len(frame))])
    frame["epoch_excluded"] = excluded
    runs = from_frame(frame, mapping={"run": "run", "N": "Model Size", "C": "Training FLOP"})
    return runs if include_excluded else runs.filter(~excluded)


def misfitting_li2025(
    *, url: str = MISFITTING_URL, cache_dir: Path | None = None, best_lr: bool = True
) -> RunTable:
    """Every evaluated checkpoint of the open_lm runs of Li, Kudugunta and Zettlemoyer (2025).

    11 model sizes (57M to 1.18B parameters) trained to many token budgets, with the C4 validation
    loss at each checkpoint. A run is one (model, peak learning rate, total steps); its id is
    ``<model>-lr<peak_lr>-<total_steps>`` and ``step`` is the checkpoint's step. Most budgets were
    trained at several learning rates; with ``best_lr`` (the default) only the run with the lowest
    final loss of each (model, total steps) is kept, as a scaling law describes well-tuned runs.

    Parameters
    ----------
    url : str
        Where to get ``scaling_results.csv``; by default the authors' repository at a fixed commit.
        A ``file://`` URL to a local copy works too; its hash must match.
    cache_dir : Path, optional
        Download cache, see :func:`fetch`.
    best_lr : bool
        Keep only the best learning rate of each (model, token budget).

    Returns
    -------
    RunTable
        Columns ``run``, ``N``, ``D``, ``C`` (6·N·D), ``loss``, ``step``, then the source's other
        columns (``model``, ``peak_lr``, ``total_steps``, ``portion_steps_elapsed``, ...).

    References
    ----------
    .. [1] Li, M., Kudugunta, S. and Zettlemoyer, L. (2025). (Mis)Fitting: A Survey of Scaling
       Laws. ICLR 2025, arXiv:2502.18969. Data: github.com/hadasah/scaling_laws
    """
    path = fetch(url, MISFITTING_SHA256, cache_dir=cache_dir, filename="misfitting_li2025.csv")
    frame = pd.read_csv(path).drop(
        columns=["C4 Eval Loss", "C", "C_no_emb", "C_6ND_no_emb", "train_tokens"]
    )
    frame["run"] = (
        frame["model"]
        + "-lr"
        + frame["peak_lr"].astype(str)
        + "-"
        + frame["total_steps"].astype(str)
    )
    # A few checkpoints were evaluated twice; keep the first evaluation.
    frame = frame.drop_duplicates(["run", "current_steps"]).reset_index(drop=True)
    if best_lr:
        final = frame.loc[frame.groupby("run")["current_steps"].idxmax()]
        best = final.loc[final.groupby(["model", "total_steps"])["loss"].idxmin(), "run"]
        frame = frame[frame["run"].isin(best)].reset_index(drop=True)
    return from_frame(
        frame, mapping={"run": "run", "N": "N", "D": "D", "C": "C_6ND", "step": "current_steps"}
    )


GADRE_OVERTRAINING_URL = (
    "https://raw.githubusercontent.com/mlfoundations/scaling/"
    "a003c4913793ac2ae7ef87b28ecb562955d026d5/exp_data/"
)
GADRE_OVERTRAINING_MANIFEST = Path(__file__).with_name("gadre_overtraining.sha256")
GADRE_OVERTRAINING_SUBSET = (
    "arc_easy",
    "bigbench_cs_algorithms",
    "bigbench_dyck_languages",
    "bigbench_novel_concepts",
    "bigbench_operators",
    "bigbench_qa_wikidata",
    "boolq",
    "commonsense_qa",
    "copa",
    "coqa",
    "hellaswag",
    "hellaswag_zeroshot",
    "lambada_openai",
    "piqa",
    "pubmed_qa_labeled",
    "squad",
    "winograd",
)
"""The 17 tasks of Gadre et al.'s ``err_avg17``: those their small models rise above chance on."""


def gadre_overtraining(
    *,
    base_url: str | Path = GADRE_OVERTRAINING_URL,
    cache_dir: Path | None = None,
    loss: str = "c4_val",
    target: str = "loss",
) -> RunTable:
    """The 104 open_lm models of Gadre et al. (2024): losses and 46 downstream errors.

    Three training sets (the ``group`` column: ``c4_original``, ``rpj`` for RedPajama and
    ``rw_original`` for RefinedWeb), six model shapes from 10.6M to 6.9B parameters, and 5 to 640
    tokens per parameter. Each model's ``models/<run>.json`` (sizes, 8 validation losses) and
    ``evals/evaluation_<run>_heavy.json`` (46 task accuracies) are fetched from the authors'
    repository at a fixed commit and checked against the SHA-256 sums shipped with the package.

    Parameters
    ----------
    base_url : str
        The folder holding ``models/`` and ``evals/``; by default the repository's ``exp_data/``
        at a fixed commit. A local folder (path or ``file://`` URL) works too; its files must
        match.
    cache_dir : Path, optional
        Download cache, see :func:`fetch`; the files go to its ``gadre_overtraining`` folder.
    loss : str
        The validation set whose loss fills the ``loss`` column: ``c4_val`` (C4 eval, the one
        the paper fits), ``openlm``, ``paloma_c4_en``, ``paloma_redpajama``,
        ``paloma_falcon-refinedweb``, ``paloma_ptb``, ``paloma_dolma_100_programing_languages`` or
        ``val_de-en_100``.
    target : str
        The run table's target: ``loss``, or an error column such as ``err_avg17`` to fit a law
        of downstream error (the ``loss`` column stays beside it).

    Returns
    -------
    RunTable
        Columns ``run``, ``N`` (total parameters), ``D`` (tokens), ``C`` (6·N·D, derived), the
        target, ``group``, then ``M`` (tokens per parameter), ``model`` (shape), ``N_no_embed``,
        ``loss``, ``loss_<set>`` for the 8 validation sets, ``err_<task>`` (1 − accuracy) for the
        46 tasks, ``err_avg46`` and ``err_avg17`` (their means over all tasks and over
        :data:`GADRE_OVERTRAINING_SUBSET`).

    References
    ----------
    .. [1] Gadre, S. Y. et al. (2024). Language models scale reliably with over-training and on
       downstream tasks. arXiv:2403.08540. Data: github.com/mlfoundations/scaling (MIT).
    """
    checksums = _read_manifest(GADRE_OVERTRAINING_MANIFEST)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = cache / "gadre_overtraining"

    base = as_url(base_url)

    def read(relative: str) -> dict:
        url = base.rstrip("/") + "/" + relative
        subfolder, name = relative.split("/")
        path = fetch(url, checksums[relative], cache_dir=folder / subfolder, filename=name)
        return json.loads(path.read_text(encoding="utf-8"))

    runs = sorted(Path(path).stem for path in checksums if path.startswith("models/"))
    rows = [
        _gadre_row(read(f"models/{run}.json"), read(f"evals/evaluation_{run}_heavy.json"))
        for run in runs
    ]
    frame = pd.DataFrame(rows)
    if f"loss_{loss}" not in frame:
        sets = sorted(
            column.removeprefix("loss_") for column in frame if column.startswith("loss_")
        )
        raise ValueError(f"no validation loss {loss!r}; valid: {', '.join(sets)}")
    frame.insert(frame.columns.get_loc("N_no_embed") + 1, "loss", frame[f"loss_{loss}"])
    mapping = {"run": "run", "N": "N", "D": "D", "group": "group"}
    return from_frame(frame, mapping=mapping, target=target)


def _gadre_row(model: dict, evaluation: dict) -> dict:
    sizes = model["hyperparameters"]
    row = {
        "run": model["name"],
        "N": sizes["params"],
        "D": sizes["tokens"],
        "group": model["dataset_name"],
        "M": sizes["tokens"] / sizes["params"],
        "model": Path(sizes["model"]).stem,
        "N_no_embed": sizes["params_no_embed"],
    }
    for result in model["results"]:
        # The validation set is the folder of the shard, or the file itself for German C4.
        shard = Path(result["val_data"][0])
        name = shard.stem if "de-en" in shard.parent.name else shard.parent.name
        row[f"loss_{name}"] = result["loss"]
    errors = {task: 1.0 - accuracy for task, accuracy in evaluation["eval_metrics"]["icl"].items()}
    row |= {f"err_{task}": error for task, error in sorted(errors.items())}
    row["err_avg46"] = float(np.mean(list(errors.values())))
    row["err_avg17"] = float(np.mean([errors[task] for task in GADRE_OVERTRAINING_SUBSET]))
    return row


def _read_manifest(path: Path) -> dict[str, str]:
    """``{relative path: sha256}`` from a file in ``sha256sum`` format."""
    entries = (line.split(maxsplit=1) for line in path.read_text().splitlines() if line.strip())
    return {relative.strip(): digest for digest, relative in entries}


STEPLAW_URL = (
    "https://raw.githubusercontent.com/step-law/steplaw/"
    "32a8f4cc50247695fb56cc6c9117abdf67c97763/data/"
)
STEPLAW_FILES = {
    "dense": (
        "dense_lr_bs_loss.csv",
        "9e46181076c04d450294d75dfe6f72adc416e231e154a07b337e378f9410002c",
    ),
    "moe": (
        "moe_lr_bs_loss.csv",
        "653d585244a7b227423007e8b796bc16d76f6d24eb87b1919b8f048a91897b92",
    ),
}
STEPLAW_SEQ_LEN = 2048
"""Tokens per sequence of the dense sweeps, whose ``bs`` column counts sequences."""


def steplaw(
    *,
    base_url: str | os.PathLike = STEPLAW_URL,
    cache_dir: Path | None = None,
    architecture: str = "dense",
    target: str = "smooth_loss",
) -> RunTable:
    """Learning-rate × batch-size sweeps of Li et al. (2025), "Predictable Scale: Part I".

    ``dense``: 1,911 runs at 17 (N, D) settings, N from 2.1e8 to 1.07e9 non-embedding
    parameters and D from 4e9 to 1e11 tokens, each over about 12 peak learning rates and 10
    batch sizes. ``moe``: 708 runs at 12 settings of mixture-of-experts models. Run ids are the
    source's ``exp_name``.

    Parameters
    ----------
    base_url : str or path
        The folder holding the CSV files; by default the authors' repository at a fixed commit.
        A ``file://`` URL or a local folder works too; its files must match.
    cache_dir : Path, optional
        Download cache, see :func:`fetch`.
    architecture : {"dense", "moe"}
        Which sweeps.
    target : {"smooth_loss", "loss"}
        The run table's target: the smoothed final training loss, which the paper fits, or the
        raw final loss. The other stays as a column.

    Returns
    -------
    RunTable
        Columns ``run``, ``N``, ``D``, ``C`` (6·N·D, derived), the target, then ``lr`` (peak
        learning rate), ``B`` (batch size in tokens = ``bs`` × ``seq_len``), ``bs`` (in sequences),
        ``seq_len`` and the source's other columns (model shape ``h``, ``ffnh``, ``numh``,
        ``numl``; ``ti`` iterations; for MoE, ``Na`` active parameters, N being the total).

    References
    ----------
    .. [1] Li, H., Zheng, W., Hu, J., et al. (2025). Predictable Scale: Part I — Optimal
       Hyperparameter Scaling Law in Large Language Model Pretraining. arXiv:2503.04715.
       Data: github.com/step-law/steplaw (no license file; the authors invite use with citation).
    """
    if architecture not in STEPLAW_FILES:
        raise ValueError(f"no steplaw sweeps {architecture!r}; valid: {sorted(STEPLAW_FILES)}")
    name, sha256 = STEPLAW_FILES[architecture]
    base = as_url(base_url)
    path = fetch(base.rstrip("/") + "/" + name, sha256, cache_dir=cache_dir, filename=name)
    frame = pd.read_csv(path).rename(columns={"smooth loss": "smooth_loss"})
    if "seq_len" not in frame:
        frame["seq_len"] = STEPLAW_SEQ_LEN
    frame.insert(frame.columns.get_loc("bs"), "B", frame["bs"] * frame["seq_len"])
    return from_frame(frame, mapping={"run": "exp_name", "N": "N", "D": "D"}, target=target)


PORIAN2024_URL = (
    "https://raw.githubusercontent.com/formll/resolving-scaling-law-discrepancies/"
    "0dc60d91b8a525858a3067fc9e4a46ff5374cc6f/data/"
)
PORIAN2024_FILES = {
    "summary_df.pickle.xz": "afbf07ec92d23182f56a44dd43599f2a7e9716fd70492fbc0a35f6093272b74f",
    "summary_df_att.pickle.xz": "40218b8320817bf3c34f82c57aaa28c53ccb5feb9bb3928ee6fc70868ac22af7",
    "summary_df_kaplan_tuned_hparams.pickle.xz": (
        "09b6b91c9c6fa0e4c2684dcbed82475ee62d6c4fc60db5ca2ce5653b08f0ae55"
    ),
    "summary_df_owt2.pickle.xz": "7aed67d1ad9bc1d7b0518e3814cee1129216b423b4538d4b724873dd670cff30",
}
PORIAN2024_SETTINGS = {
    ("base", "long", "kaplan", "kaplan", "train"): "Reproducing Kaplan et al.",
    ("base", "long", "kaplan", "standard", "val"): "Counting last layer FLOPs",
    ("base", "short", "kaplan", "standard", "val"): "Correcting warmup",
    ("base", "short", "chinchilla", "standard", "val"): "Cosine decay",
    ("tuned", "short", "const", "standard", "val"): "Optimizer tuning (no decay)",
    ("tuned", "long", "const", "kaplan", "train"): "Kaplan adjusted",
    ("base", "long", "kaplan", "attention", "train"): "Attention FLOPs, Kaplan",
    ("base", "short", "kaplan", "attention", "train"): "Attention FLOPs, warmup",
    ("base", "short", "chinchilla", "attention", "train"): "Attention FLOPs, cosine decay",
    ("tuned", "short", "const", "attention", "train"): "Attention FLOPs, tuning",
}
"""Porian et al.'s name of each (hparams, warmup, decay, param_count, loss split) setting."""
PORIAN2024_STEPS = tuple(list(PORIAN2024_SETTINGS.values())[:5])
"""The five settings of the paper's main figure, from Kaplan's exponent to Hoffmann's."""
PICKLED_CLASSES = {
    ("builtins", "slice"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("pandas._libs.internals", "_unpickle_block"),
    ("pandas.core.frame", "DataFrame"),
    ("pandas.core.indexes.base", "Index"),
    ("pandas.core.indexes.base", "_new_Index"),
    ("pandas.core.indexes.range", "RangeIndex"),
    ("pandas.core.internals.managers", "BlockManager"),
    ("pandas.core.internals.managers", "SingleBlockManager"),
    ("pandas.core.series", "Series"),
}
"""The only classes Porian et al.'s data frames may load: a pickle calls what it names."""


def porian2024(
    *, base_url: str | os.PathLike = PORIAN2024_URL, cache_dir: Path | None = None
) -> RunTable:
    """IsoFLOP runs of Porian et al. (2024), "Resolving Discrepancies in Compute-Optimal Scaling".

    1,745 runs: at FLOP budgets C = 1.25e16 … 2.56e19 (doubling), models of about 0.3M to 900M
    parameters, in 15 settings that move step by step from Kaplan et al.'s compute-optimal
    exponent (a ≈ 0.88) to Hoffmann et al.'s (a ≈ 0.5). The loss is each run's, read at the budget
    by log-log interpolation between logged points; where runs share N, the lowest.

    Parameters
    ----------
    base_url : str or path
        The folder holding the authors' ``summary_df*.pickle.xz`` files; by default their repository
        at a fixed commit. A ``file://`` URL or a local folder works too; its files must match.
    cache_dir : Path, optional
        Download cache, see :func:`fetch`.

    Returns
    -------
    RunTable
        Columns ``run``, ``N`` (parameters, counted as the setting's ``param_count`` says), ``D``
        (tokens), ``C`` (the FLOP budget = ``flops_per_token`` × D), ``loss``, then ``corpus``
        (``rw`` RefinedWeb, ``owt2`` OpenWebText2), ``setting`` (the paper's name for it, see
        ``PORIAN2024_SETTINGS``), ``hparams``, ``warmup``, ``decay``, ``param_count``,
        ``loss_split`` and ``flops_per_token``.

    References
    ----------
    .. [1] Porian, T., Wortsman, M., Jitsev, J., Schmidt, L., Carmon, Y. (2024). Resolving
       Discrepancies in Compute-Optimal Scaling of Language Models. NeurIPS 2024,
       arXiv:2406.19146. Data: github.com/formll/resolving-scaling-law-discrepancies (MIT).
    """
    base = as_url(base_url)
    rows = []
    for name, sha256 in PORIAN2024_FILES.items():
        path = fetch(base.rstrip("/") + "/" + name, sha256, cache_dir=cache_dir, filename=name)
        for setting in _unpickle_frame(path).itertuples():
            key = (setting.hparams, setting.warmup, setting.decay, setting.param_count, setting.val)
            described = {
                "corpus": setting.dataset,
                "setting": PORIAN2024_SETTINGS[key],
                "hparams": setting.hparams,
                "warmup": setting.warmup,
                "decay": setting.decay,
                "param_count": setting.param_count,
                "loss_split": setting.val,
            }
            for budget in setting.data.itertuples():
                if not hasattr(budget.orig_n, "__len__"):
                    continue  # a budget no run reached
                for n, tokens, loss in zip(
                    budget.orig_n, budget.orig_t, budget.orig_loss, strict=True
                ):
                    rows.append(described | {"C": budget.flops, "N": n, "D": tokens, "loss": loss})
    frame = pd.DataFrame(rows).astype({"C": float, "N": float, "D": float, "loss": float})
    frame["flops_per_token"] = frame["C"] / frame["D"]
    frame.insert(
        0,
        "run",
        [f"{row.corpus}/{row.setting}/C={row.C:.3g}/N={row.N:.4g}" for row in frame.itertuples()],
    )
    return from_frame(frame, mapping={"run": "run", "N": "N", "D": "D", "C": "C"})


class _DataFrameUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in PICKLED_CLASSES:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        # NumPy 2 renamed numpy.core, where these pickles name their helpers, to numpy._core.
        return super().find_class(module.replace("numpy.core", "numpy._core"), name)


def _unpickle_frame(path: Path) -> pd.DataFrame:
    with lzma.open(path, "rb") as file:
        return _DataFrameUnpickler(file).load()


MUENNIGHOFF2023_URL = (
    "https://raw.githubusercontent.com/huggingface/datablations/"
    "13701315b163f1c54642b94ad237b2699187c3ee/utils/parametric_fit.ipynb"
)
MUENNIGHOFF2023_SHA256 = "6c65d270e70c944a9ac90f5f1213a4584e1ff9d6d2781cd86900663f4ab17db9"
MUENNIGHOFF2023_DATA_CELL = 25
"""The notebook's cell "Custom data loading with outliers removed", whose dicts the fit reads."""
MUENNIGHOFF2023_QUANTITY = r"\d+b|\db\d+|[1-9]\d\dm"
"""A count in a run name: whole billions (``55b``), billions with decimals after one digit
(``1b5``, ``1b25``) or hundreds of millions (``400m``). So ``1b51b5`` is 1.5B then 1.5B, and
``1b5100m`` is 1.5B then 100M, as the notebook's own parser reads them."""
MUENNIGHOFF2023_COUNTS = re.compile(
    rf"(?P<tokens>{MUENNIGHOFF2023_QUANTITY})(?P<unique>{MUENNIGHOFF2023_QUANTITY})"
)


def muennighoff2023(
    *,
    url: str | os.PathLike = MUENNIGHOFF2023_URL,
    cache_dir: Path | None = None,
    include_excluded: bool = False,
) -> RunTable:
    """Final losses of the repeated-data runs of Muennighoff et al. (2023).

    Models of 7.1M to 8.67B parameters trained on D = 0.1B to 900B tokens drawn from U = 0.1B to
    178B unique tokens of C4, so up to 9,000 epochs. The authors' notebook ``parametric_fit.ipynb``
    holds the final validation losses in dicts keyed by run names such as ``2b855b4b`` (2.8B
    parameters, 55B tokens, 4B unique). The dicts are read with ``ast.literal_eval``; nothing in
    the notebook is run. Runs the notebook lists with loss 0 ("models haven't finished training")
    are left out. By default this returns the 182 runs of the published fit; with
    ``include_excluded`` also the 12 runs on deduplicated data (names ending ``dedup``), which
    the fit leaves out.

    Parameters
    ----------
    url : str or path
        Where to get ``utils/parametric_fit.ipynb``; by default the authors' repository at a
        fixed commit. A local copy (path or ``file://`` URL) works too; its hash must match.
    cache_dir : Path, optional
        Download cache, see :func:`fetch`.
    include_excluded : bool
        Whether to keep the deduplicated-data runs.

    Returns
    -------
    RunTable
        Columns ``run``, ``N``, ``D``, ``C`` (6·N·D, derived), ``loss``, then ``U`` (unique
        tokens, the covariate of the ``data_constrained`` law), ``epochs`` (D/U),
        ``deduplicated`` and ``used_in_fit`` (whether the published fit used the run).

    References
    ----------
    .. [1] Muennighoff, N., Rush, A. M., Barak, B., et al. (2023). Scaling Data-Constrained
       Language Models. NeurIPS 2023, arXiv:2305.16264. Data: github.com/huggingface/datablations
       (Apache 2.0).
    """
    path = fetch(
        as_url(url), MUENNIGHOFF2023_SHA256, cache_dir=cache_dir, filename="muennighoff2023.ipynb"
    )
    notebook = json.loads(path.read_text(encoding="utf-8"))
    literals = _literal_assignments("".join(notebook["cells"][MUENNIGHOFF2023_DATA_CELL]["source"]))
    rows = []
    for run, loss in literals["NAMES_TO_VAL_LOSSES"].items():
        if not loss:
            continue  # the notebook's 0: "models haven't finished training"
        size, tokens, unique = _muennighoff_counts(
            run.removesuffix("dedup"), literals["PARAMS_MAP"], literals["TOKENS_MAP"]
        )
        deduplicated = run.endswith("dedup")
        rows.append(
            {
                "run": run,
                "N": size,
                "D": tokens,
                "loss": loss,
                "U": unique,
                "epochs": tokens / unique,
                "deduplicated": deduplicated,
                "used_in_fit": not deduplicated,
            }
        )
    frame = pd.DataFrame(rows)
    runs = from_frame(frame, mapping={"run": "run", "N": "N", "D": "D"})
    return runs if include_excluded else runs.filter(frame["used_in_fit"].to_numpy())


def _muennighoff_counts(run: str, sizes: dict, counts: dict) -> tuple[float, float, float]:
    """Parameters, tokens and unique tokens of a run name: size, then tokens, then unique tokens.

    The size is the shortest prefix the notebook's ``PARAMS_MAP`` knows, as in its own parser.
    A count is in ``TOKENS_MAP`` (in billions) or reads as billions with ``b`` for the point.
    """
    end = next(end for end in range(2, len(run)) if run[:end] in sizes)
    match = MUENNIGHOFF2023_COUNTS.fullmatch(run[end:])
    if match is None:
        raise DatasetError(f"cannot read tokens and unique tokens from run name {run!r}")

    def billions(count: str) -> float:
        return counts[count] if count in counts else float(count.replace("b", ".").rstrip("."))

    return sizes[run[:end]], billions(match["tokens"]) * 1e9, billions(match["unique"]) * 1e9


PARSCALE2025_URL = (
    "https://raw.githubusercontent.com/QwenLM/ParScale/"
    "cd6acb48ba6d3b1f9715785ff0d212751210177d/parametric_fit.py"
)
PARSCALE2025_SHA256 = "48dd25731179e0e8f6f7d320a3d42e69f9721190c5a9a48cf30a73f1e72151d6"
PARSCALE2025_LOSSES = {"stack_v2_python": "stack_loss", "pile": "pile_loss"}
"""The script's list of losses for each pre-training corpus (Stack-V2 Python, the Pile)."""
PARSCALE2025_STREAMS = (1, 2, 4, 8)
"""P of each row of the script's lists; its ``p = [[1] * 6, ...]`` is not a literal."""


def parscale2025(
    *, url: str | os.PathLike = PARSCALE2025_URL, cache_dir: Path | None = None
) -> RunTable:
    """The 48 final losses of Chen et al. (2025), "Parallel Scaling Law for Language Models".

    Six model sizes (536M to 4.4B non-embedding parameters) with P = 1, 2, 4 and 8 parallel
    streams, pre-trained on Stack-V2 Python and on the Pile. The authors' fitting script
    ``parametric_fit.py`` holds the numbers as lists, read here with ``ast.literal_eval``; nothing
    in it is run. N grows slightly with P: the streams' prefixes and aggregation add parameters.

    Parameters
    ----------
    url : str or path
        Where to get ``parametric_fit.py``; by default the authors' repository at a fixed commit.
        A local copy (path or ``file://`` URL) works too; its hash must match.
    cache_dir : Path, optional
        Download cache, see :func:`fetch`.

    Returns
    -------
    RunTable
        Columns ``run`` (``<corpus>/P=<P>/N=<N>``), ``N`` (non-embedding parameters), ``loss``,
        then ``P`` (streams, the covariate of the ``parscale`` law) and ``corpus``
        (``stack_v2_python`` or ``pile``).

    References
    ----------
    .. [1] Chen, M., Hui, B., Cui, Z., et al. (2025). Parallel Scaling Law for Language Models.
       arXiv:2505.10475. Data: github.com/QwenLM/ParScale (no licence stated).
    """
    path = fetch(as_url(url), PARSCALE2025_SHA256, cache_dir=cache_dir, filename="parscale2025.py")
    literals = _literal_assignments(path.read_text(encoding="utf-8"))
    rows = [
        {
            "run": f"{corpus}/P={streams}/N={size}",
            "N": size,
            "loss": loss,
            "P": streams,
            "corpus": corpus,
        }
        for corpus, name in PARSCALE2025_LOSSES.items()
        for streams, sizes, losses in zip(
            PARSCALE2025_STREAMS, literals["params"], literals[name], strict=True
        )
        for size, loss in zip(sizes, losses, strict=True)
    ]
    return from_frame(pd.DataFrame(rows), mapping={"run": "run", "N": "N"})


def _literal_assignments(source: str) -> dict:
    """``{name: value}`` of every assignment of a literal to a name in Python ``source``.

    Values are read with ``ast.literal_eval``, so the source is parsed but never run; an
    assignment of anything but a literal is passed over.
    """
    literals = {}
    with warnings.catch_warnings():
        # Someone else's source: its invalid escapes such as "\\d" in a plain string are not ours.
        warnings.simplefilter("ignore", SyntaxWarning)
        tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and [type(target) for target in node.targets] == [ast.Name]:
            try:
                literals[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return literals


RUAN2024_URL = (
    "https://raw.githubusercontent.com/ryoungj/ObsScaling/"
    "4d6e1e43fd2635d04654aa77d1df9d5266ea0382/eval_results/base_llm_benchmark_eval.csv"
)
RUAN2024_SHA256 = "511996815735a4c46251dc585dcc525e370d148201f86561e6f927f9df2d0db8"
RUAN2024_CONSTANTS_URL = (
    "https://raw.githubusercontent.com/ryoungj/ObsScaling/"
    "4d6e1e43fd2635d04654aa77d1df9d5266ea0382/utils/constants.py"
)
RUAN2024_CONSTANTS_SHA256 = "cd05e897acbeb02e74712a2a907b2913b7cc39533150532cd791aeea2d09a9d8"
RUAN2024_BENCHMARKS = (
    "MMLU",
    "ARC-C",
    "HellaSwag",
    "Winograd",
    "TruthfulQA",
    "GSM8K",
    "XWinograd",
    "HumanEval",
)
RUAN2024_COLUMNS = {
    "Model": "model",
    "Model Family": "family",
    "Model Size (B)": "parameters",
    "Pretraining Data Size (T)": "tokens",
    "FLOPs (1E21)": "flops",
}
"""The authors' column names of the metadata, and ours; the benchmarks keep their names."""
RUAN2024_UNITS = {"parameters": 1e9, "tokens": 1e12, "flops": 1e21}


def ruan2024(
    *,
    url: str | os.PathLike = RUAN2024_URL,
    constants_url: str | os.PathLike = RUAN2024_CONSTANTS_URL,
    cache_dir: Path | None = None,
) -> pd.DataFrame:
    """Benchmark scores of 148 public base models from Ruan et al. (2024), "Observational Scaling
    Laws".

    Eight few-shot accuracies (MMLU, ARC-C, HellaSwag, Winograd, TruthfulQA, GSM8K, XWinograd,
    HumanEval) of models from 47 families, with each model's parameters, pre-training tokens and
    training compute 6·N·D, where the authors could find them. The 20 models of the authors'
    ``PREREGISTERED_BASE_MODEL_MAP`` (in ``utils/constants.py``, read with ``ast.literal_eval``,
    never run) were released after the paper and predicted before they were evaluated. Values are
    the authors'; note that their BTLM-3B row gives 627 trillion tokens (627 billion, per its
    model card), so 1.1e25 FLOPs.

    Parameters
    ----------
    url : str or path
        Where to get ``eval_results/base_llm_benchmark_eval.csv``; by default the authors'
        repository at a fixed commit. A local copy (path or ``file://`` URL) works too; its hash
        must match.
    constants_url : str or path
        Where to get ``utils/constants.py``, likewise.
    cache_dir : Path, optional
        Download cache, see :func:`fetch`.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model`` (its Hugging Face id), ``family``, ``parameters``,
        ``tokens`` and ``flops`` (NaN where undisclosed), one column of accuracies in [0, 1]
        per benchmark (NaN where not evaluated) and ``is_preregistered``.

    References
    ----------
    .. [1] Ruan, Y., Maddison, C. J., Hashimoto, T. (2024). Observational Scaling Laws and the
       Predictability of Language Model Performance. NeurIPS 2024, arXiv:2405.10938. Data:
       github.com/ryoungj/ObsScaling (Apache 2.0).
    """
    scores = fetch(as_url(url), RUAN2024_SHA256, cache_dir=cache_dir, filename="ruan2024.csv")
    constants = fetch(
        as_url(constants_url),
        RUAN2024_CONSTANTS_SHA256,
        cache_dir=cache_dir,
        filename="ruan2024_constants.py",
    )
    frame = pd.read_csv(scores)
    missing = [name for name in [*RUAN2024_COLUMNS, *RUAN2024_BENCHMARKS] if name not in frame]
    if missing:
        raise DatasetError(f"{url} lacks the columns {', '.join(missing)}")
    frame = frame[[*RUAN2024_COLUMNS, *RUAN2024_BENCHMARKS]].rename(columns=RUAN2024_COLUMNS)
    for column, unit in RUAN2024_UNITS.items():
        frame[column] = frame[column].astype(float) * unit
    literals = _literal_assignments(constants.read_text(encoding="utf-8"))
    preregistered = set(literals["PREREGISTERED_BASE_MODEL_MAP"])
    unknown = sorted(preregistered - set(frame["model"]))
    if unknown:
        raise DatasetError(f"pre-registered models missing from {url}: {', '.join(unknown)}")
    frame["is_preregistered"] = frame["model"].isin(preregistered)
    return frame


DATASETS = {
    "chinchilla_epoch": chinchilla_epoch,
    "gadre_overtraining": gadre_overtraining,
    "misfitting_li2025": misfitting_li2025,
    "muennighoff2023": muennighoff2023,
    "parscale2025": parscale2025,
    "porian2024": porian2024,
    "steplaw": steplaw,
}
"""Loaders of public data sets by name."""


def load_dataset(name: str, **kwargs) -> RunTable:
    """Load a public data set by name, passing ``kwargs`` to its loader.

    Raises
    ------
    UnknownDatasetError
        A ``KeyError`` listing the valid names, if ``name`` is not in ``DATASETS``.
    """
    if name not in DATASETS:
        raise UnknownDatasetError(f"unknown dataset {name!r}; valid names: {sorted(DATASETS)}")
    return DATASETS[name](**kwargs)


def _default_filename(url: str, sha256: str) -> str:
    basename = Path(urllib.parse.urlparse(url).path).name or "download"
    return f"{sha256[:12]}-{basename}"


def _download(url: str, sink) -> str:
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
            while chunk := response.read(CHUNK_BYTES):
                digest.update(chunk)
                sink.write(chunk)
    except (urllib.error.URLError, OSError) as error:
        raise DatasetError(
            f"could not download {url}: {error}. Check the connection, or pass a file:// URL "
            "to a local copy"
        ) from error
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, url: str, expected: str, actual: str, *, cached: bool) -> None:
    if actual == expected.lower():
        return
    path.unlink()
    copy = f"cached copy {path}" if cached else "download"
    raise DatasetError(
        f"checksum mismatch for {url}: expected sha256 {expected}, got {actual} from the {copy}. "
        "The bad file was deleted; if the source changed on purpose, pass its new hash"
    )

"""Public scaling-law data sets, downloaded once into a checksummed cache.

Nothing is bundled: each loader fetches the original file from its source, checks its SHA-256,
and reads it into a ``RunTable``. Cite the papers named in a loader's docstring when you use it.
"""

import hashlib
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.runs.table import RunTable
from workbench.runs.validation import from_frame

CACHE_ENVIRONMENT_VARIABLE = "WORKBENCH_CACHE"
DEFAULT_CACHE_DIR = Path("~/.cache/scaling-workbench")
CHUNK_BYTES = 1 << 20
DOWNLOAD_TIMEOUT_SECONDS = 60

CHINCHILLA_EPOCH_URL = (
    "https://raw.githubusercontent.com/epoch-research/analyzing-chinchilla/"
    "92258837425e1b5f2851d624287f0120583a3d0e/data/svg_extracted_data.csv"
)
CHINCHILLA_EPOCH_SHA256 = "193478df4e90f040016431996c45682659306840ecdadf83cfb9cd5ca0aa1b30"
CHINCHILLA_EPOCH_EXCLUDED = 5


class DatasetError(RuntimeError):
    """A data set that could not be downloaded, or whose bytes are not the expected ones."""


class UnknownDatasetError(KeyError):
    """A data set name that is not in ``DATASETS``."""

    def __str__(self) -> str:
        # KeyError would show the message quoted, as if it were a key.
        return str(self.args[0])


def default_cache_dir() -> Path:
    """The download cache: ``$WORKBENCH_CACHE``, or ``~/.cache/scaling-workbench``."""
    return Path(os.environ.get(CACHE_ENVIRONMENT_VARIABLE, DEFAULT_CACHE_DIR)).expanduser()


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
    with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", delete=False) as part:
        try:
            digest = _download(url, part)
        except BaseException:
            part.close()
            Path(part.name).unlink()
            raise
    _verify(Path(part.name), url, sha256, digest, cached=False)
    # Temporary files are private (0600); a cached public data set need not be.
    os.chmod(part.name, 0o644)
    os.replace(part.name, path)
    return path


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


DATASETS = {"chinchilla_epoch": chinchilla_epoch}
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

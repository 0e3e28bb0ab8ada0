"""Files written whole or not at all.

Every file the product writes (fits, batch results, reports, downloaded data) is written to a
temporary file beside its target, flushed to disk and renamed over the target. A reader, or a
process killed mid-write, then sees the previous file or the complete new one, never a part:
``os.replace`` is atomic within one file system.
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

PARTIAL_MARK = ".partial-"
"""In the names of files being written; a killed writer can leave one behind, never the target."""
FILE_MODE = 0o644
"""Temporary files are private (0600); the files they become need not be."""


@contextlib.contextmanager
def replacing(path) -> Iterator[Path]:
    """A temporary path in ``path``'s folder to write to; when the block ends without error,
    the file there is flushed to disk and renamed over ``path``, else removed.

    The temporary name keeps ``path``'s suffix, for writers that choose a format by it.
    """
    path = Path(path)
    descriptor, name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}{PARTIAL_MARK}", suffix=path.suffix
    )
    os.close(descriptor)
    partial = Path(name)
    try:
        yield partial
        with open(partial, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(partial, FILE_MODE)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    # The rename itself is durable only once the folder's entry is on disk.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

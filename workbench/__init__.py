import os
from importlib.metadata import version as _v

# NumPy asks Linux for transparent huge pages for every array of 4 MB or more; where memory is
# fragmented the kernel then compacts it at each first touch, which made the pointwise groups of
# a 100,000-row fit 2.5x slower (benchmarks/README.md). NumPy reads this once, when first
# imported; a user's own setting wins.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

__version__ = _v("scaling-workbench")

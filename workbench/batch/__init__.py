"""Many fits at once on Dask: a YAML grid of data sets, laws, fitting choices and holdout cuts."""

from workbench.batch.engine import BatchResult, read_results, run_batch
from workbench.batch.report import batch_summary
from workbench.batch.spec import BatchSpec, Job, SpecError, load_spec, parse_spec

__all__ = [
    "BatchResult",
    "BatchSpec",
    "Job",
    "SpecError",
    "batch_summary",
    "load_spec",
    "parse_spec",
    "read_results",
    "run_batch",
]

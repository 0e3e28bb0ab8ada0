"""The ``workbench`` command run in the test's own process, its output captured."""

import contextlib
import io

from workbench.cli import main


def run(*argv) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``workbench *argv`` (arguments given as any objects)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(arg) for arg in argv])
    return code, out.getvalue(), err.getvalue()

"""The ``workbench`` command line: one module per group of commands (``fitting``: laws, fit,
predict, demo; ``comparing``: compare, backtest, calibrate; ``passuntil``; ``steplaw``;
``serving``: serve; ``batching``: batch, batch-report), sharing the parent parsers and types of
``arguments``. Each command reports what a result object says (its ``report`` or ``to_dict``);
the command line only formats it."""

from workbench.cli.main import build_parser, main

__all__ = ["build_parser", "main"]

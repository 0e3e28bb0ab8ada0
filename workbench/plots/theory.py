"""A fit's loss exponents beside the exponents two theories of scaling predict."""

import holoviews as hv
import pandas as pd

from workbench.intervals import interval_names, percent, resolve_ci_prob
from workbench.plots.style import (
    PLOT_SIZE,
    POSTERIOR_COLOR,
    REFERENCE_COLOR,
    WHISKERS,
    readable_axes,
)
from workbench.predict.theory import SUPERPOSITION_WIDTH, VARIANCE_LIMITED, WIDTH_POWER

REFERENCE_LINES = {
    "variance-limited (Bahri et al.)": VARIANCE_LIMITED,
    "strong superposition, N ∝ width² (Liu et al.)": SUPERPOSITION_WIDTH / WIDTH_POWER,
}


@readable_axes
def plot_theory(table: pd.DataFrame, *, ci_prob: float | None = None) -> hv.Overlay:
    """Each loss exponent of a :func:`workbench.predict.theory_readout` table, with its interval,
    and the exponents of the variance-limited regime (1) and of strong superposition for N
    (1/2 with the depth fixed) as dashed lines."""
    ci_prob = resolve_ci_prob(ci_prob)
    low, high = interval_names(ci_prob, "exponent")
    frame = pd.DataFrame(
        {
            "covariate": table["covariate"],
            "exponent": table["exponent"],
            "below": table["exponent"] - table[low],
            "above": table[high] - table["exponent"],
        }
    )
    covariate = hv.Dimension("covariate", label="the loss falls as X^−α in X =")
    exponent = hv.Dimension("exponent", label="exponent α")
    overlay = hv.ErrorBars(frame, kdims=[covariate], vdims=[exponent, "below", "above"]).opts(
        color=POSTERIOR_COLOR, line_width=3, **WHISKERS
    ) * hv.Scatter(frame, kdims=[covariate], vdims=[exponent]).opts(
        color=POSTERIOR_COLOR, size=10, tools=["hover"]
    )
    first = frame["covariate"].iloc[0]
    for (label, value), dash in zip(REFERENCE_LINES.items(), ("dashed", "dotted"), strict=True):
        overlay *= hv.HLine(value).opts(color=REFERENCE_COLOR, line_dash=dash, line_width=1.5)
        overlay *= hv.Text(first, value, f" {label}", halign="left", valign="bottom").opts(
            color=REFERENCE_COLOR, text_font_size="9pt"
        )
    return overlay.opts(
        title=f"Loss exponents and theory ({percent(ci_prob)} % intervals)",
        show_legend=False,
        # The theories' exponents are part of the picture: from 0 to past 1.
        ylim=(0, max(1.15, 1.1 * float(table[high].max()))),
        **PLOT_SIZE,
    )

"""The scaling-law card: one self-contained page to take a fit to a meeting.

``scaling_law_card(fit)`` shows it in a notebook (after ``pn.extension()``), ``save_card(fit,
"card.html")`` writes the page, and so do ``workbench report FIT.nc -o card.html`` and the
dashboard's Export tab.

It holds the data (runs plotted, counts, ranges, provenance, content hash), the law (formula,
paper), the posterior (a table with intervals, diagnostics in plain words), posterior predictive
checks and LOO-PIT, the calibration of the extrapolation error where the fit has nested
backtests, predictions at the reader's targets with their distance past the data, the
compute-optimal allocation, and the package versions and command that reproduce the fit. Every
script and stylesheet is inline, so the page opens offline.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import panel as pn

from workbench.app.common import ensemble_weights, top_fit
from workbench.app.offline import standalone_html
from workbench.atomic import replacing
from workbench.backtesting import LawEnsemble
from workbench.fitting.base import package_versions
from workbench.intervals import interval_names, percent, resolve_ci_prob
from workbench.plots import (
    plot_calibration,
    plot_compute_optimal,
    plot_extrapolation,
    plot_loo_pit,
    plot_ppc,
    plot_runs,
)
from workbench.predict import calibration_of

COMPUTE_BUDGETS = (1e21, 1e22, 1e23, 1e24, 1e25)
SECTION_WIDTH = 1080


def prose(markdown: str) -> pn.pane.Markdown:
    """A section's text; math off, as MathJax would be fetched from a CDN."""
    return pn.pane.Markdown(markdown, disable_math=True, width=SECTION_WIDTH)


def default_targets(fit) -> dict[str, np.ndarray]:
    """Ten times the largest run, in each of the law's covariates."""
    runs = fit.fitted_runs()
    return {name: np.array([10 * runs.column(name).max()]) for name in fit.law.covariates}


def data_section(fit) -> list:
    runs = fit.fitted_runs()
    attrs = fit.idata.attrs
    rows = [
        {
            "covariate": name,
            "smallest": f"{values.min():.3g}",
            "largest": f"{values.max():.3g}",
        }
        for name, values in ((name, runs.column(name)) for name in fit.law.covariates)
    ]
    target = runs.y
    rows.append(
        {
            "covariate": f"{fit.target_} (target)",
            "smallest": f"{target.min():.4g}",
            "largest": f"{target.max():.4g}",
        }
    )
    distinct = len(set(runs.column("run"))) if runs.has("run") else len(runs)
    text = (
        f"**{len(runs)} observations** from {distinct} runs. Content hash of the runs: "
        f"`{attrs.get('data_hash', 'not recorded')}`. Fitted "
        f"{attrs.get('created', attrs.get('saved', 'at an unknown time'))} by Scaling Workbench "
        f"{attrs.get('workbench_version', '(version not recorded)')}."
    )
    return [
        prose("## Data\n\n" + text),
        pn.pane.DataFrame(pd.DataFrame(rows), index=False),
        plot_runs(runs),
    ]


def law_section(fit) -> list:
    law = fit.law
    text = (
        f"## Law: `{law.label}`\n\n{law.purpose[0].upper()}{law.purpose[1:]}.\n\n"
        f"{law.plain_formula}\n\nPaper: {law.reference}"
    )
    return [prose(text)]


def diagnostics_in_words(diagnostics) -> str:
    problems = diagnostics.problems()
    head = (
        f"{diagnostics.chains} chains of {diagnostics.draws} draws: R-hat at most "
        f"{diagnostics.rhat_max:.3f}, effective sample size at least {diagnostics.ess_min:.0f}, "
        f"{diagnostics.divergences} divergent transitions."
    )
    if not problems:
        return (
            head + " The chains agree and the sampler saw no trouble: the intervals can be trusted."
        )
    return head + " **Do not trust this fit yet:** " + "; ".join(problems) + "."


def posterior_section(fit, ci_prob: float) -> list:
    summary = fit.summary(ci_prob=ci_prob)
    low, high = interval_names(ci_prob)
    table = summary[["median", low, high, "r_hat", "ess_bulk"]].map(lambda value: f"{value:.4g}")
    return [
        prose(
            f"## Posterior\n\nMedians and central {percent(ci_prob)} % intervals.\n\n"
            + diagnostics_in_words(fit.diagnostics())
        ),
        pn.pane.DataFrame(table.reset_index(), index=False),
    ]


def checks_section(fit, ci_prob: float) -> list:
    return [
        prose(
            "## Posterior predictive checks\n\nThe observed runs against the posterior "
            "predictive; LOO-PIT values are uniform when the fit describes each run as well as "
            "if it had not seen it."
        ),
        pn.Row(plot_ppc(fit, ci_prob=ci_prob), plot_loo_pit(fit)),
    ]


def calibration_section(fit) -> list:
    calibration = calibration_of(fit)
    if calibration.source == "default":
        text = (
            "## Calibration\n\nThis fit has no nested leave-future-out backtests (too few runs, "
            "or fitted without calibration): its predictions past the data add the default "
            "extrapolation error learned from public scaling-law data."
        )
        return [prose(text)]
    text = (
        "## Calibration\n\nNested leave-future-out backtests within the training runs: the "
        "largest runs held out, the law refitted on the rest, and the errors measured. Intervals "
        "past the data widen by the extrapolation error learned from them."
    )
    return [prose(text), plot_calibration(fit)]


def stacking_section(ensemble) -> list:
    text = (
        "## Stacked laws\n\nA `--law auto` fit: every law the run table allows, fitted, "
        "calibrated and stacked by leave-future-out. Predictions come from the whole mixture; "
        "the other sections show the law with the largest weight."
    )
    weights = ensemble_weights(ensemble).assign(weight=lambda frame: frame["weight"].round(3))
    return [prose(text), pn.pane.DataFrame(weights, index=False)]


def predictions_section(fit, predictor, targets, ci_prob: float) -> list:
    table = predictor.predict(ci_prob=ci_prob, warn=False, **targets)
    table = table[table["kind"] == "observation"]
    low, high = interval_names(ci_prob)
    names = [name for name in ("N", "D", "C", *fit.law.covariates) if name in table]
    shown = pd.DataFrame({name: table[name].map("{:.3g}".format) for name in dict.fromkeys(names)})
    shown["median"] = table["median"].map("{:.4f}".format)
    shown[f"{percent(ci_prob)} % interval"] = [
        f"[{a:.4f}, {b:.4f}]" for a, b in zip(table[low], table[high], strict=True)
    ]
    shown["decades past the data"] = table["distance"].map("{:.2f}".format)
    shown["beyond the calibration's evidence"] = table["beyond_evidence"].map(
        {True: "yes", False: "no"}
    )
    text = (
        f"## Predictions\n\nA new run's {fit.target_} at the targets "
        f"({table['interval'].iloc[0]} intervals)."
    )
    return [
        prose(text),
        pn.pane.DataFrame(shown, index=False),
        plot_extrapolation(fit, targets, ci_prob=ci_prob),
    ]


def compute_optimal_section(fit, ci_prob: float) -> list:
    if not {"N", "D"} <= set(fit.law.covariates) or len(fit.law.covariates) != 2:
        return [
            prose(
                f"## Compute-optimal allocation\n\n`{fit.law.label}` does not split compute "
                "between parameters and tokens."
            )
        ]
    table = fit.compute_optimal(np.array(COMPUTE_BUDGETS), ci_prob=ci_prob)
    wide = table.pivot(index="C", columns="quantity", values="median").reset_index()
    shown = wide.map(lambda value: f"{value:.4g}")
    return [
        prose(
            "## Compute-optimal allocation\n\nPosterior medians of the loss-optimal model size "
            "and tokens at each budget C = 6·N·D."
        ),
        pn.pane.DataFrame(shown, index=False),
        plot_compute_optimal(fit, ci_prob=ci_prob),
    ]


def reproduce_section(fit) -> list:
    attrs = fit.idata.attrs
    command = attrs.get("command")
    if command is None:
        config = json.loads(attrs["config"]) if "config" in attrs else {}
        command = (
            f"ScalingLawFit.from_config({json.dumps(config)}).fit(runs, "
            f"random_seed={attrs.get('random_seed')})"
        )
    saved = json.loads(attrs["versions"]) if "versions" in attrs else None
    versions = saved or package_versions()
    when = "when the fit was saved" if saved else "where this card was made"
    lines = "\n".join(f"- {package} {number}" for package, number in versions.items())
    text = (
        f"## Reproduce\n\n```\n{command}\n```\n\nPackage versions {when}:\n\n{lines}\n\n"
        f"Configuration hash `{attrs.get('config_hash', 'not recorded')}`."
    )
    return [prose(text)]


def scaling_law_card(fitted, targets=None, ci_prob: float | None = None) -> pn.Column:
    """The card of a ``ScalingLawFit`` or of a ``LawEnsemble`` (see the module docstring).

    ``targets`` are covariate arrays as ``predict`` takes them; by default ten times the largest
    run in each covariate.
    """
    ci_prob = resolve_ci_prob(ci_prob)
    ensemble = fitted if isinstance(fitted, LawEnsemble) else None
    fit = top_fit(ensemble) if ensemble is not None else fitted
    targets = default_targets(fit) if targets is None else targets
    label = ensemble.label if ensemble is not None else fit.law.label
    title = prose(f"# Scaling-law card: {label} fitted to {fit.target_}")
    sections = [
        data_section(fit),
        stacking_section(ensemble) if ensemble is not None else [],
        law_section(fit),
        posterior_section(fit, ci_prob),
        checks_section(fit, ci_prob),
        calibration_section(fit),
        predictions_section(fit, fitted, targets, ci_prob),
        compute_optimal_section(fit, ci_prob),
        reproduce_section(fit),
    ]
    return pn.Column(title, *(part for section in sections for part in section))


def card_html(fitted, targets=None, ci_prob: float | None = None) -> str:
    """The card as one HTML page with every resource inline."""
    return standalone_html(scaling_law_card(fitted, targets, ci_prob), title="Scaling-law card")


def save_card(fitted, path, targets=None, ci_prob: float | None = None) -> Path:
    """Write the card to ``path`` (HTML, whole or not at all); returns the path."""
    path = Path(path)
    page = card_html(fitted, targets, ci_prob)
    with replacing(path) as partial:
        partial.write_text(page, encoding="utf-8")
    return path

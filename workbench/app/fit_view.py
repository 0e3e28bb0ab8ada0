"""The Fit tab: choose a law (or auto), edit its priors and sampler, fit with NUTS, read the
diagnostics."""

import re
import time

import pandas as pd
import panel as pn
import param
import pymc

from workbench.app.common import (
    StaleNote,
    ensemble_weights,
    error_alert,
    markdown_literal,
    plot_or_alert,
    show_error,
    show_table,
    top_fit,
)
from workbench.app.controls import JobControls
from workbench.app.jobs import (
    EnsembleJob,
    FitJob,
    FitTimedOut,
    check_draws,
    limit_from_environment,
)
from workbench.app.state import WorkbenchState
from workbench.backtesting import LawEnsemble, candidate_laws
from workbench.backtesting.auto import AUTO
from workbench.fitting import DEFAULT_SAMPLER, Diagnostics, FitCancelled, ScalingLawFit
from workbench.fitting.chains import modes_message
from workbench.laws import LAWS, Prior, get_law
from workbench.laws.formula import FormulaError
from workbench.plots.theory import plot_theory
from workbench.predict import calibration_of, theory_readout
from workbench.predict.calibration import describe_calibration
from workbench.runs import RunTableError

DEFAULT_LAW = "chinchilla"
FORMULA = "formula"
LAW_OPTIONS = {
    "auto — stacked by leave-future-out": AUTO,
    **{name: name for name in LAWS},
    "formula — write your own": FORMULA,
}
"""The Law selector's labels and values: auto first, then every family by name, then a formula
the user writes."""
DEFAULT_FORMULA = "E + A*N**-alpha + B*D**-beta"
FORMULA_NOTE = (
    "N, D and C are covariates, and so are the columns named below; every other name is a "
    "parameter. Write + - * / and powers (** or ^), exp, log, sqrt, min and max."
)
AUTO_NOTE = (
    "**auto** fits every law the run table's columns allow, calibrates each by nested "
    "leave-future-out backtests, and predicts with their mixture, weighted by how well each "
    "predicted the held-out larger runs."
)
PRIOR_DISTRIBUTIONS = sorted(
    {"Normal", "StudentT", "Uniform", "Cauchy", "LogNormal", "Gamma", "HalfNormal",
     "HalfStudentT", "HalfCauchy", "Exponential", "InverseGamma", "TruncatedNormal"}
)  # fmt: skip
COLORS = {"good": "#2e7d32", "warn": "#ef8f00", "bad": "#c62828"}
ASSIGNMENT = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*(\S+)\s*$")
MAX_DRAWS_VARIABLE = "WORKBENCH_MAX_DRAWS"
DEFAULT_MAX_DRAWS = 40_000


def max_draws_from_environment() -> int:
    return int(limit_from_environment(MAX_DRAWS_VARIABLE, DEFAULT_MAX_DRAWS))


def takes_covariate(law_name: str) -> bool:
    """Whether a family is fitted in one covariate chosen by the user (``covariate=``)."""
    return law_name not in (AUTO, FORMULA) and "covariate" in get_law(law_name).options


def describe_ensemble(ensemble: LawEnsemble) -> str:
    """The weights of every law considered and what they were stacked on, in a sentence."""
    table = ensemble_weights(ensemble)
    weights = ", ".join(f"{row.law} {row.weight:.2f}" for row in table.itertuples())
    if ensemble.weights_from_ == "lfo":
        return f"{weights} (stacked by leave-future-out over {len(table)} laws)"
    return (
        f"{weights} (stacked by PSIS-LOO over {len(table)} laws: too few runs for "
        "leave-future-out backtests)"
    )


def prior_rows(priors: dict[str, Prior]) -> pd.DataFrame:
    """Priors as an editable table: parameter, distribution, ``name=value`` parameters."""
    return pd.DataFrame(
        {
            "parameter": list(priors),
            "distribution": [prior.distribution for prior in priors.values()],
            "parameters": [
                ", ".join(f"{key}={float(value):.6g}" for key, value in prior.parameters.items())
                for prior in priors.values()
            ],
        }
    )


def parse_prior(name: str, distribution: str, text: str) -> Prior:
    """A ``Prior`` from a table row, or ``ValueError`` saying what is wrong with the row."""
    distribution = str(distribution).strip()
    candidate = getattr(pymc, distribution, None)
    if not (isinstance(candidate, type) and issubclass(candidate, pymc.Distribution)):
        raise ValueError(
            f"prior of {name!r}: PyMC has no distribution {distribution!r}; "
            f"use e.g. {', '.join(PRIOR_DISTRIBUTIONS)}"
        )
    parameters = {}
    for part in filter(None, (piece.strip() for piece in str(text).split(","))):
        match = ASSIGNMENT.match(part)
        try:
            parameters[match[1]] = float(match[2])
        except (TypeError, ValueError):
            raise ValueError(
                f"prior of {name!r}: cannot read {part!r}; write parameters as name=number, "
                "separated by commas, e.g. mu=0, sigma=1"
            ) from None
    return Prior(distribution, **parameters)


def badge(label: str, value: str, level: str) -> str:
    return (
        f'<span style="background:{COLORS[level]};color:white;border-radius:4px;'
        f'padding:3px 8px;margin-right:6px;font-weight:600">{label}: {value}</span>'
    )


def fit_problems(fit) -> list[str]:
    """Why not to trust a fit yet: its data's shape, its sampling, and chains it weighted."""
    problems = [*fit.data_problems(), *fit.diagnostics().problems()]
    return problems + ([modes_message(fit.chain_weights)] if fit.chain_weights is not None else [])


def diagnostic_badges(diagnostics: Diagnostics) -> str:
    """R-hat, ESS and divergences as green/amber/red badges (HTML)."""
    levels = diagnostics.levels()
    return "".join(
        [
            badge("R-hat", f"{diagnostics.rhat_max:.3f}", levels["rhat"]),
            badge("ESS (min)", f"{diagnostics.ess_min:.0f}", levels["ess"]),
            badge("Divergences", str(diagnostics.divergences), levels["divergences"]),
        ]
    )


class FitView(pn.viewable.Viewer):
    """Fit one law, or stack every law the runs allow (auto), with NUTS off the event loop, with
    progress, cancel and diagnostics."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    law = param.Selector(
        default=DEFAULT_LAW,
        objects=LAW_OPTIONS,
        doc="Scaling-law family, or auto: every family the columns allow, stacked.",
    )
    covariate = param.Selector(
        default="C", objects=["N", "D", "C"], doc="Covariate of one-covariate families."
    )
    formula = param.String(
        default=DEFAULT_FORMULA, doc="The law written as a formula, when the law is formula."
    )
    formula_covariates = param.String(
        default="", doc="Run-table columns the formula reads besides N, D and C, comma-separated."
    )
    draws = param.Integer(
        default=DEFAULT_SAMPLER["draws"], bounds=(10, 1_000_000), doc="Posterior draws per chain."
    )
    tune = param.Integer(
        default=DEFAULT_SAMPLER["tune"], bounds=(10, 100_000), doc="Tuning steps per chain."
    )
    chains = param.Integer(
        default=DEFAULT_SAMPLER["chains"], bounds=(1, 16), doc="Independent NUTS chains."
    )
    random_seed = param.Integer(default=1, bounds=(0, 2**32 - 1), doc="Seed of the sampler.")
    calibrate = param.Boolean(
        default=True,
        doc="Learn the extrapolation error by 3 nested backtests (3 more fits); off for a quick "
        "look, and predictions past the data then add the default error.",
    )
    max_draws = param.Integer(
        default=DEFAULT_MAX_DRAWS,
        bounds=(1, None),
        doc="Largest draws × chains of one fit (workbench serve --max-draws).",
    )

    def __init__(self, state: WorkbenchState | None = None, **params):
        params.setdefault("max_draws", max_draws_from_environment())
        super().__init__(state=state or WorkbenchState(), **params)
        self._law_select = pn.widgets.Select.from_param(self.param.law, label="Law")
        self._covariate_select = pn.widgets.Select.from_param(
            self.param.covariate, label="Covariate"
        )
        self._formula_input = pn.widgets.TextInput.from_param(
            self.param.formula, name="Formula", sizing_mode="stretch_width"
        )
        self._formula_covariates = pn.widgets.TextInput.from_param(
            self.param.formula_covariates, name="Other covariates (columns)", width=220
        )
        self._formula_box = pn.Column(
            pn.Row(self._formula_input, self._formula_covariates, sizing_mode="stretch_width"),
            pn.pane.Markdown(FORMULA_NOTE),
            sizing_mode="stretch_width",
        )
        self._formula = pn.pane.LaTeX("", renderer="katex", styles={"font-size": "1.2em"})
        self._reference = pn.pane.Markdown("")
        self._priors = pn.widgets.Tabulator(
            pd.DataFrame(columns=["parameter", "distribution", "parameters"]),
            show_index=False,
            editors={
                "parameter": None,
                "distribution": {"type": "list", "values": PRIOR_DISTRIBUTIONS},
                "parameters": "input",
            },
            widths={"parameter": 100, "distribution": 150, "parameters": 320},
        )
        self._priors_alert = error_alert()
        self._reset_priors = pn.widgets.Button(label="Reset priors", color="light")
        # auto chooses its laws and uses their default priors: the editor would not apply.
        self._law_details = pn.Column(
            self._formula,
            self._reference,
            pn.pane.Markdown("**Priors** (sampler parameters; edit distribution or parameters)"),
            pn.Row(self._priors, self._reset_priors),
            self._priors_alert,
            sizing_mode="stretch_width",
        )
        self._auto_note = pn.pane.Markdown(AUTO_NOTE, sizing_mode="stretch_width")
        self._sampler_inputs = [
            pn.widgets.IntInput.from_param(self.param.draws, label="Draws", width=110),
            pn.widgets.IntInput.from_param(self.param.tune, label="Tune", width=110),
            pn.widgets.IntInput.from_param(self.param.chains, label="Chains", width=90),
            pn.widgets.IntInput.from_param(self.param.random_seed, label="Seed", width=110),
        ]
        # auto stacks the laws by their nested backtests: it cannot skip them.
        self._calibrate_box = pn.widgets.Checkbox.from_param(
            self.param.calibrate, name="Calibrate by nested backtests", margin=(28, 10, 0, 10)
        )
        self.controls = JobControls(self.start_fit, label="Fit", progress_width=300)
        self._alert = error_alert()
        self._stale = StaleNote(state=self.state, about="fit")
        self._shown_law = pn.pane.Markdown("", visible=False)
        self._badges = pn.pane.HTML("")
        self._problems = pn.pane.Alert("", alert_type="warning", visible=False)
        self._theory = pn.Column(sizing_mode="stretch_width")
        self._summary = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, sizing_mode="stretch_width"
        )
        self._reset_priors.on_click(lambda event: self._on_law())
        self._priors.param.watch(self._on_priors_edit, "value")
        self._on_law()
        self._on_fit_change()

    # -- law and priors --------------------------------------------------------------------
    def configured_law(self):
        if self.law == FORMULA:
            names = [name.strip() for name in self.formula_covariates.split(",") if name.strip()]
            return get_law(FORMULA, expression=self.formula, covariates=tuple(names))
        options = {"covariate": self.covariate} if takes_covariate(self.law) else {}
        return get_law(self.law, **options)

    @param.depends("law", "covariate", "formula", "formula_covariates", watch=True)
    def _on_law(self):
        auto = self.law == AUTO
        self._covariate_select.visible = takes_covariate(self.law)
        self._formula_box.visible = self.law == FORMULA
        self._law_details.visible = not auto
        self._auto_note.visible = auto
        self._calibrate_box.visible = not auto
        if auto:
            return
        try:
            law = self.configured_law()
        except FormulaError as error:
            # One line in the tab's alert; the fit button says it again if pressed.
            self._law_details.visible = False
            self._formula_error = str(error)
            show_error(self._alert, self._formula_error)
            return
        if self._alert.object == getattr(self, "_formula_error", None):
            show_error(self._alert)
        self._formula.object = f"$${law.formula}$$"
        label = markdown_literal(law.label)
        self._reference.object = (
            f"**{label}** · parameters {', '.join(law.parameters)} · {law.reference}"
        )
        self._default_rows = prior_rows(ScalingLawFit(law).effective_priors)
        self._priors.value = self._default_rows.copy()
        show_error(self._priors_alert)

    def _on_priors_edit(self, event):
        try:
            self.prior_overrides()
        except ValueError as error:
            show_error(self._priors_alert, f"Invalid prior: {error}")
        else:
            show_error(self._priors_alert)

    def prior_overrides(self) -> dict[str, Prior]:
        """Priors the user changed from the defaults; ``ValueError`` for an unreadable row.

        Unchanged rows are left out so the fit reuses the compiled model of the defaults.
        """
        edited = self._priors.value
        overrides = {}
        for row, default in zip(
            edited.itertuples(index=False), self._default_rows.itertuples(index=False), strict=True
        ):
            if (row.distribution, row.parameters) != (default.distribution, default.parameters):
                overrides[row.parameter] = parse_prior(
                    row.parameter, row.distribution, row.parameters
                )
        return overrides

    def sampler_options(self) -> dict:
        """Draws, tune, chains and cores; ``ValueError`` above the server's ``max_draws``."""
        check_draws(self.draws, self.chains, self.max_draws)
        options = {"draws": self.draws, "tune": self.tune, "chains": self.chains}
        return options | {"cores": min(self.chains, DEFAULT_SAMPLER["cores"])}

    def make_fit(self) -> ScalingLawFit:
        """An unfitted ``ScalingLawFit`` with the chosen law, priors and sampler options."""
        fit = ScalingLawFit(
            self.configured_law(), priors=self.prior_overrides(), sampler=self.sampler_options()
        )
        fit.effective_priors  # noqa: B018 - raises now, in the form, rather than in the worker thread
        return fit

    def make_job(self) -> FitJob | EnsembleJob:
        """The fit to run for the form: one law, or every law the runs allow for auto."""
        runs = self.state.runs
        if self.law == AUTO:
            # Choosing the laws here raises for a table without sizes now, in the form.
            ensemble = LawEnsemble(candidate_laws(runs), sampler=self.sampler_options())
            return EnsembleJob(ensemble, runs, random_seed=self.random_seed)
        return FitJob(self.make_fit(), runs, random_seed=self.random_seed, calibrate=self.calibrate)

    # -- fitting ---------------------------------------------------------------------------
    async def start_fit(self, event=None) -> None:
        """Fit on the worker pool, updating the progress bar; the result goes to ``state.fit``
        (for auto, the top-weighted law, with the whole mixture in ``state.ensemble``)."""
        if self.controls.running:
            return
        clicked = time.perf_counter()
        show_error(self._alert)
        if self.state.runs is None:
            self._fail("Could not fit: load runs in the Data tab first", self.law)
            return
        try:
            job = self.make_job()
        except ValueError as error:
            self._fail(f"Could not fit: {error}", self.law)
            return
        name = AUTO if isinstance(job, EnsembleJob) else job.fit.law.label
        try:
            result = await self.controls.run(job, starting_status(job))
        except FitTimedOut as error:
            self._fail(f"Could not fit {name}: {error}", name)
        except FitCancelled:
            self.controls.status = "Fit cancelled; the previous fit, if any, is kept."
        except (RunTableError, ValueError) as error:
            self._fail(f"Could not fit {name}: {error}", name)
        except Exception as error:
            self._fail(f"Could not fit {name}: {type(error).__name__}: {error}", name)
        else:
            # Wall time from the click, as the user waited it: queue, compiling and calibration.
            seconds = time.perf_counter() - clicked
            self._keep(result, f"on {len(job.runs)} runs in {seconds:.1f} s")

    def _keep(self, result: ScalingLawFit | LawEnsemble, how: str) -> None:
        if isinstance(result, LawEnsemble):
            top = top_fit(result)
            self.state.param.update(fit=top, ensemble=result, stale_fit="")
            self.controls.status = (
                f"Fit finished: auto {how}: {describe_ensemble(result)}. The Checks tab and the "
                f"table below show {markdown_literal(top.law.label)}, the top-weighted law; the "
                "Extrapolate tab predicts with the mixture. "
                + describe_calibration(result.calibration_.summary())
            )
        else:
            self.state.param.update(fit=result, ensemble=None, stale_fit="")
            calibration = describe_calibration(calibration_of(result).summary())
            label = markdown_literal(result.law.label)
            self.controls.status = f"Fit finished: {label} {how}. {calibration}"

    def cancel(self, event=None) -> None:
        """Ask the running fit to stop; ``start_fit`` then reports it as cancelled."""
        self.controls.cancel()

    def _fail(self, message: str, law: str) -> None:
        """Show why fitting ``law`` failed, and mark the fit still shown, if any, as stale."""
        show_error(self._alert, message)
        self.controls.status = ""
        self.state.param.update(error=message, stale_fit=self._stale_note(law))

    def _stale_note(self, law: str) -> str:
        fit = self.state.fit
        if fit is None:
            return ""
        shown = "auto" if self.state.ensemble is not None else fit.law.label
        runs = fit.idata.attrs["n_obs"]
        return (
            f"Stale: the fit shown is the previous one ({shown} on {runs} runs), because the new "
            f"fit of {law} failed."
        )

    # -- results ---------------------------------------------------------------------------
    @param.depends("state.fit", "state.ensemble", "state.ci_prob", watch=True)
    def _on_fit_change(self):
        fit = self.state.fit
        if self.state.ensemble is not None:
            self._shown_law.object = (
                f"**{markdown_literal(fit.law.label)}**, the top-weighted law of the auto fit:"
            )
        self._shown_law.visible = self.state.ensemble is not None
        if fit is None:
            self._badges.object = ""
            self._summary.value = pd.DataFrame()
            self._problems.visible = False
            self._theory.objects = []
            return
        diagnostics = fit.diagnostics()
        self._badges.object = diagnostic_badges(diagnostics)
        problems = [f"{problem}." for problem in fit_problems(fit)]
        if self.state.ensemble is not None:
            # Every law in the mixture feeds the predictions, so each one's data and sampling
            # matter.
            problems = [
                f"{label}: {problem}."
                for label, member in self.state.ensemble.fits_.items()
                for problem in fit_problems(member)
            ]
        self._problems.param.update(
            object="**Do not trust these numbers yet.** " + " ".join(problems),
            visible=bool(problems),
        )
        show_table(self._summary, fit.summary(ci_prob=self.state.ci_prob))
        self._theory.objects = theory_section(fit, self.state.ci_prob)

    def __panel__(self):
        return pn.Column(
            pn.Row(self._law_select, self._covariate_select),
            self._formula_box,
            self._auto_note,
            self._law_details,
            pn.pane.Markdown("**Sampler** (NUTS via nutpie)"),
            pn.Row(*self._sampler_inputs, self._calibrate_box),
            self.controls,
            self._alert,
            self._stale,
            self._shown_law,
            self._badges,
            self._problems,
            self._summary,
            self._theory,
            sizing_mode="stretch_width",
        )


def theory_section(fit, ci_prob: float) -> list:
    """What theory says about the fit's loss exponents: a sentence each and a plot; nothing for
    a law without loss exponents."""
    table = theory_readout(fit, ci_prob)
    if table.empty:
        return []
    sentences = " ".join(table["sentence"])
    return [
        pn.pane.Markdown(f"**Exponents and theory.** {sentences}", sizing_mode="stretch_width"),
        plot_or_alert(plot_theory, table, ci_prob=ci_prob),
    ]


def starting_status(job: FitJob | EnsembleJob) -> str:
    """What the fit about to run will do, and why it may take a while."""
    runs = len(job.runs)
    if isinstance(job, EnsembleJob):
        laws = ", ".join(markdown_literal(law.label) for law in job.ensemble.laws)
        return (
            f"Fitting the {len(job.ensemble.laws)} laws these columns allow ({laws}) on {runs} "
            "runs, calibrating each by 3 nested backtests, then stacking them; a law fitted for "
            "the first time in this process is compiled first (about 10 s) ..."
        )
    label = markdown_literal(job.fit.law.label)
    return (
        f"Compiling the {label} model (first fit of this law in this process, about 10 s), then "
        "sampling ..."
        if job.needs_compiling
        else f"Sampling {label} on {runs} runs ..."
    ) + (" Then 3 nested backtests calibrate its extrapolation error." if job.calibrate else "")

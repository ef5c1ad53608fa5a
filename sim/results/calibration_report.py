"""The calibration report: fit against every target with its band, parameter marginals, predictive
checks for the questions the fit never saw, and the mechanism figures. Misfit is shown as it is: a
target the model cannot reach is a finding, stated in the report."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.results.evidence import eras_wide, interval_reaches_band
from sim.results.figures import save
from sim.results.pages import table_html

if TYPE_CHECKING:
    from sim.experiments.calibration import Fit
    from sim.experiments.experiment import Experiment


def plot_fit(table: pd.DataFrame, path: Path) -> str:
    """Each target: the published value with its 95% band (grey), the fit's prediction on fresh
    firms with its 95% interval (blue; red when outside the band)."""
    fig = Figure(figsize=(7, 0.45 * len(table) + 1))
    ax = fig.add_subplot()
    y = np.arange(len(table))[::-1]
    for yi, (_, r) in zip(y, table.iterrows(), strict=True):
        ax.plot([r.band_low, r.band_high], [yi, yi], color="0.75", lw=8, solid_capstyle="butt")
        ax.plot(r.observed, yi, "k|", ms=14)
        colour = "tab:blue" if r.within_band else "tab:red"
        # The interval as a segment, not error bars around the point: it comes from the
        # posterior's draws and need not contain the estimate's share.
        ax.plot([r.low, r.high], [yi, yi], color=colour, lw=1.5)
        ax.errorbar(
            r.predicted,
            yi,
            fmt="o",
            color=colour,
            ms=5,
            capsize=3,
        )
    ax.set_yticks(y, table.target)
    ax.set_xlabel("share / value")
    ax.set_title(
        "Fit against targets: band (grey), published (|), fit (dot, 95% interval)", fontsize=9
    )
    ax.grid(axis="x", alpha=0.3)
    return save(fig, path).name


def plot_marginals(draws: np.ndarray, names: list[str], estimates: dict, path: Path) -> str:
    """Bootstrap distribution of each fitted parameter, with the estimate marked."""
    k = len(names)
    cols = min(4, k)
    rows = int(np.ceil(k / cols))
    fig = Figure(figsize=(3 * cols, 2.3 * rows))
    for j, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, j + 1)
        ax.hist(draws[:, j], bins=30, color="tab:blue", alpha=0.7)
        ax.axvline(estimates[name], color="k", lw=1.5)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return save(fig, path).name


def plot_predictions(predictions: pd.DataFrame, targeted: set[tuple[str, str]], path: Path) -> str:
    """Every question of the instrument at the fit: targeted items in blue, predictions for
    questions the fit never saw in orange."""
    table = predictions.copy()
    table["label"] = (
        table.id
        + "/"
        + table.respondent
        + np.where(table.group == "all", "", " [" + table.group + "]")
    )
    fig = Figure(figsize=(7, 0.32 * len(table) + 1))
    ax = fig.add_subplot()
    y = np.arange(len(table))[::-1]
    for yi, (_, r) in zip(y, table.iterrows(), strict=True):
        seen = (r.id, r.respondent) in targeted and r.group == "all"
        colour = "tab:blue" if seen else "tab:orange"
        ax.plot([r.low, r.high], [yi, yi], color=colour, lw=1.2)
        ax.plot(r.predicted, yi, "o", ms=4, color=colour)
    ax.set_yticks(y, table.label, fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share answering yes")
    ax.set_title("Predictions (blue: fitted targets; orange: never fitted)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return save(fig, path).name


def _table(df: pd.DataFrame) -> str:
    return table_html(df, digits=3, classes="t")


def _miss_reading(r: Any) -> str:
    """What a missed target means: if the fit's own interval reaches the band, the miss may be
    the simulation's and the survey's noise; if not, these parameters cannot reach it."""
    if interval_reaches_band(r.low, r.high, r.band_low, r.band_high):
        return (
            "The fit's interval overlaps the band: the miss is within the combined noise of the "
            "simulated firms and the survey, but the estimate sits outside."
        )
    return (
        "The fit's interval misses the band: the model cannot reach it with these parameters, a "
        "finding about the model's mechanisms or the instrument, not noise."
    )


def _search_steps(e: Experiment) -> str:
    """The optional steps of the search, in the order they ran."""
    steps = []
    if e.screen_trajectories:
        steps.append("Morris screening first")
    if e.polish:
        steps.append(
            f"then a coordinate search of at most {e.polish} evaluations from the best trial"
        )
    return (", " + ", ".join(steps)) if steps else ""


def _fixed_section(fixed: pd.DataFrame) -> str:
    """The parameters screening dropped, or nothing if it dropped none (or did not run)."""
    if fixed.empty:
        return ""
    return f"<p>Dropped by screening and fixed at their prior's midpoint:</p>{_table(fixed)}"


def _uncertainty_method(e: Experiment, posterior: dict | None) -> str:
    """How the intervals were found, in a sentence."""
    if posterior and posterior.get("method") == "emulator":
        return (
            f"intervals from the posterior: {posterior['draws']} draws sampled by population "
            "Monte Carlo on Gaussian-process emulators of the targets, fitted to "
            f"{posterior['simulated_behaviours']} simulated behaviours (the search's, the "
            f"polish's, the Jacobian's and a {posterior['design_points']}-point design over the "
            f"priors), with a model discrepancy of sd {posterior['discrepancy']:.3f} per share "
            "(an assumption)."
        )
    return f"intervals from a {e.bootstrap}-draw bootstrap through the Jacobian at the optimum."


def _posterior_section(posterior: dict | None, recovered: pd.DataFrame | None) -> str:
    """The posterior's summary, the sampler's effective sample size, the emulators' check and
    the recovery of known points."""
    if not posterior:
        return ""
    summary = pd.DataFrame(
        [{"parameter": name, **values} for name, values in posterior.get("summary", {}).items()]
    )
    parts = ["<h2>Posterior</h2>"]
    if posterior.get("method") == "emulator":
        within = posterior.get("emulator_within_2sd")
        inside = posterior.get("recovery_inside_95")
        parts.append(
            f"<p>Tempered sequential Monte Carlo on the emulators: "
            f"{posterior.get('tempering_steps', '?')} steps to temperature "
            f"{float(posterior.get('temperature', 1.0)):.2f}, {posterior['particles']} "
            f"particles, last step's effective sample size "
            f"{posterior['effective_sample_size']:.0f}, "
            f"{float(posterior.get('distinct_draws', 1.0)):.0%} of the draws distinct. "
            + (
                f"On the recovery points the simulated moments fell within two emulator sd of "
                f"the emulators' prediction {within:.0%} of the time (95% expected). "
                if within is not None
                else ""
            )
            + (
                f"Recovery: {posterior['recovery_points']} known points drawn from the "
                "posterior, simulated on fresh firms, surveyed as the targets were and fitted "
                f"back; the known value fell inside its 95% interval in {inside:.0%} of "
                f"{posterior['recovery_checks']} checks (95% expected).</p>"
                if inside is not None
                else "No recovery check was run (recovery = 0).</p>"
            )
        )
    else:
        parts.append('<p>The bootstrap of the estimate (posterior = "bootstrap").</p>')
    if len(summary):
        parts.append(_table(summary))
    if recovered is not None and len(recovered):
        parts.append("<h3>Recovery of known points</h3>" + _table(recovered))
    return "".join(parts)


def _cross_firm_section(cross_firm: pd.DataFrame | None) -> str:
    if cross_firm is None or not len(cross_firm):
        return ""
    return (
        "<h2>Across firms: CX with growth and margin</h2><p>Correlations across the refit's "
        "surveyed firms (point-biserial: the firm's CX index against its yes or no), with 95% "
        "intervals from resampling firms. Nothing here is fitted.</p>" + _table(cross_firm)
    )


def _identifiability_section(
    identified: pd.DataFrame | None, correlations: pd.DataFrame | None
) -> str:
    """Which parameters the targets pin down, and which trade off against each other."""
    if identified is None or correlations is None:
        return ""
    weak = identified[identified.verdict != "identified"]
    named = "".join(
        f"<li><b>{html.escape(str(name))}</b>: {html.escape(str(verdict))}, its 95% "
        f"interval covers {100 * float(share):.0f}% of its prior</li>"
        for name, verdict, share in zip(weak.parameter, weak.verdict, weak.prior_share, strict=True)
    )
    return (
        "<h2>Identifiability</h2><p>Each parameter's 95% interval as a share of its prior "
        "(not identified from 80%, weakly from 50%) and the parameters its draws correlate with "
        "at |r| of 0.8 or more; then every pairwise correlation of the draws.</p>"
        f"<ul>{named or '<li>every parameter is identified by the targets</li>'}</ul>"
        f"{_table(identified)}{_table(correlations.reset_index(names='parameter'))}"
    )


def _eras_section(e: Experiment, predictions: pd.DataFrame) -> str:
    """Every question's prediction in each era, side by side, when the experiment has eras."""
    if not e.eras:
        return ""
    wide = eras_wide(predictions)
    eras = ", ".join(
        f"{html.escape(label)} ({html.escape(pop.name)}: {html.escape(pop.description)})"
        for label, pop in e.eras
    )
    return (
        f"<h2>Predictions for other eras</h2><p>The same estimates on the industries of other "
        f"years, whose priors were written before any comparison and fitted to nothing: {eras}. "
        "Each cell: the share answering yes with its 95% interval (the parameters' "
        "uncertainty through the fitted era's Jacobian, and the respondents' binomial noise); "
        "every split is in predictions.csv.</p>"
        f"{_table(wide)}"
    )


def write_report(
    e: Experiment,
    fit: Fit,
    draws: np.ndarray,
    names: list[str],
    mechanisms: pd.DataFrame,
    out: Path,
    identified: pd.DataFrame | None = None,
    correlations: pd.DataFrame | None = None,
    posterior: dict | None = None,
    recovered: pd.DataFrame | None = None,
    cross_firm: pd.DataFrame | None = None,
) -> Path:
    figs = [
        plot_fit(fit.fit_table, out / "fit_targets.png"),
        plot_marginals(draws, names, fit.estimates, out / "marginals.png"),
        plot_predictions(
            fit.predictions[fit.predictions.era == e.era],
            {(t.id, t.respondent) for t in e.survey_targets},
            out / "predictions.png",
        ),
    ]
    misfit = fit.fit_table[~fit.fit_table.within_band]
    findings = "".join(
        f"<li><b>{html.escape(str(r.target))}</b>: published {r.observed:.2f} (band "
        f"{r.band_low:.2f}-{r.band_high:.2f}), the fit gives {r.predicted:.2f} "
        f"[{r.low:.2f}, {r.high:.2f}]. {_miss_reading(r)}</li>"
        for r in misfit.itertuples()
    )
    estimates = pd.DataFrame(
        {
            "parameter": list(fit.estimates),
            "estimate": list(fit.estimates.values()),
            "low_95": [fit.intervals[n][0] for n in fit.estimates],
            "high_95": [fit.intervals[n][1] for n in fit.estimates],
        }
    )
    fixed = pd.DataFrame({"parameter": list(fit.fixed), "fixed_at": list(fit.fixed.values())})
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>orgsim calibration: {html.escape(e.name)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}
table.t{{border-collapse:collapse;font-size:13px}} table.t td,table.t th{{padding:2px 8px;
border-bottom:1px solid #ddd}}</style></head><body>
<h1>Calibration: {html.escape(e.name)}</h1>
<p>{html.escape(e.description)}</p>
<p><b>{fit.reproduced} of {fit.n_targets}</b> targets reproduced within their 95% bands, on
{e.refit_firms} fresh firms. Method: simulated method of moments, CMA-ES (optuna) over
{e.budget} trials of {e.firms} firms on common random numbers{_search_steps(e)};
{_uncertainty_method(e, posterior)} Wall time
{fit.wall_s / 60:.1f} min. Survey shares are scored against their binomial sampling error; where the
source gives no n, n = 400 is an assumption (see experiments/targets.toml).</p>
<h2>Fit against targets</h2><img src="{figs[0]}">{_table(fit.fit_table)}
<h2>Misfit</h2><ul>{findings or "<li>none</li>"}</ul>
<h2>Parameters</h2>{_table(estimates)}
{_fixed_section(fixed)}
<img src="{figs[1]}">
{_posterior_section(posterior, recovered)}
{_identifiability_section(identified, correlations)}
<h2>Predictions for every question</h2>
<p>Questions the fit never saw (orange) are predictions: substantial growth, margin growth and
competitive position split by whether the CIO works closely with marketing; integration struggles
split by tech-savvy and traditional marketers.</p><img src="{figs[2]}">
{_table(fit.predictions[fit.predictions.era == e.era])}
{_eras_section(e, fit.predictions)}
<h2>Mechanism figures checked on dedicated runs</h2>
<p>The research literature's mechanism figures (experiments/targets.toml) measured at the fit
on paired runs of a default-size firm, beside the two the fit used on the surveyed population
(technology spend outside IT, monthly churn).</p>{_table(mechanisms)}
{_cross_firm_section(cross_firm)}
</body></html>"""
    path = out / "report.html"
    path.write_text(page)
    return path

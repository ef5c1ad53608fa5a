"""What every stored column means, from which ``docs/outputs.md`` is written (``python -m
sim.runs.columns > docs/outputs.md``; a test keeps the two equal).

A batch's columns are one table that also travels inside every Parquet file as schema metadata
(key ``orgsim.columns``, JSON of ``{column: {"unit": ..., "meaning": ...}}``), so a file read years
later still says what it holds. The other commands' outputs (``orgsim run --weekly``, ``survey``,
``calibrate``, ``sensitivity``) are described below, by key or column, with their units.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache

from sim.model.outcomes import TABLE
from sim.model.parameters import FIELDS

METADATA_KEY = b"orgsim.columns"
RUN_KEYS = {
    "scenario": (
        "name",
        "Scenario name; a sweep point is NAME[k] (see manifest.json for its values).",
    ),
    "rep": ("index", "Replication, from 0; replication r ran on the same seed in every scenario."),
    "seed": ("integer", "Root seed of the run (spawned from the batch's master seed)."),
}
STATUS = {
    "status": ("ok or failed", "Whether the run finished."),
    "error": ("text", "The error of a failed run, with the last lines of its traceback."),
}
WEEK = {"week": ("week", "Week of the run; 0 is the state at set-up, 1 the first simulated week.")}
W52 = {
    "cx_index_w52": ("index points", "CX index at week 52 (empty for runs of 52 weeks or less).")
}


def _outcomes(prefix: str = "", when: str = "") -> dict[str, tuple[str, str]]:
    return {f"{prefix}{o.name}": (o.unit, f"{o.meaning}{when}") for o in TABLE}


@cache
def run_columns() -> dict[str, tuple[str, str]]:
    """Columns of ``runs/``: one row per run."""
    params = {
        name: (f.metadata["unit"] or "-", f"Parameter ({f.metadata['group']}): {f.metadata['doc']}")
        for name, f in FIELDS.items()
    }
    return {
        **RUN_KEYS,
        **params,
        **STATUS,
        **_outcomes(when=" At the last week."),
        **_outcomes("mean_", " Mean over weeks 1 to the last."),
        **W52,
    }


@cache
def week_columns() -> dict[str, tuple[str, str]]:
    """Columns of ``weeks/``: one row per (run, week)."""
    return {**RUN_KEYS, **WEEK, **_outcomes()}


@cache
def schema_metadata(kind: str) -> dict[bytes, bytes]:
    """The Parquet schema metadata of a ``runs`` or ``weeks`` file."""
    columns = run_columns() if kind == "runs" else week_columns()
    text = {name: {"unit": unit, "meaning": meaning} for name, (unit, meaning) in columns.items()}
    return {METADATA_KEY: json.dumps(text).encode()}


# -- the other commands' outputs ----------------------------------------------------------------
# Each table's names come from the code that writes it (a constant tuple the writer builds its
# frame from) and only the words live here, so a column added to a writer without a meaning here
# stops `python -m sim.runs.columns` (_described) instead of going undocumented. The writers are
# imported inside the functions: sim.experiments imports sim.runs.store, which imports this module.

Described = dict[str, tuple[str, str]]


def _described(names: Sequence[str], text: Described, where: str) -> Described:
    """``text`` in the order of ``names``, the columns a writer stores.

    Raises:
        ValueError: a stored name has no description here, or a description names nothing stored.
    """
    missing = [n for n in names if n not in text]
    extra = [n for n in text if n not in names]
    if missing or extra:
        raise ValueError(
            f"{where} in sim/runs/columns.py: describe the stored {missing}, drop {extra} "
            "(not stored)"
        )
    return {n: text[n] for n in names}


def _outcome_unit(name: str) -> str:
    return next(o.unit for o in TABLE if o.name == name)


RESPONDENTS = "CIO, CMO, marketers, or firm (the firm's factual items)"


def item_rows() -> dict[str, str]:
    """Every item of the instrument, ``id/respondent``, and its question's wording."""
    from sim.survey.instrument import QUESTIONS

    return {f"{q.id}/{who}": q.text for q in QUESTIONS for who in q.respondents}


def share_columns() -> Described:
    """``orgsim survey --out FILE``: one row per (question, respondent, group)."""
    from sim.survey.population import SHARE_COLUMNS

    text = {
        "id": ("name", "Question id (the items table above)."),
        "respondent": ("name", f"Who answers: {RESPONDENTS}."),
        "group": (
            "name",
            "all; close_collaborators or others (every item, split by whether the firm's CIO "
            "works closely with marketing); tech_savvy or traditional (marketers' items only, "
            "split by the marketer's classification). docs/survey.md: the two classifications.",
        ),
        "share": (
            "share, 0-1",
            "Share of the group's respondents answering yes (empty when n is 0).",
        ),
        "low": ("share, 0-1", "95% Wilson interval of the share, lower end (empty when n is 0)."),
        "high": ("share, 0-1", "95% Wilson interval of the share, upper end (empty when n is 0)."),
        "n": (
            "respondents",
            "Respondents in the group: firms for the CIO's, the CMO's and the firm's items, "
            "marketers over all firms for the marketers' items.",
        ),
    }
    return _described(SHARE_COLUMNS, text, "survey shares")


def answer_columns() -> Described:
    """The respondent-level table of a survey (``run_survey``): one row per answer."""
    from sim.survey.population import SURVEY_ANSWER_COLUMNS

    text = {
        "firm": (
            "index",
            "Firm of the survey, from 0: firm k is the population's k-th parameter draw, run "
            "on replication seed k of the survey's seed.",
        ),
        "question": ("name", "Question id (the items table above)."),
        "respondent": ("name", f"Who answers: {RESPONDENTS}."),
        "person": ("index", "The respondent's staff row in its firm; -1 for the firm's items."),
        "events": (
            "count",
            "The respondent's experiences over the trailing 52 weeks that went the question's "
            "way (the rate's numerator; docs/survey.md, the items). Halves occur: "
            "relationship_improved counts tied comparisons and competitive_position tied peers "
            "as half.",
        ),
        "exposures": (
            "count",
            "The experiences the question implies over the trailing 52 weeks (the rate's "
            "denominator); 0 means nothing to judge, and the answer is no.",
        ),
        "rate": ("share, 0-1", "events / exposures; 0 when exposures is 0."),
        "u": (
            "uniform, 0-1",
            "The respondent's disposition: one uniform draw per person, the same on all its "
            "rows; empty for the firm's items.",
        ),
        "tolerance": (
            "share, 0-1",
            "The respondent's threshold: the inverse Beta CDF of u at its role's mean tolerance "
            "(tolerance_cio, tolerance_cmo, tolerance_marketer) and disposition_concentration; "
            "empty for the firm's items.",
        ),
        "yes": (
            "true or false",
            "The answer: rate > tolerance (the firm's items: the fact holds, rate > 0.5).",
        ),
        "close_collaborators": (
            "true or false",
            "The firm's CIO works closely with marketing (on every row of the firm).",
        ),
        "tech_savvy": (
            "true or false",
            "The marketer is tech-savvy and collaborating; false on every non-marketer row.",
        ),
        "firm_cx": ("index points, 0-100", "The firm's CX index at the survey week."),
        "firm_tech_spend_outside_it": (
            _outcome_unit("tech_spend_outside_it"),
            "The firm's tech_spend_outside_it, mean over the 52 weeks to the survey week.",
        ),
        "firm_monthly_churn": (
            "share/month",
            "The firm's churn, mean over the 52 weeks to the survey week, times 52/12.",
        ),
    }
    return _described(SURVEY_ANSWER_COLUMNS, text, "survey answers")


def weekly_csv_columns() -> Described:
    """``orgsim run --weekly FILE``: one row per week of one firm."""
    return {**WEEK, **_outcomes()}


# fit.json, top level. Kept here, not in the writer: the test of the stored file
# (tests/test_calibration.py) compares its keys with these.
FIT_KEYS: Described = {
    "experiment": ("name", "The experiment's name."),
    "file": ("path", "The experiment file, as found from the command's argument."),
    "method": ("name", "The fitting method (smm-cmaes: simulated method of moments, CMA-ES)."),
    "estimates": (
        "{parameter: value}",
        "The fit of every free parameter kept after screening, in the parameter's unit: the "
        "behaviours by CMA-ES and the polish, the tolerances profiled at those behaviours.",
    ),
    "intervals_95": (
        "{parameter: [low, high]}",
        "2.5 and 97.5 percentiles of each parameter's draws (posterior.csv): the posterior's "
        'with posterior = "emulator", the estimate\'s bootstrap otherwise.',
    ),
    "fixed_after_screening": (
        "{parameter: value}",
        "Free parameters Morris screening dropped, fixed at their prior's midpoint; {} when "
        "screening is off or kept them all.",
    ),
    "objective_at_best": (
        "sum of squares",
        "The objective at the fit: squared standardised distances of the simulated moments "
        "(smooth, on the search's own firms) from the targets, summed.",
    ),
    "budget": ("object", "What the calibration spent (keys below)."),
    "wall_time_s": (
        "seconds",
        "Wall time of this command's session (a resumed calibration: of the resumed part only).",
    ),
    "seeds": (
        "{stage: seed}",
        "The seed of every stage: screen and search use the experiment's seed; every other "
        "stage (refit, firm_bootstrap, bootstrap, predict, mechanisms, polish, design, "
        "posterior, recovery, waves) a named child of it.",
    ),
    "targets_within_95_band": ("targets", "How many rows of fit have within_band true."),
    "targets": ("targets", "How many targets were fitted: the rows of fit."),
    "fit": ("list of objects", "One per target (keys below)."),
    "mechanisms": (
        "list of objects",
        "One per mechanism figure measured on dedicated runs at the fit (keys below).",
    ),
    "posterior": ("object", "How the draws were found and checked (keys below)."),
    "cross_firm": (
        "list of objects",
        "Correlations across the refit's firms of the CX index with growth and margin (keys "
        "below).",
    ),
    "identifiability": (
        "list of objects",
        "One per estimated parameter: parameter, low_95 and high_95 of its draws, prior_share "
        "(that interval over the prior's width), verdict (identified below 0.5, weakly "
        "identified below 0.8, not identified from 0.8) and trades_off_with (the parameters "
        "whose draws correlate with its own at |r| >= 0.8).",
    ),
    "correlations": (
        "{parameter: {parameter: r}}",
        "Pairwise correlations of the parameter draws (posterior.csv); null where a parameter "
        "did not vary.",
    ),
}
BUDGET_KEYS: Described = {
    "trials": ("trials", "CMA-ES trials (the experiment's budget, or --budget)."),
    "polish_evaluations_allowed": (
        "evaluations",
        "The most evaluations the coordinate polish could take (the experiment's polish).",
    ),
    "firms_per_evaluation": ("firms", "Firms surveyed at every trial (the experiment's firms)."),
    "firms_per_polish_evaluation": (
        "firms",
        "Firms of their own surveyed at every polish evaluation (polish_firms; 0: the trials' "
        "firms).",
    ),
    "evaluations_run_this_session": (
        "evaluations",
        "Evaluations computed by this command (not read from evaluations.jsonl).",
    ),
    "evaluations_total": ("evaluations", "Distinct evaluations in evaluations.jsonl."),
    "search_trials_replayed": (
        "trials",
        "Search trials answered from an interrupted run's cache: a resumed calibration replays "
        "them, so it ends on the uninterrupted run's fit.",
    ),
    "bootstrap": ("draws", "Bootstrap draws behind the intervals."),
}


def fit_row_columns() -> Described:
    """fit.json ``fit``: one object per target, the same as report.html's first table."""
    from sim.experiments.calibration import FIT_COLUMNS

    text = {
        "target": (
            "name",
            "The target: id/respondent for a survey share; the mechanism figure's id for the "
            "figures fitted on the surveyed firms (tech_spend_outside_it_share, "
            "monthly_voluntary_churn_baseline).",
        ),
        "observed": ("share, or the figure's unit", "The published value."),
        "band_low": (
            "as observed",
            "95% band of the published value, lower end: a share's binomial sampling error "
            "(share +- 1.96 sqrt(share (1 - share) / n), within 0-1); a figure's band as "
            "experiments/targets.toml gives it.",
        ),
        "band_high": ("as observed", "The band's upper end."),
        "predicted": (
            "as observed",
            "The fit's value on refit_firms fresh firms and seeds, from the answers as given.",
        ),
        "low": (
            "as observed",
            "95% interval of predicted, lower end: for a share, the bootstrap of the parameters "
            "through the Jacobian plus the respondents' binomial noise; for a figure, the mean "
            "over the firms - 1.96 standard errors.",
        ),
        "high": ("as observed", "The interval's upper end."),
        "within_band": ("true or false", "band_low <= predicted <= band_high."),
        "source": ("text", "Where the published value comes from."),
    }
    return _described(FIT_COLUMNS, text, "fit.json fit")


def mechanism_row_columns() -> Described:
    """fit.json ``mechanisms``: one object per figure checked on dedicated runs."""
    from sim.experiments.calibration import MECHANISM_COLUMNS

    text = {
        "id": (
            "name",
            "The mechanism figure (experiments/targets.toml): contact_ratio_2m_vs_20m, "
            "remote_cross_group_share_change, cx_index_change_per_year_without_delivery.",
        ),
        "kind": (
            "calibrate or check",
            "As targets.toml states it. Only the two figures in fit are fitted; every row here "
            "is measured at the fit, not fitted, whatever its kind.",
        ),
        "target": (
            "the figure's unit",
            "The published value (in fit the same is called observed).",
        ),
        "band_low": ("as target", "The published band's lower end (targets.toml)."),
        "band_high": ("as target", "The published band's upper end."),
        "measured": (
            "as target",
            "The figure at the fit's behaviours: contacts per 2 m against 20 m (ratio, pooled "
            "over seeds), the relative change of the cross-contact share under full remote work, "
            "CX index points per year after deliveries stop.",
        ),
        "low": (
            "as target",
            "95% Student-t interval of measured over the runs, lower end (the contact ratio: of "
            "its log per seed, so not centred on the pooled ratio).",
        ),
        "high": ("as target", "The interval's upper end."),
        "within_band": ("true or false", "band_low <= measured <= band_high."),
        "how": ("text", "The runs behind the figure."),
        "source": ("text", "Where the published value comes from."),
    }
    return _described(MECHANISM_COLUMNS, text, "fit.json mechanisms")


def prediction_columns() -> Described:
    """predictions.csv: one row per item and group at the fit."""
    from sim.experiments.calibration import PREDICTION_COLUMNS

    text = {
        "id": ("name", "Question id (the items table above)."),
        "respondent": ("name", f"Who answers: {RESPONDENTS}."),
        "group": (
            "name",
            "all for every item; also close_collaborators and others for substantial_growth, "
            "margin_growth_5 and competitive_position, tech_savvy and traditional for "
            "integration_struggles (the survey CSV's groups).",
        ),
        "era": (
            "label",
            "The experiment's era (era, default the population's name) for the fitted "
            "population; each label of [eras] for another era's population, predicted at the "
            "same estimates on refit_firms firms of it, never fitted.",
        ),
        "predicted": (
            "share, 0-1",
            "Share answering yes at the fit on refit_firms fresh firms, answers as given; empty "
            "when no respondent fell in the group.",
        ),
        "low": (
            "share, 0-1",
            "95% predictive interval, lower end: the bootstrap of the parameters through the "
            "Jacobian plus the binomial noise of that many respondents; empty with predicted.",
        ),
        "high": ("share, 0-1", "The interval's upper end."),
    }
    return _described(PREDICTION_COLUMNS, text, "predictions.csv")


def posterior_columns() -> Described:
    """posterior.csv: one parameter set per row."""
    return {
        "draw": ("integer", "Number of the draw, from 0."),
        "<parameter>": (
            "the parameter's unit",
            "One column per free parameter of the experiment: the draw's value (a parameter "
            "fixed after screening has its fixed value in every row). With posterior = "
            '"emulator" (the default) the draws are the posterior, sampled on Gaussian-process '
            'emulators of the targets (docs/model.md); with posterior = "bootstrap" the '
            "bootstrap of the estimate through the Jacobian at the optimum, clipped to the "
            "priors.",
        ),
    }


def recovery_columns() -> Described:
    """recovery.csv: one row per (known point, parameter) of the recovery check."""
    from sim.experiments.calibration import RECOVERY_COLUMNS

    text = {
        "point": ("integer", "Number of the known point, from 0 (drawn from the posterior)."),
        "parameter": ("name", "The free parameter."),
        "known": ("the parameter's unit", "Its value at the known point."),
        "median": (
            "the parameter's unit",
            "The median of its posterior, fitted back from the known point's simulated survey.",
        ),
        "low": ("the parameter's unit", "2.5th percentile of that posterior."),
        "high": ("the parameter's unit", "97.5th percentile of that posterior."),
        "inside": ("true/false", "Whether known lies in [low, high] (95% of rows expected)."),
    }
    return {c: text[c] for c in RECOVERY_COLUMNS}


def cross_firm_columns() -> Described:
    """fit.json ``cross_firm``: one object per pair."""
    from sim.experiments.calibration import CROSS_FIRM_COLUMNS

    text = {
        "pair": ("name", "The two firm figures correlated."),
        "r": (
            "correlation",
            "Point-biserial correlation across the refit's firms of the CX index at the survey "
            "week with the firm's yes (1) or no (0).",
        ),
        "low": ("correlation", "2.5th percentile over 400 resamples of the firms."),
        "high": ("correlation", "97.5th percentile over the same resamples."),
        "firms": ("firms", "Firms behind r."),
    }
    return {c: text[c] for c in CROSS_FIRM_COLUMNS}


POSTERIOR_KEYS: Described = {
    "method": ("name", 'How the draws were found: "emulator" or "bootstrap".'),
    "draws": ("draws", "Draws in posterior.csv (the experiment's bootstrap setting)."),
    "effective_sample_size": (
        "particles",
        "Kish's effective sample size of the last tempering step's importance weights "
        "(emulator; about half the particles by construction).",
    ),
    "particles": ("particles", "Particles of the tempered sampler (emulator)."),
    "tempering_steps": ("steps", "Tempering steps from the prior to the posterior (emulator)."),
    "temperature": (
        "0-1",
        "The sampler's final temperature: 1 when it reached the posterior, less when it ran "
        "out of steps (emulator).",
    ),
    "acceptance": ("share", "Metropolis acceptance rate over all the sampler's moves."),
    "distinct_draws": ("share", "Share of posterior.csv's draws that are distinct."),
    "samples": (
        "[{simulated_behaviours, tempering_steps, temperature, effective_sample_size, "
        "acceptance, distinct_draws}]",
        "The sampler's diagnostics after the design and after each wave, in order.",
    ),
    "simulated_behaviours": (
        "points",
        "Distinct behavioural vectors the emulators were last fitted to (search, polish, "
        "Jacobian, design, waves).",
    ),
    "waves": (
        "waves",
        "History-matching waves run: posterior draws simulated, emulators refitted.",
    ),
    "wave_points": ("points", "Posterior draws simulated in each wave."),
    "design_points": ("points", "Points of the Latin-hypercube design over the behaviours."),
    "design_firms": ("firms", "Firms each design point surveys."),
    "discrepancy": ("share (sd)", "The model discrepancy assumed per survey share."),
    "recovery_points": ("points", "Known points fitted back (the experiment's recovery)."),
    "recovery_checks": ("checks", "Rows of recovery.csv: points x free parameters."),
    "recovery_inside_95": (
        "share",
        "Share of recovery.csv's rows whose known value lies inside its 95% interval.",
    ),
    "emulator_within_2sd": (
        "share",
        "Share of the recovery points' simulated moments within 1.96 sd (emulator's plus "
        "simulation's) of the emulators' prediction; 0.95 expected of a calibrated emulator.",
    ),
    "wall_time_s": ("seconds", "Wall time of the design, emulation, sampling and recovery."),
    "summary": (
        "{parameter: {mean, sd, median, low_95, high_95}}",
        "Each free parameter's posterior summary, from posterior.csv.",
    ),
}


def evaluation_keys() -> Described:
    """evaluations.jsonl: one JSON object per line, one line per distinct evaluation."""
    from sim.survey.population import SHARE_COLUMNS, SURVEY_ANSWER_COLUMNS

    firm_columns = ["firm", *(c for c in SURVEY_ANSWER_COLUMNS if c.startswith("firm_"))]
    return {
        "key": (
            "24 hex digits",
            "The evaluation's cache key: sha256 of the parameters (rounded to 10 digits), the "
            "firms, the seed and whether the moments were smooth.",
        ),
        "theta": ("{parameter: value}", "The parameters evaluated, in their units."),
        "n_firms": ("firms", "Firms surveyed."),
        "seed": ("integer", "The survey's seed."),
        "shares": (
            "{column: [values]}",
            f"The survey shares table ({', '.join(SHARE_COLUMNS)}, as the survey CSV). For the "
            "search, the Jacobian and the bootstrap the moments are smooth: share is the mean "
            "probability of yes given each respondent's rate, low and high the Wilson interval "
            "of that share's rounded count.",
        ),
        "firms": (
            "{column: [values]}",
            f"The firms' figures, one value per firm: {', '.join(firm_columns)} (as in the "
            "answers table).",
        ),
    }


def calibration_state_keys() -> Described:
    """A calibration's state.json: what it resumes on."""
    from sim.experiments.experiment import IDENTITY_KEYS

    identity = {
        "experiment_sha256": ("64 hex digits", "sha256 of the experiment file."),
        "population_sha256": ("64 hex digits", "sha256 of the population file."),
        "targets_sha256": ("64 hex digits", "sha256 of the targets file."),
        "model_fingerprint": (
            "64 hex digits",
            "sha256 of the model and survey code (as in a batch's manifest.json).",
        ),
        "eras_sha256": (
            "text",
            "label:sha256 of each [eras] population file, comma-separated (empty without eras).",
        ),
    }
    return {
        "kind": ("text", "orgsim calibration."),
        "experiment": ("path", "The experiment file, as found."),
        **_described(IDENTITY_KEYS, identity, "state.json"),
        "budget": ("trials", "CMA-ES trials asked; a rerun with a larger budget continues."),
        "search": (
            "name",
            "How the search treats the tolerances; a folder searched another way is not resumed.",
        ),
    }


def sensitivity_state_keys() -> Described:
    """A sensitivity analysis's state.json."""
    base = calibration_state_keys()
    return {
        "kind": ("text", "orgsim sensitivity analysis."),
        "experiment": base["experiment"],
        **{k: v for k, v in base.items() if k.endswith(("_sha256", "_fingerprint"))},
        "method": ("morris or sobol", "The method (--method)."),
        "budget": ("evaluations", "Most sample points to run (--budget, or the method's default)."),
        "seed": ("integer", "The experiment's seed: the design's and every point's firms'."),
        "firms": ("firms", "Firms surveyed at every point (the experiment's [sensitivity] firms)."),
        "parameters": (
            "[[name, low, high]]",
            "The parameters varied and their ranges, in the parameter's unit.",
        ),
        "population": (
            "{name, overrides}",
            "The population's name and the values fixed for all its firms.",
        ),
    }


def index_columns() -> dict[str, Described]:
    """indices.csv, by method: one row per (output, parameter)."""
    from sim.experiments.sensitivity import INDEX_COLUMNS, INDEX_KEYS

    keys = {
        "output": ("name", "cx_index, or a survey item id/respondent (points.csv's outputs)."),
        "parameter": ("name", "A parameter of the experiment's [sensitivity] table."),
    }
    per_range = "output's unit per whole range of the parameter"
    text: dict[str, Described] = {
        "morris": {
            "mu": (
                per_range,
                "Mean elementary effect: an output's change over one step of two thirds of the "
                "range, divided by the step, averaged over trajectories (signed).",
            ),
            "mu_star": (per_range, "Mean absolute elementary effect: the ranking index."),
            "mu_star_conf": (
                per_range,
                "Half-width of mu_star's 95% bootstrap interval over the trajectories.",
            ),
            "sigma": (
                per_range,
                "Standard deviation of the elementary effects: large against mu_star when the "
                "effect depends on the other parameters or on where the step is taken.",
            ),
        },
        "sobol": {
            "S1": ("share of variance", "First-order Sobol' index: the parameter alone."),
            "S1_conf": ("share of variance", "Half-width of S1's 95% bootstrap interval."),
            "ST": (
                "share of variance",
                "Total Sobol' index: every part of the variance the parameter takes part in.",
            ),
            "ST_conf": ("share of variance", "Half-width of ST's 95% bootstrap interval."),
        },
    }
    keys = _described(INDEX_KEYS, keys, "indices.csv")
    return {
        method: {**keys, **_described(columns, text[method], f"indices.csv ({method})")}
        for method, columns in INDEX_COLUMNS.items()
    }


def point_columns() -> Described:
    """points.csv: one row per distinct sample point; the outputs after the parameters."""
    from sim.experiments.sensitivity import output_names

    items = item_rows()
    outputs: Described = {
        name: ("share, 0-1", "Share of all the item's respondents answering yes (items above).")
        if name in items
        else ("index points, 0-100", "Mean CX index of the firms at the survey week.")
        for name in output_names()
    }
    return {
        "<parameter>": (
            "the parameter's unit",
            "One column per parameter of [sensitivity], in its order: the point's value.",
        ),
        **outputs,
    }


# Every file each command stores in its folder, and what it is.
CALIBRATION_FILES: Described = {
    "fit.json": ("JSON", "The fit: estimates, intervals, the fit against targets (keys below)."),
    "predictions.csv": ("CSV", "Every item of the instrument at the fit (columns below)."),
    "posterior.csv": (
        "CSV",
        "The parameter draws, one complete set per row (columns below): what `orgsim batch "
        "--fit` samples from.",
    ),
    "report.html": ("HTML", "The report: fit, misfit, parameters, predictions, mechanisms."),
    "fit_targets.png": ("PNG", "Each target's band, published value and fit with its interval."),
    "marginals.png": ("PNG", "Each parameter's draws (posterior.csv) against its estimate."),
    "recovery.csv": ("CSV", "The recovery check: known points fitted back (columns below)."),
    "predictions.png": ("PNG", "Every item's prediction: fitted (blue), never fitted (orange)."),
    "evaluations.jsonl": (
        "JSON lines",
        "Cache of every evaluation (keys below): a rerun resumes from it.",
    ),
    "answers/": (
        "Parquet",
        "Cache of every simulated survey, KEY.parquet, one row per answer (the answers table "
        "above); KEY is the evaluation key of the behaviours alone, and tolerance and yes are "
        "at the population's own tolerances: each trial's are re-answered from u in memory.",
    ),
    "eras/": (
        "folders",
        "One per label of the experiment's [eras]: the caches (evaluations.jsonl, answers/) of "
        "that era's firms at the fit.",
    ),
    "state.json": ("JSON", "What the folder holds, to resume only the same calibration."),
    ".orgsim-lock": ("text", "Locked while a command writes the folder; holds its process id."),
}
SENSITIVITY_FILES: Described = {
    "index.html": ("HTML", "The report: parameters and ranges, indices, figures."),
    "indices.csv": ("CSV", "Every index, one row per (output, parameter) (columns below)."),
    "points.csv": (
        "CSV",
        "Every distinct sample point's parameters and outputs, a line appended as each point "
        "finishes (the cache a rerun resumes from).",
    ),
    "sensitivity_cx.png": ("PNG", "The CX index's indices per parameter, 95% intervals."),
    "sensitivity_survey.png": ("PNG", "Heat map of parameters against survey items."),
    "state.json": ("JSON", "What the folder holds, to resume only the same analysis."),
    ".orgsim-lock": CALIBRATION_FILES[".orgsim-lock"],
}


def _table(columns: Described, first: str = "column") -> list[str]:
    rows = [f"| {first} | unit | meaning |", "|---|---|---|"]
    rows += [
        f"| `{n}` | {u.replace('|', '/')} | {m.replace('|', '/')} |"
        for n, (u, m) in columns.items()
    ]
    return rows


def markdown() -> str:
    """docs/outputs.md."""
    items = ["| item | question |", "|---|---|"]
    items += [f"| `{name}` | {text} |" for name, text in item_rows().items()]
    lines = [
        "# Outputs: what orgsim stores",
        "",
        "<!-- Written by `python -m sim.runs.columns > docs/outputs.md`; do not edit by hand: the",
        "     text is in sim/runs/columns.py, sim/model/outcomes.py and sim/model/parameters.py,",
        "     the column names come from the code that writes them. -->",
        "",
        "- `orgsim batch ... --out DIR`: a batch folder;",
        "- `orgsim run ... --weekly FILE`: one firm's weeks as CSV;",
        "- `orgsim survey POPULATION --out FILE`: the survey's shares as CSV;",
        "- `orgsim calibrate EXPERIMENT --out DIR`: a calibration folder;",
        "- `orgsim sensitivity EXPERIMENT --out DIR`: a sensitivity analysis folder.",
        "",
        "A folder of `batch`, `calibrate` or `sensitivity` is claimed by its first command: the",
        "same command again resumes it, and `--fresh` moves what it holds into",
        "`DIR/superseded-<time>/` (nothing is deleted). Shares are fractions from 0 to 1.",
        "",
        "## `orgsim batch ... --out DIR`",
        "",
        "- `DIR/manifest.json`: what the batch is (scenarios and their file hashes, seeds,",
        "  versions, git commit, model fingerprint, times, status);",
        "- `DIR/runs/*.parquet`: one file per run, one row each (columns below);",
        "- `DIR/weeks/*.parquet`: one file per run, one row per week (columns below);",
        "- `DIR/report/` after `orgsim report DIR`: `index.html`, `summary.csv` and the figures.",
        "",
        "Every Parquet file carries this same text as schema metadata under the key",
        "`orgsim.columns` (JSON: `{column: {unit, meaning}}`), e.g.",
        "`pyarrow.parquet.read_schema(path).metadata[b'orgsim.columns']`.",
        "",
        "Flow outcomes (time to market, SaaS share) are over the trailing 13 weeks; counts",
        "(requests raised, delivered, late, reworked) are the week's. Money is in currency units",
        "of the model (the parameters' `revenue_per_customer` and `salary` set the scale).",
        "",
        "### `runs/`: one row per run",
        "",
        *_table(run_columns()),
        "",
        "### `weeks/`: one row per run and week",
        "",
        *_table(week_columns()),
        "",
        "### `report/summary.csv`",
        "",
        "One row per (scenario, outcome) at the last week: `n_ok`, `n_failed` (runs), `mean`,",
        "`low`, `high` (the mean over finished runs and its 95% Student-t interval),",
        "`diff_vs_baseline`, `diff_low`, `diff_high` (the paired difference from the baseline,",
        "replication by replication, and its 95% interval), `diff_spread_low`,",
        "`diff_spread_high` (2.5th and 97.5th percentiles of the replications' differences: the",
        "range one firm's effect falls in; on `--fit` each replication is a posterior draw, so",
        "this carries the model's uncertainty), `n_pairs` (replications finished in",
        "both), `baseline`, `sweep_of` (the sweep a point belongs to, else empty), `point` (a",
        "sweep point's swept values, e.g. `colocation=0.5, shared_metrics=1.0`).",
        "",
        "## `orgsim run ... --weekly FILE`",
        "",
        "One row per week of the one firm: the columns of `weeks/` without `scenario`, `rep` and",
        "`seed` (the seed is printed).",
        "",
        *_table(weekly_csv_columns()),
        "",
        "## The survey's items",
        "",
        "A survey item is a question and who answers it (docs/survey.md: the items); the tables",
        "below name it by `id` and `respondent`, or as `id/respondent`.",
        "",
        *items,
        "",
        "## `orgsim survey POPULATION --out FILE`",
        "",
        "The shares the command prints, one row per (item, group); `--out -` writes them to",
        "standard output instead.",
        "",
        *_table(share_columns()),
        "",
        "## The answers table: one row per answer",
        "",
        "What a survey of a population returns in Python (`sim.survey.population.run_survey`),",
        "one row per (firm, question, respondent, person); `orgsim survey` prints and stores only",
        "the shares computed from it, and `orgsim calibrate` stores it in `DIR/answers/`.",
        "",
        *_table(answer_columns()),
        "",
        "## `orgsim calibrate EXPERIMENT --out DIR`",
        "",
        *_table(CALIBRATION_FILES, "file"),
        "",
        "### `fit.json`",
        "",
        *_table(FIT_KEYS, "key"),
        "",
        "`budget`:",
        "",
        *_table(BUDGET_KEYS, "key"),
        "",
        "`posterior`:",
        "",
        *_table(POSTERIOR_KEYS, "key"),
        "",
        "Each object of `cross_firm`:",
        "",
        *_table(cross_firm_columns(), "key"),
        "",
        "Each object of `fit` (the first table of `report.html`):",
        "",
        *_table(fit_row_columns(), "key"),
        "",
        "Each object of `mechanisms`:",
        "",
        *_table(mechanism_row_columns(), "key"),
        "",
        "### `predictions.csv`",
        "",
        *_table(prediction_columns()),
        "",
        "### `posterior.csv`",
        "",
        *_table(posterior_columns()),
        "",
        "### `recovery.csv`",
        "",
        *_table(recovery_columns()),
        "",
        "### `evaluations.jsonl`",
        "",
        "One JSON object per line, one line per distinct evaluation; a line cut short by an",
        "interruption is skipped on reading.",
        "",
        *_table(evaluation_keys(), "key"),
        "",
        "### `state.json`",
        "",
        "A rerun resumes only when the hashes, the model fingerprint and `search` are the same.",
        "",
        *_table(calibration_state_keys(), "key"),
        "",
        "## `orgsim sensitivity EXPERIMENT --out DIR`",
        "",
        *_table(SENSITIVITY_FILES, "file"),
        "",
        "### `indices.csv`",
        "",
        *(
            line
            for method, columns in index_columns().items()
            for line in (f"`--method {method}`:", "", *_table(columns), "")
        ),
        "### `points.csv`",
        "",
        "Every output is computed over the same `firms` firms of the population at every point.",
        "",
        *_table(point_columns()),
        "",
        "### `state.json`",
        "",
        "A rerun resumes only when every key but `kind` and `experiment` is the same.",
        "",
        *_table(sensitivity_state_keys(), "key"),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")

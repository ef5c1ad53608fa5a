"""Global sensitivity analysis: which levers and behaviours drive the CX index and the survey.

The parameters and ranges come from an experiment's ``[sensitivity]`` table. Every sample point
surveys the same ``sensitivity_firms`` firms of the population with the experiment's seed (common
random numbers), so two points differ only by their parameters and not by the luck of the draw.
The outputs of each point are the population's mean CX index at the survey week (``cx_index``) and
every share of the instrument over all respondents (``need_alignment/CIO`` and so on).

Two methods, both from SALib (Herman and Usher 2017):

- **Morris** elementary effects (Morris 1991; Campolongo, Cariboni and Saltelli 2007): trajectories
  of one-at-a-time steps of two thirds of a range over a 4-level grid. ``mu_star`` is the mean
  absolute elementary effect, the change of an output over one step divided by the step, so it
  reads as change per whole range (CX points, or a share: up to 1.5 for a share that one step flips
  from 0 to 1); ``sigma`` is the spread of those effects (large when the effect depends on the other
  parameters: interactions or curvature). A screening method: it ranks, it does not apportion
  variance.
- **Sobol'** indices (Sobol' 2001; Saltelli et al. 2010) from Saltelli's sampling scheme without
  second-order terms: ``S1`` is the share of an output's variance due to a parameter alone, ``ST``
  the share it takes part in, interactions included. ``ST`` near 0 means the parameter can be fixed
  anywhere in its range.

Confidence intervals are SALib's bootstrap over the sampled points (95%; the ``*_conf`` columns are
half-widths). They leave out the sampling error of the surveyed firms: the indices describe these
firms, and more firms or another seed can reorder parameters whose indices are close.

Each point's outputs are appended to ``DIR/points.csv`` as it finishes, and ``DIR/state.json``
records the settings, so an interrupted analysis resumes where it stopped.
"""

from __future__ import annotations

import csv
import html
import json
import math
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.errors import UserError
from sim.experiments.experiment import Evaluation, Experiment, Free, evaluate
from sim.results.figures import save
from sim.runs.pool import local_pool
from sim.runs.store import claim_state_folder, folder_lock
from sim.survey.instrument import ITEMS

METHODS = ("morris", "sobol")
SENSITIVITY_KIND = "orgsim sensitivity analysis"
MORRIS_LEVELS = 4  # grid levels: steps of two thirds of each range, the usual choice
MORRIS_TRAJECTORIES = 10  # default: Campolongo et al. (2007) find 10 trajectories enough to rank
SOBOL_N = 32  # default base sample: rough indices, with their (wide) intervals shown
CONF_LEVEL = 0.95
RESAMPLES = 1000  # bootstrap resamples behind the confidence intervals
CX = "cx_index"
# indices.csv: one row per (output, parameter), these two columns, then the method's indices.
INDEX_KEYS = ("output", "parameter")
INDEX_COLUMNS = {
    "morris": ("mu", "mu_star", "mu_star_conf", "sigma"),
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
}
MAIN_INDEX = {"morris": "mu_star", "sobol": "ST"}
EXPLANATION = {
    "morris": (
        "<b>mu*</b> (Morris) is the mean absolute elementary effect: the change of an output when "
        "the parameter takes one step of two thirds of its range, the others held wherever the "
        "trajectory stands, divided by the step, so it reads as change per whole range: CX points "
        "for the CX index, share of respondents for a survey item (up to 1.5 for a share that one "
        "step flips from 0 to 1). <b>sigma</b> is the spread of those effects: large against mu* "
        "when the effect depends on the other parameters "
        "(interactions) or on where in the range the step is taken (curvature). Morris ranks "
        "parameters; it does not apportion variance. The error bars are 95% bootstrap intervals "
        "of mu* over the trajectories. The heat map divides each item's mu* by the largest of that "
        "item, so each column shows which parameters matter most for that question; a grey column "
        "is an item no parameter moved."
    ),
    "sobol": (
        "<b>S1</b> (first-order Sobol' index) is the share of an output's variance due to the "
        "parameter alone; <b>ST</b> (total index) the share in which it takes part, interactions "
        "included, so ST &ge; S1 up to sampling error and ST near 0 means the parameter can be "
        "fixed anywhere in its range. With a small base sample the estimates can fall below 0 or "
        "above 1; the 95% bootstrap intervals show how far to trust them. The heat map shows ST "
        "(clipped to [0, 1]); a grey column is an item no parameter moved."
    ),
}


class SensitivityError(UserError, ValueError):
    """A sensitivity analysis cannot run as asked; the message says why and what to do."""


@dataclass
class SensitivityResult:
    """What a sensitivity analysis found, and where it wrote it."""

    experiment: str
    method: str
    budget: int
    parameters: list[str]
    outputs: list[str]
    indices: pd.DataFrame  # tidy: output, parameter, then the method's index columns
    points: pd.DataFrame  # one row per sample point: parameters, then outputs
    evaluated: int  # points run now
    reused: int  # points read from an earlier, interrupted run
    firms: int
    seed: int
    wall_s: float
    out: Path
    files: dict[str, Path] = field(default_factory=dict)


def output_names() -> list[str]:
    """The outputs of every point: the CX index, then each item of the instrument."""
    return [CX, *(f"{qid}/{who}" for qid, who in ITEMS)]


def min_budget(method: str, k: int) -> int:
    """Fewest evaluations the method can work with over ``k`` parameters: two Morris trajectories
    (one gives no spread), or a Sobol' base sample of 2."""
    _check_method(method)
    return 2 * (k + 1) if method == "morris" else 2 * (k + 2)


def default_budget(method: str, k: int) -> int:
    _check_method(method)
    return MORRIS_TRAJECTORIES * (k + 1) if method == "morris" else SOBOL_N * (k + 2)


def check_budget(method: str, k: int, budget: int) -> None:
    """Raises SensitivityError when ``budget`` evaluations are too few for ``method``."""
    need = min_budget(method, k)
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < need:
        unit = (
            f"two trajectories of {k + 1} points"
            if method == "morris"
            else f"a base sample of N = 2, N x ({k} + 2) points"
        )
        raise SensitivityError(
            f"budget {budget!r} is too small for {method} over {k} parameters: give at least "
            f"{need} evaluations ({unit})"
        )


def design(method: str, frees: tuple[Free, ...], budget: int, seed: int) -> np.ndarray:
    """The sample points (rows) within the budget; deterministic for a seed, so a rerun asks for
    the same points and finds them in the cache."""
    problem = _problem(frees)
    k = len(frees)
    if method == "morris":
        from SALib.sample import morris as morris_sample

        trajectories = max(2, budget // (k + 1))
        return morris_sample.sample(problem, trajectories, num_levels=MORRIS_LEVELS, seed=seed)
    from SALib.sample import sobol as sobol_sample

    # Saltelli's scheme without second-order terms costs N (k + 2) evaluations; N a power of two
    # keeps the Sobol' sequence balanced.
    n = 2 ** math.floor(math.log2(budget // (k + 2)))
    return sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)


def run_sensitivity(
    experiment: Experiment,
    method: str = "morris",
    budget: int | None = None,
    *,
    out: Path,
    **kwargs: Any,
) -> SensitivityResult:
    """:func:`_run_sensitivity`, holding the output folder's lock throughout
    (:func:`sim.runs.store.folder_lock`), so no second command writes it meanwhile."""
    budget = _checked_budget(experiment, method, budget)  # refused before any folder is made
    with folder_lock(Path(out)):
        return _run_sensitivity(experiment, method, budget, out=Path(out), **kwargs)


def _run_sensitivity(
    experiment: Experiment,
    method: str = "morris",
    budget: int | None = None,
    *,
    out: Path,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    fresh: bool = False,
) -> SensitivityResult:
    """Sample the experiment's sensitivity parameters, survey the population at every point, and
    write ``points.csv``, ``indices.csv``, two figures and ``index.html`` into ``out``.

    Args:
        experiment: its ``sensitivity`` parameters and ranges, ``sensitivity_firms`` and ``seed``.
        method: ``"morris"`` (screening: mu*, sigma) or ``"sobol"`` (variance shares: S1, ST).
        budget: most model evaluations (sample points) to spend; by default 10 Morris
            trajectories, 10 (k + 1) points, or a Sobol' base sample of 32, 32 (k + 2) points.
        out: the output folder; a rerun into it with the same settings resumes.
        workers: processes for each point's firms when no ``executor`` is given (one pool is
            kept for the whole analysis).
        executor: runs each point's firms; points themselves run one after the other.
        progress: called with (points done, points in all) after each point, and once at the
            start with the points found in the cache.
        fresh: move an earlier analysis in ``out`` aside and start again.

    Raises:
        SensitivityError: an unknown method, no parameters, a budget too small for the method,
            or an output folder holding another analysis.
    """
    started = time.perf_counter()
    frees = experiment.sensitivity
    budget = _checked_budget(experiment, method, budget)
    out = Path(out)
    _claim(experiment, method, budget, out, fresh)

    x = design(method, frees, budget, experiment.seed)
    names = [f.name for f in frees]
    outputs = output_names()
    cache = _PointCache(out / "points.csv", names, outputs)
    thetas = [{f.name: f.value(v) for f, v in zip(frees, row, strict=True)} for row in x]
    distinct = {cache.key(theta): theta for theta in thetas}  # Morris trajectories may meet
    todo = [theta for theta in distinct.values() if not cache.has(theta)]
    total = len(distinct)
    reused = done = total - len(todo)
    if progress is not None:
        progress(done, total)
    pool = executor
    own = pool is None and bool(todo)
    if own:
        pool = local_pool(workers)
    evaluated = 0
    try:
        for theta in todo:
            evaluation = evaluate(
                experiment, theta, experiment.sensitivity_firms, experiment.seed, workers, pool
            )
            cache.add(theta, point_outputs(evaluation))
            evaluated += 1
            done += 1
            if progress is not None:
                progress(done, total)
    finally:
        if own and pool is not None:
            pool.shutdown()

    y = np.array([cache.get(theta) for theta in thetas])
    indices = analyze(method, frees, x, y, outputs, experiment.seed)
    points = pd.DataFrame(
        [[*theta.values(), *row] for theta, row in zip(thetas, y, strict=True)],
        columns=[*names, *outputs],
    )
    result = SensitivityResult(
        experiment=experiment.name,
        method=method,
        budget=budget,
        parameters=names,
        outputs=outputs,
        indices=indices,
        points=points,
        evaluated=evaluated,
        reused=reused,
        firms=experiment.sensitivity_firms,
        seed=experiment.seed,
        wall_s=time.perf_counter() - started,
        out=out,
    )
    write_outputs(result, experiment)
    return result


def point_outputs(evaluation: Evaluation) -> list[float]:
    """One point's outputs in :func:`output_names` order: the mean CX index over the surveyed
    firms, then each item's share over all its respondents."""
    cx = float(evaluation.firms["firm_cx"].mean())
    every = evaluation.shares[evaluation.shares.group == "all"]
    share = {
        (i, respondent): float(s)
        for i, respondent, s in zip(every["id"], every["respondent"], every["share"], strict=True)
    }
    return [cx, *(share.get(item, float("nan")) for item in ITEMS)]


def analyze(
    method: str,
    frees: tuple[Free, ...],
    x: np.ndarray,
    y: np.ndarray,
    outputs: list[str],
    seed: int,
) -> pd.DataFrame:
    """Indices of every parameter for every output (a column of ``y``), one row per pair.

    An output that no point moved gets zeros: no parameter matters for it (Sobol' would divide
    by its zero variance)."""
    problem = _problem(frees)
    columns = INDEX_COLUMNS[method]
    rows = []
    for j, name in enumerate(outputs):
        values = y[:, j].astype(float)
        if np.all(np.isfinite(values)) and np.ptp(values) == 0:
            si = {c: np.zeros(len(frees)) for c in columns}
        elif method == "morris":
            from SALib.analyze import morris as morris_analyze

            si = morris_analyze.analyze(
                problem,
                x,
                values,
                num_levels=MORRIS_LEVELS,
                conf_level=CONF_LEVEL,
                num_resamples=RESAMPLES,
                print_to_console=False,
                seed=seed,
            )
        else:
            from SALib.analyze import sobol as sobol_analyze

            # SALib warns when a resample happens to hold equal values; the intervals show it.
            with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
                warnings.simplefilter("ignore", UserWarning)
                si = sobol_analyze.analyze(
                    problem,
                    values,
                    calc_second_order=False,
                    conf_level=CONF_LEVEL,
                    num_resamples=RESAMPLES,
                    print_to_console=False,
                    seed=seed,
                )
        for i, f in enumerate(frees):
            rows.append(
                {"output": name, "parameter": f.name}
                | {c: float(np.asarray(si[c], dtype=float)[i]) for c in columns}
            )
    return pd.DataFrame(rows, columns=[*INDEX_KEYS, *columns])


def ranking(result: SensitivityResult, output: str) -> pd.DataFrame:
    """The parameters for one output, most influential first, with the main index's 95%
    interval (``low``, ``high``; mu* is clipped at 0)."""
    main = MAIN_INDEX[result.method]
    table = result.indices[result.indices.output == output].copy()
    table["low"] = table[main] - table[f"{main}_conf"]
    table["high"] = table[main] + table[f"{main}_conf"]
    if result.method == "morris":
        table["low"] = table["low"].clip(lower=0.0)
    return table.sort_values(main, ascending=False, kind="stable").reset_index(drop=True)


def format_indices(result: SensitivityResult) -> str:
    """The terminal summary: the CX index's ranking of parameters with 95% intervals, then the
    three parameters that move each survey item most."""
    main = MAIN_INDEX[result.method]
    label = "mu*" if result.method == "morris" else "ST"
    width = max(len(p) for p in result.parameters)
    lines = [
        f"{result.method} sensitivity of {result.experiment}: {len(result.points)} points "
        f"({result.evaluated} run now, {result.reused} reused), {result.firms} firms each, "
        f"seed {result.seed}",
        "",
        f"CX index at the survey week: {label} [95% interval]"
        + ("  sigma" if result.method == "morris" else "  S1 [95% interval]"),
    ]
    r: Any  # itertuples() fields: pandas-stubs types each as the whole Scalar union
    for rank, r in enumerate(ranking(result, CX).itertuples(), start=1):
        value = getattr(r, main)
        line = f"{rank:3}. {r.parameter:<{width}}  {value:7.3f} [{r.low:.3f}, {r.high:.3f}]"
        if result.method == "morris":
            line += f"  {r.sigma:7.3f}"
        else:
            line += f"  {r.S1:7.3f} [{r.S1 - r.S1_conf:.3f}, {r.S1 + r.S1_conf:.3f}]"
        lines.append(line)
    lines += ["", f"Survey items (share of respondents): top 3 parameters by {label}"]
    item_width = max(len(o) for o in result.outputs[1:])
    for output in result.outputs[1:]:
        table = ranking(result, output)
        top = table[table[main] > 0].head(3)
        cells = (
            ", ".join(f"{r.parameter} {getattr(r, main):.3f}" for r in top.itertuples())
            if len(top)
            else "no parameter moves it"
        )
        lines.append(f"  {output:<{item_width}}  {cells}")
    return "\n".join(lines)


# -- outputs -----------------------------------------------------------------------------------


def write_outputs(result: SensitivityResult, experiment: Experiment) -> None:
    out = result.out
    result.indices.to_csv(out / "indices.csv", index=False)
    result.files = {
        "points": out / "points.csv",
        "indices": out / "indices.csv",
        "cx": plot_cx(result, out / "sensitivity_cx.png"),
        "survey": plot_survey(result, out / "sensitivity_survey.png"),
    }
    result.files["report"] = write_page(result, experiment, out / "index.html")
    result.files["state"] = out / "state.json"


def plot_cx(result: SensitivityResult, path: Path) -> Path:
    """The CX index's indices per parameter, most influential on top, with 95% intervals."""
    table = ranking(result, CX).iloc[::-1]
    y = np.arange(len(table))
    fig = Figure(figsize=(7, 0.4 * len(table) + 1.4))
    ax = fig.add_subplot()
    if result.method == "morris":
        # mu* is an absolute value: its interval stops at 0, as printed.
        below = np.minimum(table.mu_star, table.mu_star_conf)
        xerr = np.vstack([below, table.mu_star_conf])
        ax.barh(y, table.mu_star, xerr=xerr, color="tab:blue", capsize=3)
        ax.set_xlabel("mu*: mean |elementary effect| on the CX index (points per whole range)")
    else:
        h = 0.38
        for shift, index, colour in ((h / 2, "ST", "tab:blue"), (-h / 2, "S1", "tab:orange")):
            ax.barh(
                y + shift,
                table[index],
                h,
                xerr=table[f"{index}_conf"],
                color=colour,
                capsize=3,
                label=index,
            )
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_xlabel("share of the CX index's variance")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(y, table.parameter)
    ax.set_title(
        f"CX index at the survey week: {result.method} indices, 95% intervals "
        f"({len(result.points)} points, {result.firms} firms each)",
        fontsize=9,
    )
    ax.grid(axis="x", alpha=0.3)
    return save(fig, path)


def survey_matrix(result: SensitivityResult) -> pd.DataFrame:
    """Parameters x survey items: mu* divided by each item's largest (Morris) or ST clipped to
    [0, 1] (Sobol'); NaN for an item no parameter moved."""
    main = MAIN_INDEX[result.method]
    items = result.outputs[1:]
    table = result.indices[result.indices.output.isin(items)].pivot(
        index="parameter", columns="output", values=main
    )
    table = table.reindex(index=result.parameters, columns=items)
    top = table.max(axis=0)
    if result.method == "morris":
        return table.div(top.where(top > 0))
    return table.clip(0.0, 1.0).where(top > 0)


def plot_survey(result: SensitivityResult, path: Path) -> Path:
    """Heat map of which parameters move which survey items."""
    matrix = survey_matrix(result)
    k, m = matrix.shape
    fig = Figure(figsize=(0.5 * m + 3.5, 0.38 * k + 3.2))
    ax = fig.add_subplot()
    ax.set_facecolor("0.85")
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(
        np.ma.masked_invalid(values), cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto"
    )
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            colour = "white" if value < 0.6 else "black"
            ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=6, color=colour)
    ax.set_xticks(np.arange(m), matrix.columns, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(np.arange(k), matrix.index, fontsize=8)
    label = "mu* / largest mu* of the item" if result.method == "morris" else "ST (total index)"
    fig.colorbar(image, ax=ax, shrink=0.8, label=label)
    ax.set_title(f"Survey shares: {result.method} sensitivity ({label}; grey: unmoved)", fontsize=9)
    return save(fig, path)


def write_page(result: SensitivityResult, experiment: Experiment, path: Path) -> Path:
    main = MAIN_INDEX[result.method]
    cx = ranking(result, CX)
    cx_table = cx[["parameter", *INDEX_COLUMNS[result.method]]].to_html(
        index=False, float_format=lambda v: f"{v:.3f}", border=0, classes="t"
    )
    ranges = "".join(
        f"<li><code>{html.escape(f.name)}</code>: {f.low:g} to {f.high:g}</li>"
        for f in experiment.sensitivity
    )
    title = f"Sensitivity of {result.experiment} ({result.method})"
    population = html.escape(experiment.population.name)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; }}
img {{ max-width: 100%; }} table.t {{ border-collapse: collapse; }}
table.t td, table.t th {{ padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(experiment.description)}</p>
<p>{len(result.points)} sample points within a budget of {result.budget} evaluations; each point
surveys the same {result.firms} firms of the population <code>{population}</code>
with seed {result.seed} (common random numbers), so points differ only by their parameters.
Outputs: the firms' mean CX index at the survey week, and every survey share over all
respondents.</p>
<h2>Parameters and ranges</h2><ul>{ranges}</ul>
<h2>What the indices mean</h2><p>{EXPLANATION[result.method]}</p>
<p>The intervals are bootstraps over the sample points; they leave out the sampling error of the
surveyed firms: the indices describe these firms, and more firms or another seed can reorder
parameters whose indices are close.</p>
<h2>CX index at the survey week</h2>
<p><img src="{result.files["cx"].name}" alt="{html.escape(main)} of the CX index per parameter"></p>
{cx_table}
<h2>Survey shares</h2>
<p><img src="{result.files["survey"].name}" alt="heat map of parameters against survey items"></p>
<h2>Files</h2><ul>
<li><a href="indices.csv">indices.csv</a>: every index, one row per (output, parameter)</li>
<li><a href="points.csv">points.csv</a>: every sample point's parameters and outputs</li>
<li><a href="{result.files["cx"].name}">{result.files["cx"].name}</a>,
<a href="{result.files["survey"].name}">{result.files["survey"].name}</a></li>
</ul></body></html>
"""
    path.write_text(page)
    return path


# -- the cache and the folder's claim ----------------------------------------------------------


class _PointCache:
    """Outputs of each sample point, keyed by its parameter vector, kept in a CSV that grows one
    line per finished point; a line cut short by an interruption is dropped on reading."""

    def __init__(self, path: Path, names: list[str], outputs: list[str]) -> None:
        self.path = path
        self.names = names
        self.header = [*names, *outputs]
        self.points: dict[tuple[float, ...], list[float]] = {}
        if path.exists():
            self._read()
        if not path.exists():
            with path.open("w", newline="") as fh:
                csv.writer(fh).writerow(self.header)

    def _read(self) -> None:
        with self.path.open(newline="") as fh:
            rows = list(csv.reader(fh))
        if not rows or rows[0] != self.header:
            raise SensitivityError(
                f"{self.path} has other columns than this analysis writes; choose another --out"
            )
        kept = [rows[0]]
        for row in rows[1:]:
            try:
                values = [float(v) for v in row]
            except ValueError:
                continue
            if len(values) != len(self.header):
                continue
            k = len(self.names)
            self.points[self._key(values[:k])] = values[k:]
            kept.append(row)
        # Rewrite without the broken lines, so the next append starts on a line of its own.
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", newline="") as fh:
            csv.writer(fh).writerows(kept)
        tmp.replace(self.path)

    @staticmethod
    def _key(values: list[float]) -> tuple[float, ...]:
        return tuple(round(float(v), 10) for v in values)

    def key(self, theta: dict[str, Any]) -> tuple[float, ...]:
        return self._key([theta[n] for n in self.names])

    def has(self, theta: dict[str, Any]) -> bool:
        return self.key(theta) in self.points

    def get(self, theta: dict[str, Any]) -> list[float]:
        return self.points[self.key(theta)]

    def add(self, theta: dict[str, Any], outputs: list[float]) -> None:
        self.points[self.key(theta)] = outputs
        with self.path.open("a", newline="") as fh:
            csv.writer(fh).writerow([*(repr(theta[n]) for n in self.names), *map(repr, outputs)])


def _claim(experiment: Experiment, method: str, budget: int, out: Path, fresh: bool) -> None:
    """Record this analysis in ``out/state.json``, or check that the folder holds this same one
    (:func:`sim.runs.store.claim_folder`)."""
    population = experiment.population
    state = {
        "kind": SENSITIVITY_KIND,
        "experiment": str(experiment.path),
        **experiment.identity(),
        "method": method,
        "budget": budget,
        "seed": experiment.seed,
        "firms": experiment.sensitivity_firms,
        "parameters": [[f.name, f.low, f.high] for f in experiment.sensitivity],
        "population": {"name": population.name, "overrides": population.overrides},
    }
    state = json.loads(json.dumps(state, default=str))
    keys = [k for k in state if k not in ("kind", "experiment")]
    claim_state_folder(out, SENSITIVITY_KIND, state, fresh, keys)


def _checked_budget(experiment: Experiment, method: str, budget: int | None) -> int:
    """The budget to use: the method's default when ``budget`` is None.

    Raises:
        SensitivityError: an unknown method, no parameters to vary, or too small a budget.
    """
    _check_method(method)
    k = len(experiment.sensitivity)
    if k == 0:
        raise SensitivityError(
            f"{experiment.path}: [sensitivity] names no parameters; list them in "
            "`parameters = [...]`"
        )
    budget = default_budget(method, k) if budget is None else budget
    check_budget(method, k, budget)
    return budget


def _problem(frees: tuple[Free, ...]) -> dict[str, Any]:
    return {
        "num_vars": len(frees),
        "names": [f.name for f in frees],
        "bounds": [[f.low, f.high] for f in frees],
    }


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise SensitivityError(
            f"unknown sensitivity method {method!r}; use one of {', '.join(METHODS)}"
        )

"""``orgsim advise``: the search, the robustness check and the three outputs, in one folder.

``advice.csv`` (one row per recommended portfolio: its roadmap, its search figures with 95%
intervals over the paired firms, its robustness figures and failure condition), ``advice.json``
(the same with the profile, the front and the settings), ``advice.html`` (the trade-off front,
the table, the CX path of each portfolio against doing nothing, the roadmaps, the failure
conditions) and ``evaluations.jsonl`` (every portfolio evaluated: the resume file).
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.advice.profile import Profile
from sim.advice.robustness import Robustness, check
from sim.advice.search import NOTHING, SearchResult, front, recommended, search
from sim.runs.pool import local_pool, worker_count
from sim.runs.posterior import PosteriorDraws
from sim.runs.store import folder_lock

ADVICE_CSV = "advice.csv"
ADVICE_JSON = "advice.json"
ADVICE_HTML = "advice.html"
ADVICE_COLUMNS = (
    "rank",
    "portfolio",
    "roadmap",
    "cost_per_year",
    "cx_gain",
    "cx_low",
    "cx_high",
    "growth_gain",
    "margin_gain",
    "margin_low",
    "margin_high",
    "profit_gain",
    "profit_low",
    "profit_high",
    "chance_worse",
    "future_cx_expected",
    "future_cx_p10",
    "future_profit_expected",
    "future_profit_p10",
    "regret_profit_mean",
    "regret_profit_p90",
    "future_chance_worse",
    "fails_when",
    "coverage",
    "density",
)


@dataclass
class Advice:
    table: pd.DataFrame
    found: SearchResult
    robustness: Robustness
    wall_s: float
    out: Path


def _interval(values: list[float]) -> tuple[float, float]:
    """95% interval of a mean over paired firms (normal approximation; NaN for one firm)."""
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return float("nan"), float("nan")
    half = 1.96 * float(v.std(ddof=1)) / np.sqrt(v.size)
    return float(v.mean()) - half, float(v.mean()) + half


def roadmap(portfolio) -> str:
    return "; ".join(f"week {s}: {n} = {d}" for n, d, s in portfolio.levers)


def advise(
    profile: Profile,
    trials: int,
    out: Path,
    workers: int | None = None,
    executor: Executor | None = None,
    posterior: PosteriorDraws | None = None,
    log: Callable[[str], None] = print,
) -> Advice:
    """Search, check and write the advice for ``profile`` into ``out`` (resumes from it)."""
    started = time.perf_counter()
    with folder_lock(out):
        if executor is not None:
            return _advise(profile, trials, out, workers or 1, executor, posterior, log, started)
        with local_pool(workers) as pool:
            n = worker_count(workers)
            return _advise(profile, trials, out, n, pool, posterior, log, started)


def _advise(profile, trials, out, workers, executor, posterior, log, started) -> Advice:
    found = search(profile, trials, out, executor, workers, posterior, log)
    picks = recommended(found.trials, profile.search["top"])
    log(f"checking {len(picks)} portfolios in {profile.search['futures']} futures")
    rob = check(profile, [r["portfolio"] for r in picks], executor, workers, posterior)
    rows = []
    for rank, r in enumerate(picks, start=1):
        label = r["portfolio"].label
        fut = rob.table.set_index("portfolio").loc[label]
        cond = rob.conditions.set_index("portfolio").loc[label]
        cx_lo, cx_hi = _interval(r["cx_diffs"])
        m_lo, m_hi = _interval(r["margin_diffs"])
        p_lo, p_hi = _interval(r["profit_diffs"])
        rows.append(
            {
                "rank": rank,
                "portfolio": label,
                "roadmap": roadmap(r["portfolio"]),
                "cost_per_year": r["cost"],
                "cx_gain": r["cx"],
                "cx_low": cx_lo,
                "cx_high": cx_hi,
                "growth_gain": r["growth"],
                "margin_gain": r["margin"],
                "margin_low": m_lo,
                "margin_high": m_hi,
                "profit_gain": r["profit"],
                "profit_low": p_lo,
                "profit_high": p_hi,
                "chance_worse": r["chance_worse"],
                "future_cx_expected": fut["cx_expected"],
                "future_cx_p10": fut["cx_p10"],
                "future_profit_expected": fut["profit_expected"],
                "future_profit_p10": fut["profit_p10"],
                "regret_profit_mean": fut["regret_profit_mean"],
                "regret_profit_p90": fut["regret_profit_p90"],
                "future_chance_worse": fut["chance_worse"],
                "fails_when": cond["condition"],
                "coverage": cond["coverage"],
                "density": cond["density"],
            }
        )
    table = pd.DataFrame(rows, columns=list(ADVICE_COLUMNS))
    wall = time.perf_counter() - started
    advice = Advice(table, found, rob, wall, out)
    write(profile, advice, posterior)
    return advice


def write(profile: Profile, advice: Advice, posterior: PosteriorDraws | None) -> None:
    out = advice.out
    advice.table.to_csv(out / ADVICE_CSV, index=False)
    advice.robustness.paths.to_csv(out / "cx_paths.csv", index=False)
    advice.robustness.futures.to_csv(out / "futures.csv", index=False)
    fr = front(advice.found.trials)
    trials = pd.DataFrame(
        [
            {
                "trial": r["trial"],
                "portfolio": r["portfolio"].label,
                "feasible": r["feasible"],
                "on_front": any(r["portfolio"].key == f["portfolio"].key for f in fr),
                **{k: r[k] for k in ("cx", "growth", "margin", "cost", "downside", "profit")},
            }
            for r in advice.found.trials
        ]
    )
    trials.to_csv(out / "trials.csv", index=False)
    meta = {
        "profile": profile.describe(),
        "trials": len(advice.found.trials),
        "runs_this_call": advice.found.ran + advice.robustness.ran,
        "evaluations_replayed": advice.found.replayed,
        "seeds": list(advice.found.firms.seeds),
        "posterior": None
        if posterior is None
        else posterior.manifest(len(advice.found.firms.seeds), profile.search["seed"]),
        "wall_time_s": advice.wall_s,
        "recommended": advice.table.to_dict(orient="records"),
    }
    (out / ADVICE_JSON).write_text(json.dumps(meta, indent=1, default=str))
    (out / ADVICE_HTML).write_text(page(profile, advice, trials))


def _figure_front(trials: pd.DataFrame, table: pd.DataFrame) -> str:
    from sim.results.figures import figure, png

    fig = figure(7.0, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    ok = trials[trials.feasible]
    ax.scatter(ok.cost, ok.cx, s=12, c="#bbbbbb", label="within budget")
    on = ok[ok.on_front]
    ax.scatter(on.cost, on.cx, s=22, c="#1f77b4", label="trade-off front")
    picked = trials[trials.portfolio.isin(table.portfolio)]
    ax.scatter(
        picked.cost, picked.cx, s=60, facecolors="none", edgecolors="#d62728", label="recommended"
    )
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlabel("lever cost (currency/year)")
    ax.set_ylabel("CX index gain against doing nothing")
    ax.legend(fontsize=8)
    return _img(png(fig))


def _figure_paths(paths: pd.DataFrame) -> str:
    from sim.results.figures import figure, png

    fig = figure(7.0, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    for name, g in paths.groupby("portfolio", sort=False):
        style = {"color": "black", "lw": 1.6} if name == NOTHING else {"lw": 1.0}
        (line,) = ax.plot(g.week, g["mean"], label=name, **style)
        ax.fill_between(g.week, g["low"], g["high"], alpha=0.12, color=line.get_color())
    ax.set_xlabel("week")
    ax.set_ylabel("CX index (mean, 10th-90th percentile of futures)")
    ax.legend(fontsize=7)
    return _img(png(fig))


def _img(data: bytes) -> str:
    import base64

    return f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def page(profile: Profile, advice: Advice, trials: pd.DataFrame) -> str:
    t = advice.table
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                r.rank,
                r.roadmap,
                f"{r.cost_per_year:,.0f}",
                f"{r.cx_gain:+.2f} [{r.cx_low:+.2f}, {r.cx_high:+.2f}]",
                f"{r.margin_gain:+.4f} [{r.margin_low:+.4f}, {r.margin_high:+.4f}]",
                f"{r.profit_gain:+,.0f} [{r.profit_low:+,.0f}, {r.profit_high:+,.0f}]",
                f"{r.future_profit_p10:+,.0f}",
                f"{r.regret_profit_mean:,.0f}",
                f"{r.future_chance_worse:.0%}",
                r.fails_when,
            )
        )
        + "</tr>"
        for r in t.itertuples()
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "rank",
            "roadmap",
            "cost/year",
            "CX gain [95%]",
            "margin gain [95%]",
            "profit gain over horizon [95%]",
            "profit gain P10 (futures)",
            "mean regret",
            "chance worse than nothing",
            "when it fails",
        )
    )
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>orgsim advice: {html.escape(profile.name)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px;font-size:13px}}</style>
</head><body>
<h1>Advice for {html.escape(profile.name)}</h1>
<p>{html.escape(profile.description)}</p>
<p>Budget {profile.budget:,.0f} a year for levers; horizon {profile.horizon} weeks;
{len(advice.found.trials)} portfolios searched on {len(advice.found.firms.seeds)} paired firms each,
then checked in {profile.search["futures"]} futures (uncertain:
{html.escape(", ".join(profile.uncertain))}). Every figure is a paired difference against doing
nothing on the same firms. Wall time {advice.wall_s / 60:.1f} min.</p>
<h2>Recommended portfolios</h2><table><tr>{head}</tr>{rows}</table>
<h2>The trade-off front</h2>{_figure_front(trials, t)}
<h2>The CX path of each portfolio against doing nothing</h2>{_figure_paths(advice.robustness.paths)}
</body></html>"""

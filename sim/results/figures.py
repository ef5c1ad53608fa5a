"""Figures of results, drawn once for every page that shows them: outcome bands over the weeks,
forest plots of paired differences, sweep maps; saved as PNG files for the reports or encoded as
PNG bytes for the browser. Every figure is a plain matplotlib ``Figure`` on an Agg canvas of its
own: no pyplot state, nothing shared between reports, sessions or threads.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.ticker import MaxNLocator

from sim.model.outcomes import label
from sim.results.tables import SHOWN_OUTCOMES, SWEEP_OUTCOME, time_bands

DPI = 100  # small files: pages show them at about this size anyway
GRID_LABELS_MAX = 12  # a grid with more values per axis than this gets no number in each cell
WEEK0_UNDEFINED = ("churn", "revenue", "revenue_growth", "margin")  # nothing has happened yet


def figure(width: float, height: float, dpi: int = DPI) -> Figure:
    """A new figure on its own Agg canvas."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, path: Path, dpi: int = DPI) -> Path:
    """Write ``fig`` as a PNG at ``path`` and free its buffers."""
    if fig.canvas is None or not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    fig.clear()  # the canvas holds the renderer's buffers until the figure is dropped
    return path


def png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes (what a page sends to the browser); fast compression, since the
    image crosses a local socket and is drawn again soon."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def scenario_colours(scenarios: Sequence[str]) -> dict[str, Any]:
    """One colour per scenario, the same in every figure of a page."""
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {name: cmap(k % 10) for k, name in enumerate(scenarios)}


def draw_bands(ax, bands: pd.DataFrame, scenarios: Sequence[str], colours: dict[str, Any]) -> None:
    """Into ``ax``: per scenario, its mean over replications as a line inside its shaded 95% band
    (``bands`` from :func:`sim.results.tables.time_bands`). Overlapping bands mean the
    replications cannot tell the scenarios apart in that week; the paired forest plot is the
    sharper comparison."""
    for name in scenarios:
        one = bands[bands["scenario"] == name]
        if one.empty:
            continue
        ax.fill_between(one["week"], one["low"], one["high"], color=colours[name], alpha=0.2, lw=0)
        ax.plot(one["week"], one["mean"], color=colours[name], lw=1.3, label=name)
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.grid(alpha=0.3)


def _bands_of(weeks: pd.DataFrame, outcome: str) -> pd.DataFrame:
    shown = weeks[weeks["week"] > 0] if outcome in WEEK0_UNDEFINED else weeks
    if not len(shown):
        return pd.DataFrame(columns=["scenario", "week", "mean", "low", "high", "n"])
    frame = shown.assign(**{outcome: pd.to_numeric(shown[outcome]).astype(float)})
    return time_bands(frame, outcome)


def time_band_figure(weeks: pd.DataFrame, outcome: str, scenarios: Sequence[str]) -> Figure:
    """One outcome week by week, a line and 95% band per scenario (the batch report's figure)."""
    fig = figure(6.4, 3.6)
    ax = fig.add_subplot()
    draw_bands(ax, _bands_of(weeks, outcome), scenarios, scenario_colours(scenarios))
    ax.set_xlabel("week")
    ax.set_ylabel(label(outcome))
    ax.set_title(f"{label(outcome)}: mean and 95% band across replications", fontsize=10)
    if ax.has_data():
        ax.legend(fontsize=8, frameon=False, loc="best")
    return fig


def bands_figure(
    weeks: pd.DataFrame, scenarios: Sequence[str], outcomes: Sequence[str] = SHOWN_OUTCOMES
) -> Figure:
    """Small multiples: each outcome over the weeks, a line and 95% band per scenario (the
    results page's figure), with one legend for all."""
    ncols = 4
    nrows = max(1, -(-len(outcomes) // ncols))
    fig = figure(10.0, 2.3 * nrows + 0.7)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    colours = scenario_colours(scenarios)
    for ax, outcome in zip(axes, outcomes, strict=False):
        draw_bands(ax, _bands_of(weeks, outcome), scenarios, colours)
        # wrapped: "operating margin (share of revenue)" is wider than a quarter of the figure
        ax.set_title(textwrap.fill(label(outcome), 28), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("week", fontsize=7)
    for ax in axes[len(outcomes) :]:
        ax.axis("off")
    handles = [axes[0].plot([], [], color=colours[s], lw=3)[0] for s in scenarios]
    fig.legend(
        handles,
        list(scenarios),
        loc="lower center",
        ncol=min(len(scenarios), 6),
        fontsize=8,
        frameon=False,
        title="mean and 95% band across replications",
        title_fontsize=8,
    )
    fig.subplots_adjust(left=0.06, right=0.98, top=0.91, bottom=0.2, hspace=0.8, wspace=0.35)
    return fig


def forest_figure(
    diffs: pd.DataFrame,
    baseline: str,
    scenarios: Sequence[str],
    outcomes: Sequence[str] = SHOWN_OUTCOMES,
    colours: dict[str, Any] | None = None,
) -> Figure:
    """Forest plot: per outcome a panel, per scenario a row with its paired difference from the
    baseline at the last week (``diffs`` from :func:`sim.results.tables.paired_differences`), a
    dot at the mean and a bar over its 95% interval; a filled dot's interval excludes zero (the
    dashed line), a hollow dot's does not. ``colours`` keeps a page's scenario colours."""
    names = [s for s in scenarios if s != baseline]
    ncols = min(4, max(1, len(outcomes)))
    nrows = max(1, -(-len(outcomes) // ncols))
    height = nrows * (0.3 * max(1, len(names)) + 1.0)
    fig = figure(2.6 * ncols + 1.2, height)
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    colours = colours or scenario_colours([baseline, *names])
    y = np.arange(len(names))
    for ax, outcome in zip(axes, outcomes, strict=False):
        one = diffs[diffs["outcome"] == outcome].set_index("scenario").reindex(names)
        mean, low, high = (one[c].to_numpy(dtype=float) for c in ("mean", "low", "high"))
        clear = (low > 0) | (high < 0)
        ax.axvline(0, color="0.5", lw=0.8, ls="--")
        for k, name in enumerate(names):
            c = colours.get(name, "C0")
            if np.isfinite(low[k]):
                ax.plot([low[k], high[k]], [k, k], color=c, lw=1.8)
            ax.plot([mean[k]], [k], "o", color=c, mfc=c if clear[k] else "white", ms=5)
        lo, hi = ax.get_xlim()
        ax.set_xlim(min(lo, -0.05 * (hi - lo)), max(hi, 0.05 * (hi - lo)))  # zero always shown
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.set_ylim(len(names) - 0.5, -0.5)  # scenario order reads top to bottom
        ax.set_title(label(outcome), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    axes[0].set_yticks(y, names)
    fig.subplots_adjust(
        left=0.16,
        right=0.98,
        hspace=0.5 + 0.1 / max(1, len(names)),
        wspace=0.12,
        top=1 - 0.55 / height,
    )
    fig.suptitle(f"Paired difference from {baseline} at the last week (95% intervals)", fontsize=9)
    return fig


def sweep_figure_file(
    points: pd.DataFrame, axes: Sequence[str], sweep: str, path: Path
) -> Path | None:
    """Draw a sweep's end-week mean CX index over the parameters it varies.

    - two axes on a full grid: a heat map, one cell per point (numbered when the grid is small);
    - two axes sampled (Latin hypercube, Sobol): one dot per point, coloured by its value;
    - one axis: the mean with its 95% interval across replications, along the axis;
    - three or more: one panel per axis, each point's value against that axis (main effects).

    Points whose runs all failed are left blank. Returns None when the sweep has no axis.
    """
    if not axes or points.empty:
        return None
    title = f"{sweep}: end-week {SWEEP_OUTCOME} (mean over replications)"
    if len(axes) == 1:
        fig = figure(5.2, 3.4)
        ax = fig.add_subplot()
        pos, labels = _positions(points[axes[0]])
        order = np.argsort(pos, kind="stable")
        ax.plot(pos[order], points["mean"].to_numpy()[order], "o-", color="C0")
        ax.fill_between(
            pos[order],
            points["low"].to_numpy()[order],
            points["high"].to_numpy()[order],
            color="C0",
            alpha=0.2,
            lw=0,
        )
        if labels is not None:
            ax.set_xticks(range(len(labels)), labels)
        ax.set_xlabel(axes[0])
        ax.set_ylabel(SWEEP_OUTCOME)
        ax.grid(alpha=0.3)
    elif len(axes) == 2:
        fig = figure(5.2, 4.2)
        ax = fig.add_subplot()
        x_name, y_name = axes
        keys = points[[x_name, y_name]].astype(str)
        x_seen, y_seen = points[x_name].drop_duplicates(), points[y_name].drop_duplicates()
        is_grid = not keys.duplicated().any() and len(points) == len(x_seen) * len(y_seen)
        image: AxesImage | PathCollection
        if is_grid:
            xs, ys = _sorted_values(x_seen), _sorted_values(y_seen)
            grid = points.pivot(index=y_name, columns=x_name, values="mean")
            grid = grid.reindex(index=ys, columns=xs)
            image = ax.imshow(
                np.ma.masked_invalid(grid.to_numpy(dtype=float)),
                origin="lower",
                aspect="auto",
                cmap="viridis",
            )
            ax.set_xticks(range(len(xs)), [_label(v) for v in xs])
            ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
            if max(len(xs), len(ys)) <= GRID_LABELS_MAX:
                for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
                    if np.isfinite(v):
                        # v is a float, so the norm gives a float (its stub says any array)
                        shade = cast(float, image.norm(v))
                        ink = "black" if shade > 0.5 else "white"  # legible on viridis
                        ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8, color=ink)
        else:
            px, x_labels = _positions(points[x_name])
            py, y_labels = _positions(points[y_name])
            image = ax.scatter(
                px,
                py,
                c=points["mean"].to_numpy(dtype=float),
                cmap="viridis",
                s=40,
                edgecolors="0.3",
                linewidths=0.4,
                plotnonfinite=False,
            )
            if x_labels is not None:
                ax.set_xticks(range(len(x_labels)), x_labels)
            if y_labels is not None:
                ax.set_yticks(range(len(y_labels)), y_labels)
        fig.colorbar(image, ax=ax, label=SWEEP_OUTCOME)
        ax.set_xlabel(x_name)
        ax.set_ylabel(y_name)
    else:
        fig = figure(2.8 * len(axes), 3.0)
        panels = fig.subplots(1, len(axes), sharey=True, squeeze=False).ravel()
        for ax, name in zip(panels, axes, strict=True):
            pos, labels = _positions(points[name])
            ax.plot(pos, points["mean"], "o", ms=3, alpha=0.7)
            if labels is not None:
                ax.set_xticks(range(len(labels)), labels)
            ax.set_xlabel(name)
            ax.grid(alpha=0.3)
        panels[0].set_ylabel(SWEEP_OUTCOME)
    fig.suptitle(title, fontsize=10)
    return save(fig, path)


def _sorted_values(values: pd.Series) -> list[Any]:
    try:
        return sorted(values.tolist())
    except TypeError:  # mixed kinds: keep the order the sweep listed them in
        return values.tolist()


def _positions(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Numbers to plot a parameter at, and tick labels when it is not numeric (a policy name)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float), None
    levels = _sorted_values(values.drop_duplicates())
    index = {repr(v): k for k, v in enumerate(levels)}
    return np.array([index[repr(v)] for v in values], dtype=float), [_label(v) for v in levels]


def _label(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "sweep"
